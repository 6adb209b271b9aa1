"""Answer scales shared by more than one instrument.

Pure data. The PHQ-9 and GAD-7 scale is DOMAIN.md section 3; the 0-8 scales are the IAPT Phobia
Scales' and the WSAS's published anchors (even points labelled, odd points between them).
"""

from questionnaires.instrument import Option

OFTEN_0_TO_3 = (
    Option(0, "Not at all"),
    Option(1, "Several days"),
    Option(2, "More than half the days"),
    Option(3, "Nearly every day"),
)
"""PHQ-9 and GAD-7: how often, over the last 2 weeks (DOMAIN.md section 3)."""

OVER_THE_LAST_2_WEEKS = (
    "Over the last 2 weeks, how often have you been bothered by any of the following problems?"
)


def zero_to_eight(anchors: dict[int, str]) -> tuple[Option, ...]:
    """A 0-8 scale whose even points carry ``anchors`` and whose odd points are in between."""
    return tuple(
        Option(value, f"{value} – {anchors[value]}" if value in anchors else str(value))
        for value in range(9)
    )


YES_NO_NOT_STATED = (
    Option("Y", "Yes"),
    Option("N", "No"),
    Option("ZZ", "I'd prefer not to say"),
)
"""Indicator items in the national dataset: Y, N, or ZZ not stated."""

"""Medication questionnaire: psychiatric medication prescribed, taken as prescribed, and which.

Recorded, never scored; asked before every session (DOMAIN.md section 2). "Which" is free text
with a length limit, asked only when medication is prescribed.
"""

from questionnaires.instrument import Condition, Instrument, Item, ItemKind, Option

PRESCRIBED = "Y"
MEDICATION_NAMES_MAX_LENGTH = 500  # characters: room for several names and doses

MEDICATION = Instrument(
    code="medication",
    title="Medication",
    version="1",
    preamble="These questions are about medicine for your mental health, such as antidepressants.",
    items=(
        Item(
            "prescribed",
            "Have you been prescribed medication for your mental health?",
            (
                Option(PRESCRIBED, "Yes"),
                Option("N", "No"),
                Option("ZZ", "I'm not sure or I'd prefer not to say"),
            ),
        ),
        Item(
            "taken_as_prescribed",
            "Are you taking it as prescribed?",
            (
                Option("Y", "Yes"),
                Option("P", "Some of the time"),
                Option("N", "No"),
            ),
            asked_if=Condition(item="prescribed", values=frozenset({PRESCRIBED})),
        ),
        Item(
            "which",
            "Which medication are you taking? (optional)",
            kind=ItemKind.TEXT,
            max_length=MEDICATION_NAMES_MAX_LENGTH,
            required=False,
            asked_if=Condition(item="prescribed", values=frozenset({PRESCRIBED})),
        ),
    ),
    source="Service specification, DOMAIN.md section 2.",
)

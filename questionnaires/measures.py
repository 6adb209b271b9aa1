"""The national outcome measures and the problem descriptor -> anxiety measure mapping, as data.

Pure: no Flask, no database. Cut-offs, the "at or above" rule (and the Mobility Inventory's
"above"), reliable-change amounts and the descriptor mapping are DOMAIN.md section 4 ("National
metrics"); PHQ-9 and GAD-7 also appear in DOMAIN.md section 3. Score ranges (used only to refuse
impossible values) are each instrument's published range and are noted beside it.

Thresholds are ``Decimal`` so that the Mobility Inventory's item averages (2.3, 0.73) compare
exactly: a float 3.03 - 2.3 is 0.7299999999999998, which would wrongly miss a reliable change.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType

Score = int | float | Decimal
"""A recorded score: a whole-number total, or (Mobility Inventory only) an item average."""


class Scale(enum.Enum):
    """What a measure's score is."""

    TOTAL = "total"  # a sum of item scores: a whole number
    ITEM_AVERAGE = "item_average"  # the mean item score (Mobility Inventory)


class Threshold(enum.Enum):
    """How a score is compared with a measure's cut-off (DOMAIN.md section 4)."""

    AT_OR_ABOVE = "at_or_above"  # every measure but one
    ABOVE = "above"  # Mobility Inventory: "item average above 2.3"


@dataclass(frozen=True)
class OutcomeMeasure:
    """One outcome measure. ``cut_off`` or ``reliable_change`` None: never used in the pair."""

    code: str
    name: str
    scale: Scale
    lowest: Decimal
    highest: Decimal
    cut_off: Decimal | None
    reliable_change: Decimal | None
    threshold: Threshold = Threshold.AT_OR_ABOVE

    @property
    def is_usable_in_pair(self) -> bool:
        """Whether the measure has the cut-off and reliable change that outcomes need."""
        return self.cut_off is not None and self.reliable_change is not None

    def as_decimal(self, score: object) -> Decimal:
        """``score`` checked and made exact; ``ValueError`` naming the measure if it is invalid.

        A TOTAL measure takes whole numbers (``int``) only; an ITEM_AVERAGE takes ``int``,
        ``float`` or ``Decimal``. ``bool``, NaN, infinities and out-of-range values are refused.
        """
        value: Decimal
        if type(score) is int:
            value = Decimal(score)
        elif self.scale is Scale.ITEM_AVERAGE and type(score) is float and math.isfinite(score):
            # The shortest repr is the number as written (2.3), not the binary value (2.2999…).
            value = Decimal(repr(score))
        elif self.scale is Scale.ITEM_AVERAGE and type(score) is Decimal and score.is_finite():
            value = score
        else:
            kind = "a whole number" if self.scale is Scale.TOTAL else "a finite number"
            raise ValueError(f"{self.code}: score {score!r} must be {kind}")
        if not self.lowest <= value <= self.highest:
            raise ValueError(
                f"{self.code}: score {score!r} is outside {self.lowest}-{self.highest}"
            )
        return value

    def is_caseness(self, score: Score) -> bool:
        """Whether ``score`` is at caseness; ``ValueError`` if the measure has no cut-off."""
        if self.cut_off is None:
            raise ValueError(f"{self.code}: has no published cut-off")
        value = self.as_decimal(score)
        if self.threshold is Threshold.ABOVE:
            return value > self.cut_off
        return value >= self.cut_off

    def change(self, first: Score, last: Score) -> Decimal:
        """``last - first``, exactly (positive is a rise, which on these measures is worse)."""
        return self.as_decimal(last) - self.as_decimal(first)

    def _reliable_change(self) -> Decimal:
        if self.reliable_change is None:
            raise ValueError(f"{self.code}: has no published reliable-change amount")
        return self.reliable_change

    def is_reliable_rise(self, first: Score, last: Score) -> bool:
        """A rise of at least the reliable-change amount (worse)."""
        amount = self._reliable_change()
        return self.change(first, last) >= amount

    def is_reliable_fall(self, first: Score, last: Score) -> bool:
        """A fall of at least the reliable-change amount (better)."""
        amount = self._reliable_change()
        return -self.change(first, last) >= amount


def _d(text: str) -> Decimal:
    return Decimal(text)


PHQ9 = OutcomeMeasure(
    code="phq9",
    name="PHQ-9",
    scale=Scale.TOTAL,
    lowest=_d("0"),
    highest=_d("27"),  # 9 items x 0-3, DOMAIN.md section 3
    cut_off=_d("10"),
    reliable_change=_d("6"),
)
GAD7 = OutcomeMeasure(
    code="gad7",
    name="GAD-7",
    scale=Scale.TOTAL,
    lowest=_d("0"),
    highest=_d("21"),  # 7 items x 0-3, DOMAIN.md section 3
    cut_off=_d("8"),
    reliable_change=_d("4"),
)
SPIN = OutcomeMeasure(
    code="spin",
    name="Social Phobia Inventory (SPIN)",
    scale=Scale.TOTAL,
    lowest=_d("0"),
    highest=_d("68"),  # 17 items x 0-4 (Connor et al., 2000)
    cut_off=_d("19"),
    reliable_change=_d("10"),
)
PCL5 = OutcomeMeasure(
    code="pcl5",
    name="PTSD Checklist for DSM-5 (PCL-5)",
    scale=Scale.TOTAL,
    lowest=_d("0"),
    highest=_d("80"),  # 20 items x 0-4 (Weathers et al., 2013)
    cut_off=_d("32"),
    reliable_change=_d("10"),
)
OCI = OutcomeMeasure(
    code="oci",
    name="Obsessive-Compulsive Inventory (OCI)",
    scale=Scale.TOTAL,
    lowest=_d("0"),
    highest=_d("168"),  # the full OCI: 42 items x 0-4 (Foa et al., 1998), whose cut-off is 40
    cut_off=_d("40"),
    reliable_change=_d("32"),
)
PDSS = OutcomeMeasure(
    code="pdss",
    name="Panic Disorder Severity Scale (PDSS)",
    scale=Scale.TOTAL,
    lowest=_d("0"),
    highest=_d("28"),  # 7 items x 0-4 (Shear et al., 1997)
    cut_off=_d("8"),
    reliable_change=_d("5"),
)
MI = OutcomeMeasure(
    code="mi",
    name="Mobility Inventory (MI)",
    scale=Scale.ITEM_AVERAGE,
    lowest=_d("1"),
    highest=_d("5"),  # items rated 1-5 (Chambless et al., 1985), so the average is 1-5
    cut_off=_d("2.3"),
    reliable_change=_d("0.73"),
    threshold=Threshold.ABOVE,  # DOMAIN.md section 4: "item average above 2.3", not "at or above"
)
HAI = OutcomeMeasure(
    code="hai",
    name="Health Anxiety Inventory (HAI)",
    scale=Scale.TOTAL,
    lowest=_d("0"),
    highest=_d("54"),  # the short HAI: 18 items x 0-3 (Salkovskis et al., 2002)
    # DOMAIN.md section 4 names HAI as the health-anxiety measure but gives it no cut-off or
    # reliable change, so here it has none: it is never usable in the pair, and a health-anxiety
    # episode always falls back to PHQ-9 + GAD-7. Add the figures here once they are confirmed.
    cut_off=None,
    reliable_change=None,
)

MEASURES: Mapping[str, OutcomeMeasure] = MappingProxyType(
    {measure.code: measure for measure in (PHQ9, GAD7, SPIN, PCL5, OCI, PDSS, MI, HAI)}
)


class ProblemDescriptor(enum.StrEnum):
    """The presenting problem, grouped as DOMAIN.md section 4 groups it for the measure pair."""

    DEPRESSION = "depression"
    GAD = "gad"
    MIXED = "mixed"
    CHRONIC_PAIN = "chronic_pain"
    NONE = "none"
    SOCIAL_ANXIETY = "social_anxiety"
    PTSD = "ptsd"
    AGORAPHOBIA = "agoraphobia"
    OCD = "ocd"
    PANIC = "panic"
    HEALTH_ANXIETY = "health_anxiety"


ANXIETY_MEASURE_FOR: Mapping[ProblemDescriptor, str] = MappingProxyType(
    {
        ProblemDescriptor.DEPRESSION: GAD7.code,
        ProblemDescriptor.GAD: GAD7.code,
        ProblemDescriptor.MIXED: GAD7.code,
        ProblemDescriptor.CHRONIC_PAIN: GAD7.code,
        ProblemDescriptor.NONE: GAD7.code,
        ProblemDescriptor.SOCIAL_ANXIETY: SPIN.code,
        ProblemDescriptor.PTSD: PCL5.code,
        ProblemDescriptor.AGORAPHOBIA: MI.code,
        ProblemDescriptor.OCD: OCI.code,
        ProblemDescriptor.PANIC: PDSS.code,
        ProblemDescriptor.HEALTH_ANXIETY: HAI.code,  # no cut-off: always falls back to GAD-7
    }
)
"""The pair's anxiety measure for each descriptor; PHQ-9 is always the other half."""


def measure(code: str) -> OutcomeMeasure:
    """The outcome measure called ``code``; ``ValueError`` if there is none."""
    try:
        return MEASURES[code]
    except KeyError:
        raise ValueError(f"unknown outcome measure {code!r}") from None


def anxiety_measure_for(descriptor: ProblemDescriptor | str | None) -> OutcomeMeasure:
    """The descriptor's anxiety measure (before any fall-back); None means GAD-7."""
    if descriptor is None:
        return GAD7
    try:
        return MEASURES[ANXIETY_MEASURE_FOR[ProblemDescriptor(descriptor)]]
    except ValueError:
        raise ValueError(f"unknown problem descriptor {descriptor!r}") from None

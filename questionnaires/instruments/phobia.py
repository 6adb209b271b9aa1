"""IAPT Phobia Scales: 3 avoidance ratings, each 0-8 (social, panic/agoraphobia, specific).

There is no total: each item stands alone, and an item at 4 or more is at caseness for that phobia
(DOMAIN.md section 3: "total: per item", "caseness: item >= 4"). ``score`` reports caseness True
when any item is at caseness, with each item's judgement in ``item_caseness``.
"""

from questionnaires.instrument import Instrument, Item, Scoring
from questionnaires.instruments.scales import zero_to_eight

PHOBIA = Instrument(
    code="phobia",
    title="IAPT Phobia Scales",
    version="1",
    preamble=(
        "Choose a number from the scale to show how much you would avoid each of the situations "
        "or things below."
    ),
    options=zero_to_eight(
        {
            0: "Would not avoid it",
            2: "Slightly avoid it",
            4: "Definitely avoid it",
            6: "Markedly avoid it",
            8: "Always avoid it",
        }
    ),
    items=(
        Item(
            "social",
            "Social situations, because of a fear of being embarrassed or making a fool of myself",
        ),
        Item(
            "panic_agoraphobia",
            "Certain situations, because of a fear of having a panic attack or other distressing "
            "symptoms (such as loss of bladder control, vomiting or dizziness)",
        ),
        Item(
            "specific",
            "Certain situations, because of a fear of particular objects or activities (such as "
            "animals, heights, seeing blood, being in confined spaces, driving or flying)",
        ),
    ),
    scoring=Scoring.PER_ITEM,
    item_caseness_at=4,
    source="IAPT Phobia Scales (IAPT data handbook); DOMAIN.md section 3.",
)

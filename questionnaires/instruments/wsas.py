"""Work and Social Adjustment Scale (WSAS): 5 items, each 0-8; total 0-40.

No caseness; bands below 10 subclinical, 10-20 significant, above 20 moderately severe:
DOMAIN.md section 3. As on the published form, someone retired or choosing not to have a job
for reasons unrelated to their problem answers the work item "not applicable": it is stored as
that, and the total is then of the other four items (0-32), read against the same bands.
"""

from questionnaires.instrument import Instrument, Item, Scoring
from questionnaires.instruments.scales import zero_to_eight

_BECAUSE = "Because of my problem, "
_SCALE = zero_to_eight(
    {0: "Not at all", 2: "Slightly", 4: "Definitely", 6: "Markedly", 8: "Very severely"}
)

WSAS = Instrument(
    code="wsas",
    title="Work and Social Adjustment Scale (WSAS)",
    version="2",  # 2: the work item may be answered "not applicable"
    preamble=(
        "People's problems sometimes affect their ability to do day-to-day things. For each "
        "statement, choose how much your problem gets in the way: 0 means not at all, 8 means "
        "very severely."
    ),
    options=_SCALE,
    items=(
        Item(
            "work",
            _BECAUSE + "my ability to work is impaired.",
            not_applicable=(
                "Not applicable: I am retired, or choose not to have a job, for reasons "
                "unrelated to my problem"
            ),
        ),
        Item(
            "home_management",
            _BECAUSE + "my home management (cleaning, tidying, shopping, cooking, looking after "
            "home or children, paying bills) is impaired.",
        ),
        Item(
            "social_leisure",
            _BECAUSE + "my social leisure activities (with other people, for example parties, "
            "outings, visits, dating, entertaining at home) are impaired.",
        ),
        Item(
            "private_leisure",
            _BECAUSE + "my private leisure activities (done alone, for example reading, "
            "gardening, collecting, sewing, walking alone) are impaired.",
        ),
        Item(
            "relationships",
            _BECAUSE + "my ability to form and keep close relationships with others, including "
            "those I live with, is impaired.",
        ),
    ),
    scoring=Scoring.TOTAL,
    band_starts=(0, 10, 21),
    band_names=("subclinical", "significant", "moderately severe"),
    source="Mundt, Marks, Shear & Greist (2002); DOMAIN.md section 3.",
)

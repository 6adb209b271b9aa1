"""PHQ-9 (depression): 9 items scored 0-3 over the last 2 weeks; free to use.

Total 0-27; caseness at 10 or more; reliable change 6; severity bands 0-4, 5-9, 10-14, 15-19, 20-27;
item 9 above 0 is a risk signal a clinician must see before the session: DOMAIN.md section 3
(cut-off and reliable change also DOMAIN.md section 4).
"""

from questionnaires.instrument import Instrument, Item, RiskRule, Scoring
from questionnaires.instruments.scales import OFTEN_0_TO_3, OVER_THE_LAST_2_WEEKS

PHQ9 = Instrument(
    code="phq9",
    title="Patient Health Questionnaire (PHQ-9)",
    version="1",
    preamble=OVER_THE_LAST_2_WEEKS,
    options=OFTEN_0_TO_3,
    items=(
        Item("q1", "Little interest or pleasure in doing things"),
        Item("q2", "Feeling down, depressed or hopeless"),
        Item("q3", "Trouble falling or staying asleep, or sleeping too much"),
        Item("q4", "Feeling tired or having little energy"),
        Item("q5", "Poor appetite or overeating"),
        Item(
            "q6",
            "Feeling bad about yourself, or that you are a failure or have let yourself "
            "or your family down",
        ),
        Item(
            "q7",
            "Trouble concentrating on things, such as reading the newspaper or watching television",
        ),
        Item(
            "q8",
            "Moving or speaking so slowly that other people could have noticed, or the opposite: "
            "being so fidgety or restless that you have been moving around a lot more than usual",
        ),
        Item(
            "q9", "Thoughts that you would be better off dead, or of hurting yourself in some way"
        ),
    ),
    scoring=Scoring.TOTAL,
    caseness_at=10,
    reliable_change=6,
    band_starts=(0, 5, 10, 15, 20),
    band_names=("minimal", "mild", "moderate", "moderately severe", "severe"),
    risk_rules=(
        RiskRule(
            code="phq9_item9",
            description=(
                "Answered above 0 to PHQ-9 question 9: thoughts of being better off dead or of "
                "hurting themselves. A clinician must see this before the session starts."
            ),
            item="q9",
            at_least=1,
        ),
    ),
    source="Kroenke, Spitzer & Williams (2001); free to use. DOMAIN.md section 3.",
)

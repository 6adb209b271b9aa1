"""GAD-7 (anxiety): 7 items scored 0-3 over the last 2 weeks; free to use.

Total 0-21; caseness at 8 or more; reliable change 4; severity bands 0-4, 5-9, 10-14, 15-21:
DOMAIN.md section 3 (cut-off and reliable change also DOMAIN.md section 4).
"""

from questionnaires.instrument import Instrument, Item, Scoring
from questionnaires.instruments.scales import OFTEN_0_TO_3, OVER_THE_LAST_2_WEEKS

GAD7 = Instrument(
    code="gad7",
    title="Generalised Anxiety Disorder Assessment (GAD-7)",
    version="1",
    preamble=OVER_THE_LAST_2_WEEKS,
    options=OFTEN_0_TO_3,  # the same scale as PHQ-9
    items=(
        Item("q1", "Feeling nervous, anxious or on edge"),
        Item("q2", "Not being able to stop or control worrying"),
        Item("q3", "Worrying too much about different things"),
        Item("q4", "Trouble relaxing"),
        Item("q5", "Being so restless that it is hard to sit still"),
        Item("q6", "Becoming easily annoyed or irritable"),
        Item("q7", "Feeling afraid, as if something awful might happen"),
    ),
    scoring=Scoring.TOTAL,
    caseness_at=8,
    reliable_change=4,
    band_starts=(0, 5, 10, 15),
    band_names=("minimal", "mild", "moderate", "severe"),
    source="Spitzer, Kroenke, Williams & Löwe (2006); free to use. DOMAIN.md section 3.",
)

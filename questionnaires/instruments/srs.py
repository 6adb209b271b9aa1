"""Session Rating Scale (SRS): 4 ratings, each 0-10; total 0-40. LICENSED wording.

Four ratings (relationship, goals and topics, approach or method, overall); a total of 36 or less is
an alliance concern the therapist should see (DOMAIN.md section 3). The SRS is licensed to the
deploying organisation (Duncan & Miller): the wording below is a plain-English placeholder written
for this project, not the published text. A licensed deployment replaces it with
``SRS.reworded({...})``; keys, options and scoring stay the same.
"""

from questionnaires.instrument import Instrument, Item, Option, RiskRule, Scoring

ALLIANCE_CONCERN_AT_MOST = 36  # total, DOMAIN.md section 3


def _rating(low: str, high: str) -> tuple[Option, ...]:
    """0-10 with the two ends described; the points between are numbers only."""
    labels = {0: f"0 – {low}", 10: f"10 – {high}"}
    return tuple(Option(value, labels.get(value, str(value))) for value in range(11))


SRS = Instrument(
    code="srs",
    title="Session Rating Scale (SRS)",
    version="2",  # 2: plain wording for any session, not only "today's"
    preamble=(
        "How did this session feel for you? Choose a number on each line. Your therapist sees "
        "your ratings, so that together you can change what is not working."
    ),
    items=(
        Item(
            "relationship",
            "Relationship: how heard, understood and respected did you feel?",
            _rating("Not at all", "Completely"),
        ),
        Item(
            "goals_topics",
            "Goals and topics: did we work on what you wanted to work on?",
            _rating("Not at all", "Completely"),
        ),
        Item(
            "approach_method",
            "Approach or method: did the therapist's way of working suit you?",
            _rating("Not at all", "Completely"),
        ),
        Item(
            "overall",
            "Overall: how right did this session feel for you?",
            _rating("Something was missing", "It was right for me"),
        ),
    ),
    scoring=Scoring.TOTAL,
    risk_rules=(
        RiskRule(
            code="srs_alliance_concern",
            description=(
                "Session rating total of 36 or less: the patient may not feel the session "
                "worked for them. The therapist should see this and talk it through."
            ),
            at_most=ALLIANCE_CONCERN_AT_MOST,
        ),
    ),
    free_to_use=False,
    licence_note=(
        "The Session Rating Scale (Duncan & Miller) needs a licence held by the deploying "
        "organisation. The wording shipped here is a placeholder; load the licensed wording "
        "with SRS.reworded(...)."
    ),
    source="Duncan, Miller et al. (2003); DOMAIN.md sections 2 and 3.",
)

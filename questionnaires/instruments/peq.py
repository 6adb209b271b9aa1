"""Patient experience questionnaires (PEQ) for assessment and for treatment: recorded, never scored.

Completed before treatment ends (DOMAIN.md section 2); reported per completed treatment (section 6).
The items are this project's own words, modelled on the national IAPT PEQ, with its answer scale
"Never" to "At all times", and free-text comments with a length limit.
"""

from questionnaires.instrument import Condition, Instrument, Item, ItemKind, Option
from questionnaires.instruments.scales import YES_NO_NOT_STATED

COMMENTS_MAX_LENGTH = 2000  # characters

HOW_OFTEN = (
    Option(0, "Never"),
    Option(1, "Rarely"),
    Option(2, "Sometimes"),
    Option(3, "Most of the time"),
    Option(4, "At all times"),
)

_COMMENTS = Item(
    "comments",
    "Is there anything else you would like to tell us about your experience? (optional)",
    kind=ItemKind.TEXT,
    max_length=COMMENTS_MAX_LENGTH,
    required=False,
)

_LISTENED = Item("listened", "Did staff listen to you and treat your concerns seriously?")

PEQ_ASSESSMENT = Instrument(
    code="peq_assessment",
    title="Your assessment: patient experience questionnaire",
    version="1",
    preamble="Please tell us about your assessment. Your answers help us improve the service.",
    options=HOW_OFTEN,
    items=(
        Item(
            "told_about_treatments",
            "Were you told about the treatments that could help with your difficulties?",
            YES_NO_NOT_STATED,
        ),
        Item(
            "has_preference",
            "Did you prefer one of the treatments you were told about?",
            YES_NO_NOT_STATED,
        ),
        Item(
            "preference_offered",
            "Were you offered the treatment you preferred?",
            YES_NO_NOT_STATED,
            asked_if=Condition(item="has_preference", values=frozenset({"Y"})),
        ),
        _LISTENED,
        Item(
            "helped_understand",
            "Has the assessment helped you understand your difficulties better?",
        ),
        Item("involved", "Did you feel involved in deciding what happens next in your care?"),
        _COMMENTS,
    ),
    source="Modelled on the national IAPT assessment PEQ; DOMAIN.md section 2.",
)

PEQ_TREATMENT = Instrument(
    code="peq_treatment",
    title="Your treatment: patient experience questionnaire",
    version="1",
    preamble="Please tell us about your treatment. Your answers help us improve the service.",
    options=HOW_OFTEN,
    items=(
        _LISTENED,
        Item(
            "helped_understand",
            "Has the service helped you to understand and deal with your difficulties?",
        ),
        Item("involved", "Did you feel involved in making choices about your treatment and care?"),
        Item("help_that_mattered", "Looking back, did you get the help that mattered to you?"),
        Item(
            "confidence_in_therapist",
            "Did you have confidence in your therapist and in their skills and methods?",
        ),
        _COMMENTS,
    ),
    source="Modelled on the national IAPT treatment PEQ; DOMAIN.md section 2.",
)

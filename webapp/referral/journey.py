"""The self-referral journey as data: its question pages in order, and what each answer reads
as on the check-your-answers page (the NHS.UK "question page" pattern: one thing per page).

A practitioner's referral already holds the patient's name, date of birth, contact details,
postcode and GP, so the patient finishing it answers only the pages from "help-with" on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from webapp.referral import codes, forms

CHECK_ANSWERS = "check-your-answers"


@dataclass(frozen=True)
class Step:
    slug: str
    form: type[forms.QuestionForm]
    title: str  # the question, as the page's title and heading
    describe: Callable[[Mapping[str, Any]], str]  # the answer in words
    hint: str = ""


def _code(attribute: str, code_list: Mapping[str, str]) -> Callable[[Mapping[str, Any]], str]:
    return lambda answers: codes.label(code_list, answers.get(attribute))


def _date_of_birth(answers: Mapping[str, Any]) -> str:
    value = date.fromisoformat(answers["date_of_birth"])
    return f"{value.day} {value:%B %Y}"


def _contact(answers: Mapping[str, Any]) -> str:
    return "\n".join(filter(None, [answers.get("email"), answers.get("mobile_e164")]))


def _issue(answers: Mapping[str, Any]) -> str:
    return "\n".join(
        filter(
            None,
            [
                codes.label(codes.ISSUE_TYPES, answers.get("issue_type")),
                answers.get("issue_details"),
            ],
        )
    )


def _sought_help(answers: Mapping[str, Any]) -> str:
    chosen = [
        label for code, label in codes.SOUGHT_HELP.items() if answers.get(f"sought_help_{code}")
    ]
    return "\n".join(chosen) or "None of these"


def _heard(answers: Mapping[str, Any]) -> str:
    return "\n".join(
        filter(
            None,
            [
                codes.label(codes.HEARD_ABOUT, answers.get("heard_about")),
                answers.get("heard_about_other"),
            ],
        )
    )


def _communication(answers: Mapping[str, Any]) -> str:
    # What will really happen: no texts without a number to send them to.
    has_mobile = bool(answers.get("mobile_e164"))
    channels = [
        name
        for key, name in (("sms", "Text message"), ("email", "Email"))
        if answers.get(f"{key}_reminders") and (key != "sms" or has_mobile)
    ]
    lines = [
        "Reminders by " + " and ".join(c.lower() for c in channels) if channels else "No reminders",
        f"Language: {answers.get('language', 'English')}",
        "Would like an interpreter"
        if answers.get("needs_interpreter")
        else "No interpreter needed",
    ]
    if answers.get("accessibility_needs"):
        lines.append(answers["accessibility_needs"])
    return "\n".join(lines)


def _demographic(slug: str, attribute: str, question: str, hint: str = "") -> Step:
    code_list = codes.DEMOGRAPHICS[attribute]
    return Step(
        slug,
        forms.code_question(attribute, question, code_list, hint),
        question,
        _code(attribute, code_list),
        hint,
    )


ABOUT_YOU_HINT = (
    "We ask everyone this to check our service is fair to all. It does not change the care you get."
)

SELF_STEPS: tuple[Step, ...] = (
    Step(
        "date-of-birth",
        forms.DateOfBirthForm,
        "What is your date of birth?",
        _date_of_birth,
        "For example, 15 3 1990",
    ),
    Step(
        "postcode",
        forms.PostcodeForm,
        "What is your postcode?",
        lambda a: str(a.get("postcode", "")),
        "We use it to check that our service covers where you live.",
    ),
    Step("name", forms.NameForm, "What is your full name?", lambda a: str(a.get("full_name", ""))),
    Step(
        "contact-details",
        forms.ContactForm,
        "How can we contact you?",
        _contact,
        "We will email you about your referral. We only text you if you ask for text reminders.",
    ),
    Step(
        "gp-practice",
        forms.GpPracticeForm,
        "What is the name of your GP practice?",
        lambda a: str(a.get("gp_practice") or "Not registered with a GP"),
        "Leave this blank if you are not registered with a GP.",
    ),
    Step("help-with", forms.IssueForm, "What would you like help with?", _issue),
    Step(
        "help-elsewhere",
        forms.SoughtHelpForm,
        "Have you had help for how you feel anywhere else?",
        _sought_help,
        "Select all that apply.",
    ),
    _demographic("gender", "gender", "What is your gender?", ABOUT_YOU_HINT),
    _demographic("ethnicity", "ethnicity", "What is your ethnic group?", ABOUT_YOU_HINT),
    _demographic(
        "sexual-orientation",
        "sexual_orientation",
        "What is your sexual orientation?",
        ABOUT_YOU_HINT,
    ),
    _demographic(
        "disability", "disability", "Do you consider yourself to have a disability?", ABOUT_YOU_HINT
    ),
    _demographic("religion", "religion", "What is your religion or belief?", ABOUT_YOU_HINT),
    _demographic(
        "long-term-conditions",
        "long_term_condition",
        "Do you have a long-term physical health condition?",
        "For example, diabetes, asthma, arthritis or a heart condition.",
    ),
    _demographic("living-status", "living_status", "Who do you live with?", ABOUT_YOU_HINT),
    _demographic(
        "employment-status", "employment_status", "What best describes your work situation?"
    ),
    Step("heard-about", forms.HeardAboutForm, "How did you hear about us?", _heard),
    Step(
        "communication",
        forms.CommunicationForm,
        "How would you like us to communicate with you?",
        _communication,
    ),
    Step(
        "consent",
        forms.ConsentForm,
        "How we use your information",
        lambda a: "You agreed" if a.get("consent") else "Not agreed",
    ),
)

FINISH_STEPS: tuple[Step, ...] = SELF_STEPS[[s.slug for s in SELF_STEPS].index("help-with") :]
ELIGIBILITY_STEPS = frozenset({"date-of-birth", "postcode"})


def steps_for(*, is_finishing: bool) -> tuple[Step, ...]:
    return FINISH_STEPS if is_finishing else SELF_STEPS


def step_named(steps: tuple[Step, ...], slug: str) -> Step | None:
    return next((step for step in steps if step.slug == slug), None)


def first_unanswered(steps: tuple[Step, ...], answers: Mapping[str, Any]) -> Step | None:
    done = set(answers.get("_steps", []))
    return next((step for step in steps if step.slug not in done), None)


def next_slug(steps: tuple[Step, ...], answers: Mapping[str, Any]) -> str:
    """The next page: the first question not yet answered, else check your answers."""
    step = first_unanswered(steps, answers)
    return step.slug if step is not None else CHECK_ANSWERS


def may_open(steps: tuple[Step, ...], step: Step, answers: Mapping[str, Any]) -> bool:
    """A page opens once every page before it is answered (no skipping the age check)."""
    missing = first_unanswered(steps, answers)
    return missing is None or steps.index(step) <= steps.index(missing)


def summary(steps: tuple[Step, ...], answers: Mapping[str, Any]) -> list[tuple[Step, str]]:
    return [(step, step.describe(answers)) for step in steps]

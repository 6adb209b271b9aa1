"""Referral forms: one question page each, validated on the server with NHS.UK-style messages.

Each form knows how to turn its fields into stored answers (`answers`) and back (`initial`),
so the journey can hold them in a draft between pages. Every free-text field has a length limit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, ClassVar

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    RadioField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from webapp.forms_nhsuk import uk_mobile
from webapp.referral import codes, eligibility


def _choices(pairs: Any) -> list[SelectChoice]:
    if isinstance(pairs, Mapping):
        pairs = pairs.items()
    return [SelectChoice(value, label) for value, label in pairs]


def _limit(characters: int, what: str) -> Length:
    return Length(max=characters, message=f"{what} must be {characters} characters or fewer")


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class QuestionForm(FlaskForm):
    """A question page's form. By default an answer is stored under its field's name."""

    kind: ClassVar[str] = "fields"  # how the question template lays the page out

    def answers(self) -> dict[str, Any]:
        return {field.name: field.data for field in self if field.name != "csrf_token"}

    @classmethod
    def initial(cls, answers: Mapping[str, Any]) -> dict[str, Any]:
        return {name: answers[name] for name in cls.__dict__ if name in answers}


class DateOfBirthFields:
    """Day, month and year boxes (the NHS.UK date input), checked as one real date."""

    day = StringField("Day", validators=[_limit(2, "Day")])
    month = StringField("Month", validators=[_limit(2, "Month")])
    year = StringField("Year", validators=[_limit(4, "Year")])
    date_error: str | None = None

    def birth_date(self) -> date | None:
        parts = [
            (self.day.data or "").strip(),  # type: ignore[attr-defined]
            (self.month.data or "").strip(),  # type: ignore[attr-defined]
            (self.year.data or "").strip(),  # type: ignore[attr-defined]
        ]
        if not any(parts):
            self.date_error = "Enter your date of birth"
            return None
        if not all(part.isdigit() for part in parts):
            self.date_error = "Date of birth must be a real date, like 15 3 1990"
            return None
        day, month, year = (int(part) for part in parts)
        try:
            value = date(year, month, day)
        except ValueError:
            self.date_error = "Date of birth must be a real date, like 15 3 1990"
            return None
        if year < 1900:
            self.date_error = "Year of birth must be 1900 or later"
            return None
        if value > date.today():  # noqa: DTZ011 - a birth date is a calendar date, not an instant
            self.date_error = "Date of birth must be in the past"
            return None
        return value


class DateOfBirthForm(DateOfBirthFields, QuestionForm):
    kind = "date"
    legend = "What is your date of birth?"
    hint = "For example, 15 3 1990"

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        self.value = self.birth_date()
        return ok and self.value is not None

    def answers(self) -> dict[str, Any]:
        return {"date_of_birth": self.value.isoformat()}

    @classmethod
    def initial(cls, answers: Mapping[str, Any]) -> dict[str, Any]:
        if not answers.get("date_of_birth"):
            return {}
        value = date.fromisoformat(answers["date_of_birth"])
        return {"day": str(value.day), "month": str(value.month), "year": str(value.year)}


def _valid_postcode(_form: Any, field: StringField) -> None:
    try:
        eligibility.parse_postcode(field.data or "")
    except ValueError:
        raise ValidationError("Enter a full UK postcode, like LS1 4AP") from None


class PostcodeForm(QuestionForm):
    postcode = StringField(
        "What is your postcode?",
        validators=[DataRequired("Enter your postcode"), _limit(10, "Postcode"), _valid_postcode],
    )

    def answers(self) -> dict[str, Any]:
        return {"postcode": str(eligibility.parse_postcode(self.postcode.data or ""))}


class NameForm(QuestionForm):
    full_name = StringField(
        "What is your full name?",
        validators=[DataRequired("Enter your full name"), _limit(200, "Full name")],
    )

    def answers(self) -> dict[str, Any]:
        return {"full_name": (self.full_name.data or "").strip()}


class ContactForm(QuestionForm):
    email = EmailField(
        "Email address",
        validators=[
            DataRequired("Enter your email address"),
            _limit(254, "Email address"),
            Email(
                "Enter an email address in the correct format, like name@example.com",
                check_deliverability=False,
            ),
        ],
    )
    mobile = StringField(
        "UK mobile number (optional)", validators=[_limit(20, "Mobile number"), uk_mobile]
    )

    def answers(self) -> dict[str, Any]:
        mobile = (self.mobile.data or "").strip()
        return {
            "email": (self.email.data or "").strip().lower(),
            "mobile_e164": eligibility.normalise_uk_mobile(mobile) if mobile else "",
        }

    @classmethod
    def initial(cls, answers: Mapping[str, Any]) -> dict[str, Any]:
        return {"email": answers.get("email"), "mobile": answers.get("mobile_e164")}


class GpPracticeForm(QuestionForm):
    gp_practice = StringField(
        "What is the name of your GP practice?",
        validators=[_limit(200, "GP practice")],
    )

    def answers(self) -> dict[str, Any]:
        return {"gp_practice": (self.gp_practice.data or "").strip()}


class IssueForm(QuestionForm):
    issue_type = RadioField(
        "What would you like help with?",
        choices=_choices(codes.ISSUE_TYPES),
        validators=[InputRequired("Select what you would like help with")],
    )
    issue_details = TextAreaField(
        "Tell us more, if you want to (optional)",
        validators=[_limit(1000, "What you tell us")],
    )

    def answers(self) -> dict[str, Any]:
        return {
            "issue_type": self.issue_type.data,
            "issue_details": (self.issue_details.data or "").strip(),
        }


NO_HELP = "none"


class SoughtHelpForm(QuestionForm):
    sought_help = MultiCheckboxField(
        "Have you had help for how you feel anywhere else?",
        choices=_choices([*codes.SOUGHT_HELP.items(), (NO_HELP, "No, none of these")]),
        validators=[DataRequired("Select where you have had help, or select ‘No, none of these’")],
    )

    def validate_sought_help(self, field: MultiCheckboxField) -> None:
        if NO_HELP in (field.data or []) and len(field.data) > 1:
            raise ValidationError(
                "Select where you have had help, or ‘No, none of these’, not both"
            )

    def answers(self) -> dict[str, Any]:
        chosen = set(self.sought_help.data or [])
        return {f"sought_help_{code}": code in chosen for code in codes.SOUGHT_HELP}

    @classmethod
    def initial(cls, answers: Mapping[str, Any]) -> dict[str, Any]:
        if "sought_help_gp" not in answers:
            return {}
        chosen = [code for code in codes.SOUGHT_HELP if answers.get(f"sought_help_{code}")]
        return {"sought_help": chosen or [NO_HELP]}


def code_question(
    attribute: str, question: str, code_list: Mapping[str, str], hint: str = ""
) -> type[QuestionForm]:
    """A one-question page whose answer is one code from a list (demographics)."""
    field = RadioField(
        question,
        choices=_choices(code_list),
        validators=[InputRequired(f"Select an answer, or ‘{codes.PREFER_NOT_TO_SAY}’")],
    )
    return type(
        f"{attribute.title().replace('_', '')}Form",
        (QuestionForm,),
        {attribute: field, "kind": "radios", "hint": hint},
    )


class HeardAboutForm(QuestionForm):
    heard_about = RadioField(
        "How did you hear about us?",
        choices=_choices(codes.HEARD_ABOUT),
        validators=[InputRequired("Select how you heard about us")],
    )
    heard_about_other = StringField(
        "Where did you hear about us? (optional)", validators=[_limit(200, "Where you heard")]
    )

    def answers(self) -> dict[str, Any]:
        other = (
            (self.heard_about_other.data or "").strip() if self.heard_about.data == "other" else ""
        )
        return {"heard_about": self.heard_about.data, "heard_about_other": other}


class CommunicationForm(QuestionForm):
    contact_by = MultiCheckboxField(
        "How should we send you reminders?",
        choices=_choices([("sms", "Text message"), ("email", "Email")]),
        validators=[Optional()],
    )
    accessibility_needs = TextAreaField(
        "Is there anything that would make our service easier for you to use? (optional)",
        validators=[_limit(500, "What would make it easier")],
    )
    language = StringField(
        "Which language would you like to use?",
        validators=[
            DataRequired("Enter the language you would like to use"),
            _limit(60, "Language"),
        ],
    )
    needs_interpreter = RadioField(
        "Would you like an interpreter?",
        choices=_choices([("yes", "Yes"), ("no", "No")]),
        validators=[InputRequired("Select yes if you would like an interpreter")],
    )

    def answers(self) -> dict[str, Any]:
        chosen = set(self.contact_by.data or [])
        return {
            "sms_reminders": "sms" in chosen,
            "email_reminders": "email" in chosen,
            "accessibility_needs": (self.accessibility_needs.data or "").strip(),
            "language": (self.language.data or "").strip(),
            "needs_interpreter": self.needs_interpreter.data == "yes",
        }

    @classmethod
    def initial(cls, answers: Mapping[str, Any]) -> dict[str, Any]:
        if "language" not in answers:
            return {"language": "English"}
        return {
            "contact_by": [k for k in ("sms", "email") if answers.get(f"{k}_reminders")],
            "accessibility_needs": answers.get("accessibility_needs", ""),
            "language": answers["language"],
            "needs_interpreter": "yes" if answers.get("needs_interpreter") else "no",
        }

    def validate_contact_by(self, field: MultiCheckboxField) -> None:
        if "sms" in (field.data or []) and not getattr(self, "has_mobile", True):
            raise ValidationError("Give a mobile number to get text messages, or choose email")


class ConsentForm(QuestionForm):
    kind = "consent"
    consent = BooleanField(
        "I agree to the service using my information as the privacy notice describes",
        validators=[DataRequired("Confirm that you agree to how we use your information")],
    )


ACCEPT = "accepted"
SAME_PERSON = "same_person"


class DecisionForm(FlaskForm):
    """The clinical lead's decision. `patients` are the existing patients the referral may be
    (`queries.patients_among`): with any, "Same person" is offered, to be chosen among them,
    and accepting needs an explicit "this is a different person" with a reason."""

    decision = RadioField(
        "What is your decision?",
        choices=_choices(
            [
                (ACCEPT, "Accept"),
                (SAME_PERSON, "Same person: add to their existing record"),
                ("declined", "Decline"),
                ("signposted", "Signpost to another service"),
            ]
        ),
        validators=[InputRequired("Select a decision")],
        validate_choice=False,  # checked against the choices offered, in `validate_decision`
    )
    existing_patient = RadioField(
        "If this is the same person, whose record is it?", choices=[], validate_choice=False
    )
    different_person = BooleanField("This is a different person from the possible duplicates")
    different_person_reason = TextAreaField(
        "How do you know this is a different person? (needed to accept)",
        validators=[_limit(1000, "How you know")],
    )
    reason = TextAreaField(
        "Reason (needed to decline or signpost; a signposting reason is emailed to the person)",
        validators=[_limit(1000, "Reason")],
    )

    def __init__(self, *args: Any, patients: Sequence[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.patients = list(patients)
        if not self.patients:
            self.decision.choices = [
                choice
                for choice in self.decision.choices  # type: ignore[union-attr]
                if choice.value != SAME_PERSON
            ]
        self.existing_patient.choices = _choices(
            [(str(patient.id), _patient_label(patient)) for patient in self.patients]
        )

    def validate_decision(self, field: RadioField) -> None:
        if field.data not in {choice.value for choice in field.choices}:
            raise ValidationError("Select a decision")

    def validate_existing_patient(self, field: RadioField) -> None:
        if self.decision.data != SAME_PERSON:
            return
        if field.data not in {choice.value for choice in field.choices}:
            raise ValidationError("Select whose record this referral is for")

    def validate_different_person(self, field: BooleanField) -> None:
        if self.decision.data == ACCEPT and self.patients and not field.data:
            raise ValidationError("Confirm that this is a different person, or choose Same person")

    def validate_different_person_reason(self, field: TextAreaField) -> None:
        if self.decision.data == ACCEPT and self.patients and not (field.data or "").strip():
            raise ValidationError("Say how you know this is a different person")

    def validate_reason(self, field: TextAreaField) -> None:
        if self.decision.data in ("declined", "signposted") and not (field.data or "").strip():
            raise ValidationError("Enter the reason for your decision")

    def chosen_patient_id(self) -> int:
        return int(self.existing_patient.data)


def _patient_label(patient: Any) -> str:
    profile = patient.patient_profile
    born = f", born {profile.date_of_birth:%-d %B %Y}, {profile.postcode}" if profile else ""
    return f"{patient.full_name} ({patient.email}){born}"


class PractitionerReferralForm(DateOfBirthFields, FlaskForm):
    referrer_name = StringField(
        "Your full name",
        validators=[DataRequired("Enter your full name"), _limit(200, "Your name")],
    )
    referrer_role = StringField(
        "Your role",
        validators=[
            DataRequired("Enter your role, like GP or work coach"),
            _limit(100, "Your role"),
        ],
    )
    referrer_organisation = StringField(
        "Your organisation",
        validators=[DataRequired("Enter your organisation"), _limit(200, "Your organisation")],
    )
    referrer_email = EmailField(
        "Your work email address",
        validators=[
            DataRequired("Enter your work email address"),
            _limit(254, "Your email address"),
            Email(
                "Enter an email address in the correct format, like name@example.com",
                check_deliverability=False,
            ),
        ],
    )
    source_code = RadioField(
        "Which kind of service are you referring from?",
        choices=_choices(codes.PRACTITIONER_SOURCES),
        validators=[InputRequired("Select the kind of service you are referring from")],
    )
    full_name = StringField(
        "Patient’s full name",
        validators=[DataRequired("Enter the patient’s full name"), _limit(200, "Patient’s name")],
    )
    email = EmailField(
        "Patient’s email address",
        validators=[
            DataRequired("Enter the patient’s email address"),
            _limit(254, "Patient’s email address"),
            Email(
                "Enter an email address in the correct format, like name@example.com",
                check_deliverability=False,
            ),
        ],
    )
    mobile = StringField(
        "Patient’s UK mobile number (optional)",
        validators=[_limit(20, "Mobile number"), uk_mobile],
    )
    postcode = StringField(
        "Patient’s postcode",
        validators=[
            DataRequired("Enter the patient’s postcode"),
            _limit(10, "Postcode"),
            _valid_postcode,
        ],
    )
    gp_practice = StringField(
        "Patient’s GP practice (optional)", validators=[_limit(200, "GP practice")]
    )
    patient_consented_to_referral = BooleanField(
        "The patient agrees to be referred and to be contacted by the service",
        validators=[DataRequired("Confirm that the patient agrees to be referred")],
    )

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        self.value = self.birth_date()
        if self.value is not None:
            return ok
        self.date_error = (self.date_error or "").replace("your date", "the patient’s date")
        return False

    def details(self) -> dict[str, Any]:
        mobile = (self.mobile.data or "").strip()
        return {
            "referrer_name": (self.referrer_name.data or "").strip(),
            "referrer_role": (self.referrer_role.data or "").strip(),
            "referrer_organisation": (self.referrer_organisation.data or "").strip(),
            "referrer_email": (self.referrer_email.data or "").strip(),
            "source_code": self.source_code.data,
            "full_name": (self.full_name.data or "").strip(),
            "date_of_birth": self.value,
            "email": (self.email.data or "").strip(),
            "mobile_e164": eligibility.normalise_uk_mobile(mobile) if mobile else None,
            "postcode": self.postcode.data or "",
            "gp_practice": (self.gp_practice.data or "").strip(),
            "patient_consented_to_referral": bool(self.patient_consented_to_referral.data),
        }

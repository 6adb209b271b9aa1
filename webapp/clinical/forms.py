"""The clinical lead's forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError

from webapp.models import CredentialKind
from webapp.therapy.forms import parse_date


class CredentialForm(FlaskForm):
    kind = SelectField(
        "Credential", choices=[SelectChoice(kind.value, kind.label) for kind in CredentialKind]
    )
    body = StringField(
        "Registering body or insurer (if any)",
        validators=[Length(max=120, message="This must be 120 characters or fewer")],
    )
    reference = StringField(
        "Number",
        validators=[
            DataRequired("Enter the registration, certificate or policy number"),
            Length(max=80, message="Number must be 80 characters or fewer"),
        ],
    )
    expires_on = StringField(
        "Expiry or renewal date", validators=[DataRequired("Enter the expiry date")]
    )

    def validate_expires_on(self, field: StringField) -> None:
        if parse_date(field.data) is None:
            raise ValidationError("Enter the expiry date as a real date, like 2027-03-31")

    def validate_body(self, field: StringField) -> None:
        if self.kind.data == CredentialKind.REGISTRATION.value and not (field.data or "").strip():
            raise ValidationError("Enter the body the therapist is registered with, like BABCP")

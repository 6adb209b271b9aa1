"""Staff account management forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length

from webapp.models import Role

ROLE_CHOICES = [SelectChoice(role.value, role.label) for role in Role]


class CreateUserForm(FlaskForm):
    full_name = StringField(
        "Full name",
        validators=[
            DataRequired("Enter their full name"),
            Length(max=200, message="Full name must be 200 characters or fewer"),
        ],
    )
    email = EmailField(
        "Email address",
        validators=[
            DataRequired("Enter their email address"),
            Email(
                "Enter an email address in the correct format, like name@example.com",
                check_deliverability=False,
            ),
            Length(max=254, message="Email address must be 254 characters or fewer"),
        ],
    )
    role = SelectField(
        "Role",
        choices=ROLE_CHOICES,
        validators=[DataRequired("Select a role")],
    )


class ChangeRoleForm(FlaskForm):
    role = SelectField(
        "Role",
        choices=ROLE_CHOICES,
        validators=[DataRequired("Select a role")],
    )

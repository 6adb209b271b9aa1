"""Account forms. Messages follow the NHS.UK error message pattern ("Enter your email address")."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, InputRequired, Length, ValidationError

from webapp.auth.passwords import MAX_LENGTH, password_problem


class SignInForm(FlaskForm):
    email = EmailField(
        "Email address",
        validators=[
            DataRequired("Enter your email address"),
            Length(max=254, message="Email address must be 254 characters or fewer"),
        ],
    )
    password = PasswordField(
        "Password",
        validators=[
            InputRequired("Enter your password"),
            Length(max=MAX_LENGTH, message="Enter your password"),
        ],
    )


class SecondFactorForm(FlaskForm):
    code = StringField(
        "Security code",
        validators=[
            DataRequired("Enter the 6-digit code from your authenticator app, or a recovery code"),
            Length(
                max=20,
                message="Enter the 6-digit code from your authenticator app, or a recovery code",
            ),
        ],
    )


class TotpSetupForm(FlaskForm):
    code = StringField(
        "Security code",
        validators=[
            DataRequired("Enter the 6-digit code shown in your authenticator app"),
            Length(max=10, message="Enter the 6-digit code shown in your authenticator app"),
        ],
    )


class ForgotPasswordForm(FlaskForm):
    email = EmailField(
        "Email address",
        validators=[
            DataRequired("Enter your email address"),
            Email(
                "Enter an email address in the correct format, like name@example.com",
                check_deliverability=False,
            ),
            Length(max=254, message="Email address must be 254 characters or fewer"),
        ],
    )


class NewPasswordForm(FlaskForm):
    password = PasswordField("New password", validators=[InputRequired("Enter a new password")])
    confirm = PasswordField(
        "Confirm new password", validators=[InputRequired("Enter the new password again")]
    )

    def __init__(self, *args: object, email: str = "", **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self._email = email

    def validate_password(self, field: PasswordField) -> None:
        problem = password_problem(field.data or "", email=self._email)
        if problem:
            raise ValidationError(problem)

    def validate_confirm(self, field: PasswordField) -> None:
        if field.data != self.password.data:
            raise ValidationError("The passwords do not match")


class ChangePasswordForm(NewPasswordForm):
    current = PasswordField(
        "Current password", validators=[InputRequired("Enter your current password")]
    )

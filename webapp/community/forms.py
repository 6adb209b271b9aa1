"""Forms for the community: joining, posting, replying, reporting."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

POST_MAX = 5000
TITLE_MAX = 150


class JoinForm(FlaskForm):
    handle = StringField(
        "Your name in the community",
        validators=[InputRequired("Enter a name to use in the community")],
    )
    accept_rules = BooleanField(
        "I have read the house rules and agree to follow them",
        validators=[DataRequired("Agree to the house rules to join the community")],
    )


def _body(label: str, missing: str) -> TextAreaField:
    return TextAreaField(
        label,
        validators=[
            InputRequired(missing),
            Length(max=POST_MAX, message=f"Your post must be {POST_MAX:,} characters or fewer"),
        ],
    )


class ThreadForm(FlaskForm):
    title = StringField(
        "Title",
        validators=[
            InputRequired("Enter a title"),
            Length(max=TITLE_MAX, message=f"The title must be {TITLE_MAX} characters or fewer"),
        ],
    )
    body = _body("Your post", "Enter your post")


class ReplyForm(FlaskForm):
    body = _body("Your reply", "Enter your reply")


class ReportForm(FlaskForm):
    reason = TextAreaField(
        "Why are you reporting this post?",
        validators=[
            InputRequired("Tell us why you are reporting this post"),
            Length(max=1000, message="Your reason must be 1,000 characters or fewer"),
        ],
    )


class SupportForm(FlaskForm):
    """Only the CSRF token: sending support is one button."""

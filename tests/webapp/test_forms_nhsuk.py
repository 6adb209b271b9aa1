"""The shared NHS.UK form fields: a whole number that says what to enter when it is not one."""

from __future__ import annotations

import pytest
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms.validators import InputRequired, NumberRange, Optional

from webapp.forms_nhsuk import WholeNumberField

SAY = "Enter how many weeks as a whole number, like 6"


class WeeksForm(FlaskForm):
    class Meta:
        csrf = False

    weeks = WholeNumberField(
        "How many weeks",
        not_a_number=SAY,
        validators=[InputRequired("Enter how many weeks"), NumberRange(1, 12, "From 1 to 12")],
    )
    spare = WholeNumberField("Spare", not_a_number="Whole, please", validators=[Optional()])


@pytest.mark.parametrize(
    ("typed", "value", "first_error"),
    [
        ("6", 6, None),
        (" 6 ", 6, None),
        ("six", None, SAY),
        ("6.5", None, SAY),
        ("13", 13, "From 1 to 12"),
        ("", None, "Enter how many weeks"),
    ],
)
def test_a_whole_number_or_a_clear_message(app, typed, value, first_error):
    with app.test_request_context():
        form = WeeksForm(formdata=MultiDict({"weeks": typed}))
        assert form.validate() is (first_error is None)
        assert form.weeks.data == value
        assert (form.weeks.errors[0] if form.weeks.errors else None) == first_error
        assert form.spare.errors == [] and form.spare.data is None

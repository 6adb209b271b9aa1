"""The safety plan form, one box per section of `content.safety_plan`."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import Length, Optional

from content.safety_plan import KEYS, MAX_SECTION_LENGTH, SECTIONS


class SafetyPlanForm(FlaskForm):
    def validate(self, extra_validators: Any = None) -> bool:
        if not super().validate(extra_validators):
            return False
        if not any(str(self[key].data or "").strip() for key in KEYS):
            self.form_errors.append(
                "Fill in at least one part of your safety plan before you save it"
            )
            return False
        return True

    def answers(self) -> dict[str, str]:
        return {key: str(self[key].data or "").strip() for key in KEYS}


for _section in SECTIONS:
    setattr(
        SafetyPlanForm,
        _section.key,
        TextAreaField(
            _section.heading,
            validators=[
                Optional(),
                Length(
                    max=MAX_SECTION_LENGTH,
                    message=f"{_section.heading} must be {MAX_SECTION_LENGTH:,} characters or "
                    "fewer",
                ),
            ],
        ),
    )

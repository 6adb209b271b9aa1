"""What someone typed into a form that could not be saved, to give it back so they can copy it:
a form sent after a time limit signed them out, or a referral page refused for coming too fast
(webapp.errors).

Only text boxes come back, found by name among the app's WTForms text fields and the
worksheets' written parts, with their labels: never a password, a CSRF token, a hidden field,
a choice, a security code, or a name the app does not know as a text box. A name that forms
label differently takes the label its own feature's forms give it, else one made from the name.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import FormField, HiddenField, PasswordField, StringField
from wtforms.fields.core import UnboundField

from content.worksheets import WORKSHEETS, FieldKind


@dataclass(frozen=True)
class Typed:
    label: str
    text: str


NEVER_GIVEN_BACK = frozenset({"code"})  # a security code: single use, and over anyway


def typed_text(form: MultiDict[str, str], feature: str | None = None) -> list[Typed]:
    """The text boxes someone filled in, in the order they were sent; `feature` (the
    blueprint's name) picks between labels that different features give one name."""
    boxes = text_boxes()
    return [
        Typed(_label(name, boxes[name], feature), text)
        for name, text in form.items(multi=True)
        if name in boxes and name not in NEVER_GIVEN_BACK and text.strip()
    ]


def _label(name: str, by_module: dict[str, set[str]], feature: str | None) -> str:
    everywhere = set().union(*by_module.values())
    own = by_module.get(f"webapp.{feature}.forms", set())
    for labels in (own, everywhere):
        if len(labels) == 1:
            return next(iter(labels))
    return _from_name(name)


@cache
def text_boxes() -> dict[str, dict[str, set[str]]]:
    """Every text box's name -> the module of each form that has it -> its labels there (forms
    are classes made at import, so once will do)."""
    from webapp.library.forms import WorksheetForm

    boxes: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for form in _subclasses(FlaskForm):
        if issubclass(form, WorksheetForm):
            continue  # made per request from the worksheets, which are read below instead
        _collect(form, "", boxes)
    for sheet in WORKSHEETS.values():
        for field in sheet.fields:
            if field.kind is not FieldKind.CHOICE:
                boxes[field.key]["webapp.library.forms"].add(field.label)
    return {name: dict(by_module) for name, by_module in boxes.items()}


def _subclasses(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _collect(form: type, prefix: str, boxes: dict[str, dict[str, set[str]]]) -> None:
    for klass in form.__mro__:
        for name, value in vars(klass).items():
            if not isinstance(value, UnboundField):
                continue
            kind: Any = value.field_class
            if issubclass(kind, FormField):
                inner = value.args[0] if value.args else value.kwargs["form_class"]
                _collect(inner, f"{prefix}{name}-", boxes)
            elif issubclass(kind, StringField) and not issubclass(
                kind, (PasswordField, HiddenField)
            ):
                label = value.args[0] if value.args else value.kwargs.get("label")
                text = str(label) if label else _from_name(name)
                boxes[prefix + name][form.__module__].add(text)


def _from_name(name: str) -> str:
    return name.rsplit("-", 1)[-1].replace("_", " ").capitalize()

"""Front matter parsing: complete, typed and strict."""

from __future__ import annotations

from datetime import date

import pytest

from content.document import parse_document, split_front_matter

GOOD = """---
title: Worry time
summary: Put worries aside.
topic: Worry
reading_minutes: 5
review_date: 2027-11-30
author_role: Psychological wellbeing practitioner
worksheet: worry-log
---
Some text.
"""


def test_a_complete_module_is_parsed_into_typed_fields():
    document = parse_document("worry-time", GOOD)
    assert document.title == "Worry time"
    assert document.topic == "worry"  # topics compare in lower case
    assert document.reading_minutes == 5
    assert document.review_date == date(2027, 11, 30)
    assert document.worksheet == "worry-log"
    assert document.body == "Some text.\n"


def test_the_worksheet_is_optional():
    text = GOOD.replace("worksheet: worry-log\n", "")
    assert parse_document("worry-time", text).worksheet is None


@pytest.mark.parametrize(
    "field", ["title", "summary", "topic", "reading_minutes", "review_date", "author_role"]
)
def test_each_required_field_must_be_present_and_filled_in(field):
    missing = "\n".join(line for line in GOOD.splitlines() if not line.startswith(field + ":"))
    with pytest.raises(ValueError, match=f"missing {field}"):
        parse_document("worry-time", missing)
    empty = GOOD.replace(
        next(line for line in GOOD.splitlines() if line.startswith(field + ":")), f"{field}:"
    )
    with pytest.raises(ValueError, match=f"missing {field}"):
        parse_document("worry-time", empty)


@pytest.mark.parametrize(
    ("replace", "by", "message"),
    [
        ("reading_minutes: 5", "reading_minutes: five", "whole number"),
        ("reading_minutes: 5", "reading_minutes: 0", "at least 1"),
        ("review_date: 2027-11-30", "review_date: 30/11/2027", "date like"),
        ("worksheet: worry-log", "colour: blue", "unknown front matter colour"),
        ("topic: Worry", "topic: Worry\ntopic: Sleep", "given twice"),
        ("topic: Worry", "just words", "key: value"),
        ("Some text.", "", "no text"),
    ],
)
def test_malformed_front_matter_is_refused_with_the_reason(replace, by, message):
    with pytest.raises(ValueError, match=message):
        parse_document("worry-time", GOOD.replace(replace, by))


def test_blank_lines_and_comments_in_front_matter_are_ignored():
    text = GOOD.replace("topic: Worry", "\n# the module's main topic\ntopic: Worry")
    assert parse_document("worry-time", text).topic == "worry"


@pytest.mark.parametrize("slug", ["Worry-time", "worry_time", "-worry", "worry--time", ""])
def test_slugs_are_lower_case_words_joined_by_hyphens(slug):
    with pytest.raises(ValueError, match="slug"):
        parse_document(slug, GOOD)


def test_front_matter_must_open_and_close():
    with pytest.raises(ValueError, match="must start"):
        split_front_matter("title: x\n")
    with pytest.raises(ValueError, match="must start"):
        split_front_matter("")
    with pytest.raises(ValueError, match="no closing"):
        split_front_matter("---\ntitle: x\n")


def test_a_byte_order_mark_does_not_hide_the_front_matter():
    fields, body = split_front_matter("\ufeff---\ntitle: x\n---\nHello")
    assert fields == {"title": "x"}
    assert body == "Hello\n"

"""Markdown is rendered safely, with NHS.UK classes and module links resolved."""

from __future__ import annotations

import pytest

import content
from content.render import internal_links, render, sections


def link_for(slug):
    if slug not in {"worry-time", "sleep"}:
        raise KeyError(slug)
    return f"/self-help/{slug}"


def test_module_links_are_resolved_through_the_callers_function():
    html = render("See [worry time](module:worry-time).", link_for)
    assert '<a href="/self-help/worry-time">worry time</a>' in html


def test_an_unknown_module_link_is_an_error_not_a_dead_link():
    with pytest.raises(KeyError):
        render("See [this](module:nowhere).", link_for)


def test_raw_html_and_scripts_never_reach_the_page():
    html = render(
        '<script>alert(1)</script>\n\n<p style="color:red" onclick="x()">hi</p>\n\n'
        "[click](javascript:alert(1)) ![image](/x.png)",
        link_for,
    )
    assert "<script" not in html and "&lt;script&gt;" in html  # shown as text, never run
    assert 'onclick="' not in html and 'style="' not in html
    assert 'href="javascript:' not in html
    assert "<img" not in html


def test_lists_tables_and_quotes_get_nhsuk_classes():
    html = render(
        "- a\n- b\n\n1. one\n\n> A tip\n\n| Day | Plan |\n|---|---|\n| Mon | Walk |\n",
        link_for,
    )
    assert '<ul class="nhsuk-list nhsuk-list--bullet">' in html
    assert '<ol class="nhsuk-list nhsuk-list--number">' in html
    assert '<div class="nhsuk-inset-text">' in html and "<blockquote>" not in html
    assert '<table class="nhsuk-table">' in html
    assert '<th class="nhsuk-table__header" scope="col">Day</th>' in html
    assert '<td class="nhsuk-table__cell">Walk</td>' in html


def test_phone_and_email_links_are_kept():
    html = render("[Call 111](tel:111) or [email](mailto:jo@samaritans.org)", link_for)
    assert 'href="tel:111"' in html and 'href="mailto:jo@samaritans.org"' in html


def test_internal_links_lists_only_module_links():
    markdown = "[a](module:worry-time) [b](https://nhs.uk) **[c](module:sleep)**"
    assert internal_links(markdown) == ["worry-time", "sleep"]


@pytest.mark.parametrize("module", content.all_modules(), ids=lambda m: m.slug)
def test_every_module_renders(module):
    html = render(module.body, lambda slug: f"/self-help/{content.get(slug).slug}")
    assert "<h2>" in html and "module:" not in html


def test_sections_split_a_body_at_its_second_level_headings():
    intro, found = sections("Intro text.\n\n## One\n\nFirst.\n\n### Sub\n\n## Two\nSecond.\n")
    assert intro == "Intro text."
    assert [(s.heading, s.body) for s in found] == [
        ("One", "First.\n\n### Sub"),
        ("Two", "Second."),
    ]


def test_the_crisis_page_splits_into_its_emergency_urgent_and_talk_sections():
    _intro, found = sections(content.crisis_page().body)
    assert [s.heading for s in found][:2] == [
        "Call 999 or go to A&E now if:",
        "Call NHS 111 and choose the mental health option if:",
    ]

"""User text to HTML: escaped, line breaks kept, only http(s) links, made safe."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from webapp.user_text import to_html


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("plain", "plain"),
        ("<b>bold</b> & co", "&lt;b&gt;bold&lt;/b&gt; &amp; co"),
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("one\ntwo", "one<br>two"),
        (
            "see https://www.nhs.uk/mental-health now",
            'see <a href="https://www.nhs.uk/mental-health" rel="nofollow noopener noreferrer" '
            'target="_blank">https://www.nhs.uk/mental-health</a> now',
        ),
        ("javascript:alert(1)", "javascript:alert(1)"),
        ("ftp://example.org/file", "ftp://example.org/file"),
        ("data:text/html,<b>x</b>", "data:text/html,&lt;b&gt;x&lt;/b&gt;"),
    ],
)
def test_user_text_is_escaped_and_only_web_links_are_made(text, html):
    assert str(to_html(text)) == html


def test_a_quote_cannot_break_out_of_a_link():
    html = str(to_html('http://a.example/"onmouseover="alert(1)'))
    assert '"onmouseover' not in html
    assert not re.search(r"<a [^>]*onmouseover", html)


@given(st.text(max_size=300))
def test_nothing_but_links_and_line_breaks_survive_as_markup(text):
    html = str(to_html(text))
    tags = re.findall(r"<\s*/?\s*([a-zA-Z0-9]+)", html)
    assert set(tags) <= {"a", "br"}
    for attributes in re.findall(r"<a ([^>]*)>", html):
        assert re.fullmatch(
            r'href="https?://[^"]*" rel="nofollow noopener noreferrer" target="_blank"', attributes
        )

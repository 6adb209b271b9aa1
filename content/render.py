"""Markdown to safe HTML with NHS.UK classes.

Markdown is parsed with raw HTML turned off, links to other modules written `[text](module:slug)`
are resolved through the caller's `link_for`, and the result is cleaned by bleach against an
allow-list, so even a mistaken content file cannot put a script or a style on a page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import bleach
from markdown_it import MarkdownIt
from markdown_it.token import Token

MODULE_SCHEME = "module:"

ALLOWED_TAGS = frozenset(
    {
        "h2", "h3", "h4", "p", "br", "hr", "ul", "ol", "li", "a", "strong", "em",
        "blockquote", "table", "thead", "tbody", "tr", "th", "td",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": ["href", "title"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto", "tel"})

# bleach normalises tags, so these exact strings are safe to rewrite after cleaning.
NHSUK_CLASSES = (
    ("<ul>", '<ul class="nhsuk-list nhsuk-list--bullet">'),
    ("<ol>", '<ol class="nhsuk-list nhsuk-list--number">'),
    ("<table>", '<table class="nhsuk-table">'),
    ("<thead>", '<thead class="nhsuk-table__head">'),
    ("<tbody>", '<tbody class="nhsuk-table__body">'),
    ("<tr>", '<tr class="nhsuk-table__row">'),
    ("<th>", '<th class="nhsuk-table__header" scope="col">'),
    ("<td>", '<td class="nhsuk-table__cell">'),
    ("<blockquote>", '<div class="nhsuk-inset-text">'),
    ("</blockquote>", "</div>"),
)


def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "typographer": False}).enable("table")


def _links(tokens: list[Token]) -> list[Token]:
    found = []
    for token in tokens:
        if token.children:
            found += _links(token.children)
        elif token.type == "link_open":
            found.append(token)
    return found


def internal_links(markdown: str) -> list[str]:
    """The module slugs this Markdown links to, in order."""
    hrefs = (str(token.attrGet("href") or "") for token in _links(_parser().parse(markdown)))
    return [href.removeprefix(MODULE_SCHEME) for href in hrefs if href.startswith(MODULE_SCHEME)]


def render(markdown: str, link_for: Callable[[str], str]) -> str:
    """Safe HTML for a document body. `link_for(slug)` gives a module's URL and raises
    KeyError for an unknown slug (the content check makes sure none is)."""
    parser = _parser()
    tokens = parser.parse(markdown)
    for link in _links(tokens):
        href = str(link.attrGet("href") or "")
        if href.startswith(MODULE_SCHEME):
            link.attrSet("href", link_for(href.removeprefix(MODULE_SCHEME)))
    html = parser.renderer.render(tokens, parser.options, {})
    html = bleach.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        protocols=ALLOWED_PROTOCOLS,
        strip=True,
    )
    for plain, classed in NHSUK_CLASSES:
        html = html.replace(plain, classed)
    return html


@dataclass(frozen=True)
class Section:
    heading: str
    body: str  # Markdown


def sections(markdown: str) -> tuple[str, list[Section]]:
    """Split a body at its `## ` headings: the text before the first heading, and each section."""
    intro: list[str] = []
    found: list[tuple[str, list[str]]] = []
    for line in markdown.splitlines():
        if line.startswith("## "):
            found.append((line[3:].strip(), []))
        elif found:
            found[-1][1].append(line)
        else:
            intro.append(line)
    return "\n".join(intro).strip(), [
        Section(heading, "\n".join(lines).strip()) for heading, lines in found
    ]

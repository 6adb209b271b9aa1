"""Content Markdown to page HTML: `content.render` with module links pointing at this site."""

from __future__ import annotations

from flask import url_for
from markupsafe import Markup

import content
from content.render import render


def module_url(slug: str) -> str:
    content.get(slug)  # KeyError for an unknown module: the content check keeps this from happening
    return url_for("library.module", slug=slug)


def render_markdown(markdown: str) -> Markup:
    """Safe HTML: content.render has escaped and cleaned it against an allow-list."""
    return Markup(render(markdown, module_url))  # noqa: S704 - bleach-cleaned just above

"""Text that people type (chat messages, later community posts), made safe to show as HTML.

The one place the site turns user text into HTML (DESIGN.md, "HTML from users"): plain text in,
every character escaped, line breaks kept, and web addresses made into links that are safe to
follow: only http and https, opened in a new tab, with rel="nofollow noopener noreferrer". Nothing
else: no markup a person types ever survives as markup.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any, cast

import bleach
from bleach.linkifier import Linker
from markupsafe import Markup, escape

SAFE_PROTOCOLS = ("http", "https")
LINK_REL = "nofollow noopener noreferrer"


Attributes = MutableMapping[tuple[str | None, str], str]


def _safe_link(attrs: Attributes, new: bool = False) -> Attributes | None:
    href = attrs.get((None, "href"), "")
    if not href.lower().startswith(("http://", "https://")):
        return None  # drop the link, keep its text
    attrs[(None, "rel")] = LINK_REL
    attrs[(None, "target")] = "_blank"
    return attrs


# Linker is built once: it compiles its patterns. It keeps no per-call state.
# (bleach's stub says a callback returns the attributes; returning None drops the link, as its
# documentation says, hence the cast.)
_LINKER = Linker(callbacks=[cast(Any, _safe_link)], skip_tags=None, parse_email=False)


def to_html(text: str) -> Markup:
    """Escape `text` completely, then linkify http(s) addresses and keep its line breaks."""
    escaped = str(escape(text))
    linked = _LINKER.linkify(escaped)
    # bleach re-serialises the escaped text: a final clean allowing only <a> with our attributes
    # and <br> guarantees nothing else got through.
    html = bleach.clean(
        linked.replace("\n", "<br>"),
        tags={"a", "br"},
        attributes={"a": ["href", "rel", "target"]},
        protocols=list(SAFE_PROTOCOLS),
        strip=True,
    )
    return Markup(html)  # noqa: S704 - built from escaped text by bleach, cleaned to <a> and <br>

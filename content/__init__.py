"""The self-help library: modules, crisis text, worksheets and the safety plan, as data (pure).

Modules are Markdown files with front matter in `content/modules/`; other pages (the crisis text)
are in `content/pages/`. This package never imports Flask, SQLAlchemy or `webapp`: the web layer
passes in whatever it needs (for example how to turn a module's slug into a URL).
"""

from content.document import Document, parse_document
from content.library import (
    DEFAULT_SLUGS,
    TOPIC_ALIASES,
    TOPIC_SLUGS,
    all_modules,
    crisis_page,
    get,
    suggest,
)

__all__ = [
    "DEFAULT_SLUGS",
    "TOPIC_ALIASES",
    "TOPIC_SLUGS",
    "Document",
    "all_modules",
    "crisis_page",
    "get",
    "parse_document",
    "suggest",
]

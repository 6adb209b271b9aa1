"""A content document: front matter (simple `key: value` lines between `---` fences) and a
Markdown body. Parsing is strict, so a module with missing or malformed front matter fails the
content check rather than reaching a patient half-finished."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
FENCE = "---"

# Every self-help module must say all of these (the content check enforces it).
REQUIRED_FIELDS = ("title", "summary", "topic", "reading_minutes", "review_date", "author_role")
OPTIONAL_FIELDS = ("worksheet",)


@dataclass(frozen=True)
class Document:
    """One page of content. `worksheet` names a worksheet in `content.worksheets`, if any."""

    slug: str
    title: str
    summary: str
    topic: str
    reading_minutes: int
    review_date: date
    author_role: str
    body: str
    worksheet: str | None = None


def split_front_matter(text: str) -> tuple[dict[str, str], str]:
    """Return the front matter as a dict of strings, and the Markdown body after it."""
    lines = text.lstrip("\ufeff").splitlines()
    if not lines or lines[0].strip() != FENCE:
        raise ValueError("a content file must start with front matter between '---' lines")
    try:
        end = next(i for i, line in enumerate(lines[1:], start=1) if line.strip() == FENCE)
    except StopIteration:
        raise ValueError("the front matter has no closing '---' line") from None
    fields: dict[str, str] = {}
    for number, line in enumerate(lines[1:end], start=2):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, colon, value = line.partition(":")
        key = key.strip()
        if not colon or not re.fullmatch(r"[a-z_]+", key):
            raise ValueError(f"line {number}: front matter lines are 'key: value', not {line!r}")
        if key in fields:
            raise ValueError(f"line {number}: {key!r} is given twice")
        fields[key] = value.strip()
    return fields, "\n".join(lines[end + 1 :]).strip() + "\n"


def parse_document(slug: str, text: str) -> Document:
    """Parse a module file. Raises ValueError naming the first problem found."""
    if not SLUG.fullmatch(slug):
        raise ValueError(f"{slug!r} is not a slug (lower case words joined by hyphens)")
    fields, body = split_front_matter(text)
    missing = [name for name in REQUIRED_FIELDS if not fields.get(name)]
    if missing:
        raise ValueError(f"{slug}: front matter is missing {', '.join(missing)}")
    unknown = set(fields) - set(REQUIRED_FIELDS) - set(OPTIONAL_FIELDS)
    if unknown:
        raise ValueError(f"{slug}: unknown front matter {', '.join(sorted(unknown))}")
    try:
        minutes = int(fields["reading_minutes"])
    except ValueError:
        raise ValueError(f"{slug}: reading_minutes must be a whole number of minutes") from None
    if minutes < 1:
        raise ValueError(f"{slug}: reading_minutes must be at least 1")
    try:
        review_date = date.fromisoformat(fields["review_date"])
    except ValueError:
        raise ValueError(f"{slug}: review_date must be a date like 2027-11-30") from None
    if not body.strip():
        raise ValueError(f"{slug}: the module has no text")
    return Document(
        slug=slug,
        title=fields["title"],
        summary=fields["summary"],
        topic=fields["topic"].lower(),
        reading_minutes=minutes,
        review_date=review_date,
        author_role=fields["author_role"],
        body=body,
        worksheet=fields.get("worksheet") or None,
    )

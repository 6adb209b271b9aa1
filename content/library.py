"""The library of self-help modules, loaded once from `content/modules/*.md`, and the rule that
suggests modules for what a person asked for help with.

Suggestions (`suggest`) map topic names to modules, in the order listed below, and always end
with the default set: coping while waiting for therapy, and staying safe. The referral's
"type of issue" (presenting problem) is mapped to these topic names by the web layer.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from importlib.resources import files

from content.document import Document, parse_document

# Topic name -> the modules that help most with it, most useful first. Documented in the README.
TOPIC_SLUGS: dict[str, tuple[str, ...]] = {
    "low mood": ("understanding-low-mood", "behavioural-activation", "problem-solving"),
    "worry": ("understanding-worry", "worry-time", "problem-solving"),
    "panic": ("managing-panic", "grounding-techniques"),
    "sleep": ("better-sleep",),
    "stress": ("problem-solving", "grounding-techniques", "worry-time"),
}
# Other words people (and referral codes) use for the same topics.
TOPIC_ALIASES: dict[str, str] = {
    "depression": "low mood",
    "anxiety": "worry",
    "generalised anxiety": "worry",
    "gad": "worry",
    "panic attacks": "panic",
    "insomnia": "sleep",
    "sleep problems": "sleep",
}
# Everyone gets these, after anything matched: useful from the day of referral.
DEFAULT_SLUGS: tuple[str, ...] = ("coping-while-waiting", "staying-safe")


def _read_folder(folder: str) -> dict[str, Document]:
    markdown_files = [
        r for r in files("content").joinpath(folder).iterdir() if r.name.endswith(".md")
    ]
    return {
        resource.name.removesuffix(".md"): parse_document(
            resource.name.removesuffix(".md"), resource.read_text(encoding="utf-8")
        )
        for resource in sorted(markdown_files, key=lambda r: r.name)
    }


@cache
def _modules() -> dict[str, Document]:
    return _read_folder("modules")


def all_modules() -> list[Document]:
    """Every module, in title order."""
    return sorted(_modules().values(), key=lambda module: module.title)


def get(slug: str) -> Document:
    """The module with this slug; KeyError if there is none."""
    return _modules()[slug]


@cache
def crisis_page() -> Document:
    """The "Need help now?" text, shown on the public crisis page."""
    return _read_folder("pages")["need-help-now"]


def normalise_topic(topic: str) -> str:
    """A known topic name for `topic` (case and spacing ignored, aliases followed)."""
    name = " ".join(topic.lower().split())
    name = TOPIC_ALIASES.get(name, name)
    if name not in TOPIC_SLUGS:
        raise ValueError(f"{topic!r} is not a known topic ({', '.join(TOPIC_SLUGS)})")
    return name


def suggest(topics_wanted: Iterable[str]) -> list[Document]:
    """Modules for these topics, best first, without repeats, then the default set.

    Unknown topic names raise ValueError, so a mistyped mapping fails its test, not silently.
    """
    slugs = [slug for topic in topics_wanted for slug in TOPIC_SLUGS[normalise_topic(topic)]]
    return [get(slug) for slug in dict.fromkeys([*slugs, *DEFAULT_SLUGS])]


# The IAPT Phobia Scales' panic/agoraphobia item is at caseness at 4 or more (DOMAIN.md section 3).
PANIC_AVOIDANCE_CASENESS = 4


def topics_from_measures(
    *, depression: bool, anxiety: bool, panic_avoidance: int | None = None
) -> list[str]:
    """Topics suggested by a patient's latest questionnaires, until they tell us more:
    PHQ-9 at caseness -> low mood; GAD-7 at caseness -> worry; the panic/agoraphobia
    avoidance item at caseness -> panic."""
    topics = []
    if depression:
        topics.append("low mood")
    if anxiety:
        topics.append("worry")
    if panic_avoidance is not None and panic_avoidance >= PANIC_AVOIDANCE_CASENESS:
        topics.append("panic")
    return topics

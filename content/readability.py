"""A reading-age check: the Flesch–Kincaid grade level of a module's text.

grade = 0.39 × (words ÷ sentences) + 11.8 × (syllables ÷ words) − 15.59
(Kincaid, Fishburne, Rogers and Chissom, 1975). A grade of 7 is a reading age of about 12.

Each heading, list item, table cell and paragraph ends a sentence, as a reader meets them.
Numbers (phone numbers, times) are not words. Syllables are counted by a simple rule of thumb
(groups of vowels, less a silent final "e"); it is close enough to rank text, not to the syllable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markdown_it import MarkdownIt

WORD = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)*")
SENTENCE_END = re.compile(r"[.!?]+(?:\s|$)")
VOWEL_GROUP = re.compile(r"[aeiouy]+")


def syllables(word: str) -> int:
    """An estimate of the syllables in one English word (at least 1)."""
    word = word.lower().replace("’", "'").split("'")[0]
    if not word:
        return 1
    count = len(VOWEL_GROUP.findall(word))
    if word.endswith("e") and not word.endswith(("le", "ee", "ye")) and count > 1:
        count -= 1  # a silent final e: "time", "hope", "make"
    if word.endswith("ed") and len(word) > 3 and word[-3] not in "td" and count > 1:
        count -= 1  # "walked", "planned": the -ed is not a syllable
    if word.endswith("es") and len(word) > 3 and word[-3] not in "scxzgh" and count > 1:
        count -= 1  # "times", "makes"
    return max(count, 1)


def plain_blocks(markdown: str) -> list[str]:
    """The text of each block a reader meets (headings, paragraphs, list items, cells)."""
    tokens = MarkdownIt("commonmark", {"html": False}).enable("table").parse(markdown)
    return [token.content for token in tokens if token.type == "inline" and token.content.strip()]


@dataclass(frozen=True)
class Readability:
    words: int
    sentences: int
    syllables: int

    @property
    def grade(self) -> float:
        if self.words == 0:
            return 0.0
        return 0.39 * self.words / self.sentences + 11.8 * self.syllables / self.words - 15.59


def measure(markdown: str) -> Readability:
    words = sentences = syllable_count = 0
    for block in plain_blocks(markdown):
        text = re.sub(r"\]\([^)]*\)", "]", block)  # a link's address is not read aloud
        found = WORD.findall(text)
        if not found:
            continue
        words += len(found)
        syllable_count += sum(syllables(word) for word in found)
        ends = len(SENTENCE_END.findall(text.strip()))
        sentences += max(ends, 1) if text.strip()[-1] in ".!?" else ends + 1
    return Readability(words=words, sentences=sentences, syllables=syllable_count)


def grade_level(markdown: str) -> float:
    """The Flesch–Kincaid grade of the Markdown's text."""
    return measure(markdown).grade

"""Normalise text for watchword matching, keeping a map back to what the user typed.

Pure: no Flask, no database, no I/O; values in, values out. Rules and posts go through the same
`normalise`, so they meet in one alphabet: DOMAIN.md section 7 ("Safety") asks that matching survive
obfuscation (leet, spacing, repeated letters, "unalive", "kms") yet not fire on harmless words that
merely contain a watchword ("skill" for "kill"). Moderators must see each match in the original
post, so every character of the normalised text can be traced back to the characters it came from.

Stages, in order:

1. fold: NFKC, case folding, diacritics and invisible format characters (zero-width space, soft
   hyphen) removed, a few Cyrillic and Greek look-alikes mapped to Latin ("kіll" with a Cyrillic і).
   The result is `Normalised.folded`; regex rules (e-mail, phone, URL) run on it.
2. tokens: every character other than a letter, a digit, "@", "$" or an apostrophe separates tokens.
3. each token on its own: apostrophes removed ("don't" and "dont" meet); leet, only in a token with
   a letter (1→i 3→e 0→o @→a $→s 4→a 5→s 7→t, so "2024" and "£5" keep their digits); every run of
   one repeated letter made one letter, in rules as in posts ("kiiiill" and "kill" both become
   "kil", "myseeeelf" becomes "myself"; the cost is that "of" and "off" meet, so a rule needing that
   distinction is a regex); then whole-token abbreviations and euphemisms ("kms" → "kill myself",
   "kys" → "kill yourself", "unalive" → "kill", "sewerslide" → "suicide", "wanna" → "want to",
   "u" → "you": `ABBREVIATIONS`).
4. split letters re-joined: a run of THREE OR MORE one-character tokens ("k i l l", "k.i.l.l") is
   joined and normalised as one token. Trade-off: two spaced letters ("a b") are left alone, because
   ordinary prose has pairs of one-letter words ("was I a…", "plan A or B") far more often than
   triples, and nothing dangerous is two letters long. Inside a joined run the user's word breaks
   are unknowable, so the engine treats every position in it as a possible word boundary
   (`Normalised.is_split_letters_at`); real words are never glued together, so "ask ill my
   self-esteem" stays four words and cannot match "kill myself".
5. the normalised tokens joined by single spaces, then two-word euphemisms and split words rewritten
   ("sewer slide" → "suicide", "self delete" → "suicide", "my self" → "myself").

Speed and the offset map: stages 1 and 2 are one `str.lower`/`str.translate` (a character for a
character, so no offsets move) and a `str.split`; stage 3 is a cached function of the token alone,
and a community's posts reuse a few thousand words, so a post costs one dictionary look-up per word.
Nothing about offsets is worked out until a match asks for its span, and most posts match nothing:
then the token holding the character is found, and the cached per-token trace (normalised character
→ range of the raw token) says where it came from. A character made from several (a collapsed run,
an expanded abbreviation) maps to all of them, so a span never cuts into what the user typed.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable
from functools import lru_cache
from itertools import accumulate
from typing import Final, TypeAlias

__all__ = ["ABBREVIATIONS", "Normalised", "normalise", "normalise_phrase"]

# (output start, output end, input start, input end): output[os:oe] came from input[is:ie].
_Edit: TypeAlias = tuple[int, int, int, int]
# Per character of a normalised token, the range of the raw token it came from.
_Trace: TypeAlias = tuple[tuple[int, int], ...]
# A stretch of the normalised text between spaces-that-separate-tokens: its text, the index of
# its first raw token and how many raw tokens it was made from (more than one: split letters).
_Piece: TypeAlias = tuple[str, int, int]

# Look-alikes that NFKC leaves alone; Cyrillic and Greek letters typed to dodge a filter.
_CONFUSABLES: Final = {
    "а": "a", "е": "e", "і": "i", "ј": "j", "к": "k", "о": "o", "р": "p", "с": "c", "у": "y",
    "х": "x", "ѕ": "s", "ԁ": "d", "ӏ": "l", "ԛ": "q", "ԝ": "w", "α": "a", "ε": "e", "ι": "i",
    "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ı": "i", "ł": "l",
    "ø": "o", "đ": "d", "ħ": "h", "æ": "ae", "œ": "oe",
}  # fmt: skip
_APOSTROPHES: Final = "'`’‘ʼ"
_LEET: Final = {"1": "i", "3": "e", "0": "o", "4": "a", "@": "a", "$": "s", "5": "s", "7": "t"}
_ASCII_LOWER: Final = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_ASCII_SEPARATORS: Final = str.maketrans(
    {chr(c): " " for c in range(128) if not chr(c).isalnum() and chr(c) not in "@$'`"}
)
_NON_ASCII: Final = re.compile(r"[^\x00-\x7f]")
_NON_ASCII_SEPARATOR: Final = re.compile(rf"(?![\w{_APOSTROPHES}])[^\x00-\x7f]")
_TOKEN: Final = re.compile(r"\S+")
_SPLIT_HINT: Final = re.compile(r" \S \S \S ")  # three one-character tokens in a row, padded
_UNCACHED_TOKEN: Final = 64  # characters; longer tokens (pasted junk) are not worth caching

# Abbreviations and euphemisms, whole tokens only (UK English community usage), left → right.
ABBREVIATIONS: Final[dict[str, str]] = {
    "kms": "kill myself",
    "kys": "kill yourself",
    "unalive": "kill",
    "unalives": "kills",
    "unalived": "killed",
    "unaliving": "killing",
    "sewerslide": "suicide",
    "sewer slide": "suicide",
    "self delete": "suicide",
    "selfdelete": "suicide",
    "my self": "myself",
    "your self": "yourself",
    "him self": "himself",
    "her self": "herself",
    "any more": "anymore",
    "wanna": "want to",
    "gonna": "going to",
    "2": "to",
    "u": "you",
    "ur": "your",
}


# --- stage 1: fold ---------------------------------------------------------------------------
@lru_cache(maxsize=8192)
def _fold_char(char: str) -> str:
    if char in _CONFUSABLES:
        return _CONFUSABLES[char]
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", char).casefold())
    kept = "".join(
        _CONFUSABLES.get(c, c)
        for c in decomposed
        if not unicodedata.combining(c) and unicodedata.category(c) != "Cf"
    )
    return unicodedata.normalize("NFC", kept)


def _fold_match(match: re.Match[str]) -> str:
    return _fold_char(match.group())


class _Stage:
    """How a regex rewrite's output characters map back to its input; worked out on first use."""

    __slots__ = ("_edits", "_out_starts", "_pattern", "_replace", "_source")

    def __init__(
        self, source: str, pattern: re.Pattern[str], replace: Callable[[re.Match[str]], str]
    ) -> None:
        self._source = source
        self._pattern = pattern
        self._replace = replace
        self._edits: list[_Edit] | None = None
        self._out_starts: list[int] = []

    def char_range(self, index: int) -> tuple[int, int]:
        """The input range that output character `index` came from (never empty)."""
        if self._edits is None:
            self._edits = self._replay()
            self._out_starts = [edit[0] for edit in self._edits]
        k = bisect_right(self._out_starts, index) - 1
        shift = 0
        if k >= 0:
            _, out_end, in_start, in_end = self._edits[k]
            if index < out_end:
                return in_start, in_end
            shift = in_end - out_end
        return index + shift, index + shift + 1

    def _replay(self) -> list[_Edit]:
        """The edits `pattern.sub(replace, source)` made, found by running its matches again."""
        edits: list[_Edit] = []
        shift = 0
        for match in self._pattern.finditer(self._source):
            new = self._replace(match)
            start, end = match.span()
            if new != match.group():
                edits.append((start + shift, start + shift + len(new), start, end))
                shift += len(new) - (end - start)
        return edits


def _rewrite(
    source: str, pattern: re.Pattern[str], replace: Callable[[re.Match[str]], str]
) -> tuple[str, _Stage | None]:
    """A regex rewrite and its map back, or no map when nothing changed."""
    out = pattern.sub(replace, source)
    return (source, None) if out == source else (out, _Stage(source, pattern, replace))


# --- stage 3: one token ----------------------------------------------------------------------
def _trace_token(raw: str, expansions: dict[str, str]) -> tuple[str, _Trace]:
    """A raw token's normalised text, and for each of its characters the raw range it came from."""
    kept = [(char, i) for i, char in enumerate(raw) if char not in _APOSTROPHES]
    if any(char.isalpha() for char, _ in kept):
        kept = [(_LEET.get(char, char), i) for char, i in kept]
    out: list[str] = []
    trace: list[tuple[int, int]] = []
    for char, i in kept:
        if out and char == out[-1] and char.isalpha():
            trace[-1] = (trace[-1][0], i + 1)
        else:
            out.append(char)
            trace.append((i, i + 1))
    text = "".join(out)
    expansion = expansions.get(text)
    if expansion is not None:
        whole = (trace[0][0], trace[-1][1])
        return expansion, (whole,) * len(expansion)
    return text, tuple(trace)


def _abbreviation_tables() -> tuple[dict[str, str], dict[str, str]]:
    """The abbreviations keyed as posts will reach them: one-token keys, and two-word keys."""

    def plain(text: str) -> str:  # these are plain ASCII words: stages 1 to 3 without a table
        tokens = text.lower().translate(_ASCII_SEPARATORS).split()
        return " ".join(_trace_token(token, {})[0] for token in tokens)

    tokens: dict[str, str] = {}
    phrases: dict[str, str] = {}
    for short, long in ABBREVIATIONS.items():
        key = plain(short)
        (phrases if " " in key else tokens)[key] = plain(long)
    return tokens, phrases


_TOKEN_ABBREVIATIONS, _PHRASE_ABBREVIATIONS = _abbreviation_tables()
_PHRASE_KEYS: Final = "|".join(map(re.escape, sorted(_PHRASE_ABBREVIATIONS, key=len, reverse=True)))
_PHRASE_PATTERN: Final = re.compile(rf"(?<!\S)(?:{_PHRASE_KEYS})(?!\S)")


def _expand_phrase(match: re.Match[str]) -> str:
    return _PHRASE_ABBREVIATIONS[match.group()]


@lru_cache(maxsize=8192)
def _cached_trace(raw: str) -> tuple[str, _Trace]:
    return _trace_token(raw, _TOKEN_ABBREVIATIONS)


def _traced(raw: str) -> tuple[str, _Trace]:
    if len(raw) <= _UNCACHED_TOKEN:
        return _cached_trace(raw)
    return _trace_token(raw, _TOKEN_ABBREVIATIONS)


class _TokenCache(dict[str, str]):
    """Raw token → normalised token. Read with map(cache.__getitem__), so a post whose words are
    all known (the usual case: a community reuses a few thousand words) makes no Python call per
    word; emptied when full, since the vocabulary soon fills it again."""

    SIZE: Final = 65536

    def __missing__(self, raw: str) -> str:
        text = _traced(raw)[0]
        if len(raw) <= _UNCACHED_TOKEN:
            if len(self) >= self.SIZE:
                self.clear()
            self[raw] = text
        return text


_TOKEN_CACHE: Final = _TokenCache()
_token: Final = _TOKEN_CACHE.__getitem__


def _is_single(raw: str) -> bool:
    """A one-character token that can be part of a word typed apart ("k", "1", "@")."""
    return len(raw) == 1 and (raw.isalpha() or raw in _LEET)


# --- the result ------------------------------------------------------------------------------
class Normalised:
    """A text after `normalise`, with the way back to the original characters.

    `text` is what phrase rules are matched against; `folded` (stage 1 only) is what regex rules
    are matched against. Both map back, with `span_in_original` and `folded_span_in_original`.
    `text` is made of pieces joined by single spaces: a piece is one raw token normalised, or a
    run of one-character tokens joined (stage 4), before the two-word rewrites of stage 5.
    """

    __slots__ = (
        "_counts",
        "_firsts",
        "_fold",
        "_phrases",
        "_pieces_text",
        "_prefix_lengths",
        "_spaces_only_between",
        "_texts",
        "_token_starts",
        "_tokenised",
        "_tokens",
        "folded",
        "original",
        "text",
    )

    def __init__(
        self,
        original: str,
        folded: str,
        fold: _Stage | None,
        tokenised: str,
        tokens: list[str],
        pieces: tuple[list[str], list[int] | None, list[int] | None],
    ) -> None:
        self.original: Final = original
        self.folded: Final = folded
        self._fold = fold  # stage 1's map, when the text was not ASCII
        self._tokenised = tokenised  # `folded` with separators made spaces (same length)
        self._tokens = tokens  # raw tokens, in order
        # Each piece's text, its first raw token (None: piece k is token k) and how many raw
        # tokens it joins (None: one each).
        self._texts, self._firsts, self._counts = pieces
        self._prefix_lengths: list[int] | None = None
        self._spaces_only_between: bool | None = None
        self._token_starts: dict[int, int] = {}
        self._pieces_text = words = " ".join(self._texts)
        self._phrases: _Stage | None = None
        if any(map(words.__contains__, _PHRASE_ABBREVIATIONS)):  # cheap; the regex says for sure
            words, self._phrases = _rewrite(words, _PHRASE_PATTERN, _expand_phrase)
        self.text: Final = words

    def __repr__(self) -> str:
        return f"Normalised({self.original!r} -> {self.text!r})"

    @property
    def has_split_letters(self) -> bool:
        """Whether any run of letters typed apart was joined (stage 4)."""
        return self._counts is not None

    def span_in_original(self, start: int, end: int) -> tuple[int, int]:
        """The span of the original text that `text[start:end]` came from."""
        _check_span(start, end, len(self.text))
        if self._phrases is not None:
            start = self._phrases.char_range(start)[0]
            end = self._phrases.char_range(end - 1)[1]
        return self.folded_span_in_original(
            self._folded_range(start)[0], self._folded_range(end - 1)[1]
        )

    def folded_span_in_original(self, start: int, end: int) -> tuple[int, int]:
        """The span of the original text that `folded[start:end]` came from."""
        _check_span(start, end, len(self.folded))
        if self._fold is None:
            return start, end
        return self._fold.char_range(start)[0], self._fold.char_range(end - 1)[1]

    def is_split_letters_at(self, position: int) -> bool:
        """Whether `position` in `text` falls inside one run of letters typed apart ("k i l l")."""
        if self._counts is None or not 0 < position < len(self.text):
            return False
        before, after = position - 1, position
        if self._phrases is not None:
            before = self._phrases.char_range(before)[0]
            after = self._phrases.char_range(after)[0]
        k, offset = self._locate(before)
        return (
            self._counts[k] > 1
            and offset + 1 < len(self._texts[k])
            and self._locate(after) == (k, offset + 1)
        )

    # -- the map, worked out only when a match asks --
    def _locate(self, index: int) -> tuple[int, int]:
        """The last piece starting at or before `index` of the joined pieces, and the offset of
        `index` in it (an offset equal to the piece's length is the space after it)."""
        joined = self._pieces_text
        if self._spaces_only_between is None:
            self._spaces_only_between = joined.count(" ") == len(self._texts) - 1
        if self._spaces_only_between:  # the usual case: the k-th piece follows the k-th space
            return joined.count(" ", 0, index), index - joined.rfind(" ", 0, index) - 1
        if self._prefix_lengths is None:  # some piece holds a space ("kms" -> "kil myself")
            self._prefix_lengths = list(accumulate(map(len, self._texts), initial=0))
        lengths = self._prefix_lengths
        k = bisect_right(range(len(self._texts)), index, key=lambda k: lengths[k] + k) - 1
        return k, index - lengths[k] - k

    def _piece(self, k: int) -> tuple[str, int, int]:
        first = k if self._firsts is None else self._firsts[k]
        return self._texts[k], first, 1 if self._counts is None else self._counts[k]

    def _token_start(self, index: int) -> int:
        """Where raw token `index` starts in `folded`."""
        start = self._token_starts.get(index)
        if start is None:
            tokenised = self._tokenised
            start = len(tokenised) - len(tokenised.split(None, index)[index])
            self._token_starts[index] = start
        return start

    def _folded_range(self, index: int) -> tuple[int, int]:
        """The range of `folded` that character `index` of the joined pieces came from."""
        k, offset = self._locate(index)
        text, first, count = self._piece(k)
        if offset == len(text):  # the space between two pieces: everything between their tokens
            last = first + count - 1
            gap_start = self._token_start(last) + len(self._tokens[last])
            return gap_start, self._token_start(self._piece(k + 1)[1])
        lo, hi = _traced("".join(self._tokens[first : first + count]))[1][offset]
        if count == 1:
            base = self._token_start(first)
            return base + lo, base + hi
        # split letters: raw character i is the whole of raw token first + i
        return self._token_start(first + lo), self._token_start(first + hi - 1) + 1


def _check_span(start: int, end: int, length: int) -> None:
    if not 0 <= start < end <= length:
        raise ValueError(f"span ({start}, {end}) is not a non-empty span of a text of {length}")


# --- stages 4 and 5 --------------------------------------------------------------------------
def _pieces(tokens: list[str]) -> tuple[list[str], list[int] | None, list[int] | None]:
    """The pieces of `text`: (texts, first tokens, token counts); None where it is one to one."""
    texts = list(map(_token, tokens))
    hint = _SPLIT_HINT.search(f" {' '.join(tokens)} ") is not None
    if not hint and "" not in texts:
        return texts, None, None
    pieces: list[_Piece] = []
    i = 0
    while i < len(tokens):
        j = i
        while hint and j < len(tokens) and _is_single(tokens[j]):
            j += 1
        if j - i >= 3:
            pieces.append((_token("".join(tokens[i:j])), i, j - i))
            i = j
            continue
        if texts[i]:
            pieces.append((texts[i], i, 1))
        i += 1
    counts = [count for _, _, count in pieces]
    return (
        [text for text, _, _ in pieces],
        [first for _, first, _ in pieces],
        counts if any(count > 1 for count in counts) else None,
    )


def normalise(text: str) -> Normalised:
    """Run every stage over `text` (see the module docstring)."""
    if text.isascii():
        folded, fold = text.lower(), None
        tokenised = folded.translate(_ASCII_SEPARATORS)
    else:
        folded, fold = _rewrite(text.translate(_ASCII_LOWER), _NON_ASCII, _fold_match)
        tokenised = _NON_ASCII_SEPARATOR.sub(" ", folded.translate(_ASCII_SEPARATORS))
    tokens = tokenised.split()
    return Normalised(text, folded, fold, tokenised, tokens, _pieces(tokens))


def normalise_phrase(phrase: str) -> str:
    """A phrase rule's key: its normalised text; ValueError when nothing is left to match."""
    key = normalise(phrase).text
    if not key:
        raise ValueError(f"phrase {phrase!r} has no letters or digits left after normalising")
    return key

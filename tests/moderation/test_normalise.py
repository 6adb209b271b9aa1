"""The normaliser: each stage, and the map back to the original text (DOMAIN.md section 7)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from moderation import normalise as normalise_module
from moderation.normalise import ABBREVIATIONS, normalise, normalise_phrase

pytestmark = pytest.mark.pure

# Characters that exercise every stage: letters, leet digits and symbols, separators, apostrophes,
# full-width and accented letters, a ligature, look-alikes, invisible and combining characters.
TRICKY = "kilmysefKIL 13704@$5.-_*'’\n\t\u200bＫｉé\u0301ﬁſіß日😀"
texts = st.text(alphabet=st.sampled_from(TRICKY) | st.characters(), max_size=60)


@pytest.mark.parametrize(
    ("typed", "normalised"),
    [
        # case folding and NFKC
        ("KILL MYSELF", "kil myself"),
        ("Ｋｉｌｌ ｍｙｓｅｌｆ", "kil myself"),
        ("ﬁne", "fine"),
        ("Straße", "strase"),
        # diacritics, invisible characters, look-alikes
        ("kíll mysélf", "kil myself"),
        ("kil\u0301l", "kil"),
        ("ki\u200bll my\u00adself", "kil myself"),
        ("kіll", "kil"),  # Cyrillic і
        ("œuvre", "oeuvre"),
        ("日本", "日本"),
        # leet, only in tokens with a letter
        ("k1ll mys3lf", "kil myself"),
        ("$u1c1d3", "suicide"),
        ("0verd0se", "overdose"),
        ("@ll 4lone", "al alone"),
        ("7ired", "tired"),
        ("in 2024 at 5", "in 2024 at 5"),
        ("£5", "5"),
        # repeated letters, in every word alike
        ("kiiiiill myseeeeelf", "kil myself"),
        ("kill", "kil"),
        ("soooo good", "so god"),
        ("1000 cats", "1000 cats"),
        # separators and apostrophes
        ("kill...myself!!!", "kil myself"),
        ("kill_myself", "kil myself"),
        ("don't", "dont"),
        ("don’t", "dont"),
        ("' ' ''", ""),
        ("", ""),
        ("  \n\t ", ""),
        # split letters: three or more one-character tokens are joined
        ("k i l l m y s e l f", "kilmyself"),
        ("k.i.l.l", "kil"),
        ("k-1-l-l", "kil"),
        ("I will k i l l myself", "i wil kil myself"),
        ("a b", "a b"),
        ("plan a or b", "plan a or b"),
        ("ask ill my self-esteem", "ask il myself estem"),
        ("1 2 3", "1 to 3"),
        # abbreviations and euphemisms
        ("kms", "kil myself"),
        ("KYS", "kil yourself"),
        ("k m s", "kil myself"),
        ("unalive myself", "kil myself"),
        ("unalived", "kiled"),
        ("sewerslide", "suicide"),
        ("sewer slide", "suicide"),
        ("self-delete", "suicide"),
        ("wanna die", "want to die"),
        ("want 2 die", "want to die"),
        ("hurt my self", "hurt myself"),
        ("kmsl", "kmsl"),
    ],
)
def test_normalises(typed: str, normalised: str) -> None:
    assert normalise(typed).text == normalised


def test_every_abbreviation_expands_to_text_without_further_abbreviations() -> None:
    for short, long in ABBREVIATIONS.items():
        assert normalise(short).text == normalise(long).text, short


@pytest.mark.parametrize(
    ("typed", "phrase", "span"),
    [
        ("I want to kill myself", "kil myself", (10, 21)),
        ("so KIIIILL   mys3lf!", "kil myself", (3, 19)),
        ("ok kms", "kil myself", (3, 6)),
        ("I will k i l l m y s e l f", "kilmyself", (7, 26)),
        ("Ｋｉｌｌ myself", "kil myself", (0, 11)),
        ("then ki\u200bll my self", "kil myself", (5, 18)),
        ("'kms' he said", "kil myself", (1, 4)),
        ("it’s sewer slide", "suicide", (5, 16)),
        ("café ki\u0301ll", "kil", (5, 10)),
    ],
)
def test_maps_a_span_back_to_what_was_typed(typed: str, phrase: str, span: tuple[int, int]) -> None:
    normalised = normalise(typed)
    start = normalised.text.index(phrase)
    assert normalised.span_in_original(start, start + len(phrase)) == span


def test_a_space_maps_to_everything_between_two_words() -> None:
    normalised = normalise("kill, '' myself")
    assert normalised.text == "kil myself"
    assert normalised.span_in_original(3, 4) == (4, 9)


def test_folded_spans_map_back_through_folding() -> None:
    normalised = normalise("Ｍail me@x.com")
    assert normalised.folded == "mail me@x.com"
    assert normalised.folded_span_in_original(5, 13) == (5, 13)
    assert normalise("ﬁle").folded_span_in_original(0, 2) == (0, 1)


@pytest.mark.parametrize(("start", "end"), [(0, 0), (-1, 2), (3, 2), (0, 99)])
def test_refuses_a_span_that_is_not_in_the_text(start: int, end: int) -> None:
    normalised = normalise("kill myself")
    with pytest.raises(ValueError, match="not a non-empty span"):
        normalised.span_in_original(start, end)
    with pytest.raises(ValueError, match="not a non-empty span"):
        normalised.folded_span_in_original(start, end)


@pytest.mark.parametrize(
    ("typed", "inside"),
    [
        ("i k i l l", {1, 2, 3}),  # "ikil": every position inside the joined run
        ("k i l l my self", {1, 2}),  # "kil myself": two-word rewrite after the run
        ("kill myself", set()),
        ("a b c de", {1, 2}),
        ("", set()),
    ],
)
def test_knows_where_letters_were_typed_apart(typed: str, inside: set[int]) -> None:
    normalised = normalise(typed)
    found = {p for p in range(len(normalised.text) + 1) if normalised.is_split_letters_at(p)}
    assert found == inside
    assert normalised.has_split_letters == bool(inside)


def test_has_a_readable_repr() -> None:
    assert repr(normalise("KMS")) == "Normalised('KMS' -> 'kil myself')"


@pytest.mark.parametrize("phrase", ["", "  ", "!!!", "'"])
def test_a_phrase_with_nothing_to_match_is_refused(phrase: str) -> None:
    with pytest.raises(ValueError, match="no letters or digits"):
        normalise_phrase(phrase)


def test_long_tokens_are_normalised_without_filling_the_cache() -> None:
    junk = "k" + "i" * 500 + "ll"
    normalised = normalise(f"{junk} myself")
    assert normalised.text == "kil myself"
    assert normalised.span_in_original(0, 3) == (0, len(junk))
    assert junk not in normalise_module._TOKEN_CACHE


def test_the_token_cache_empties_when_full(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(normalise_module._TokenCache, "SIZE", 1)
    assert normalise("zebra crossing").text == "zebra crosing"
    assert len(normalise_module._TOKEN_CACHE) == 1


@given(texts)
def test_every_character_maps_to_a_non_empty_span_in_order(text: str) -> None:
    normalised = normalise(text)
    spans = [normalised.span_in_original(i, i + 1) for i in range(len(normalised.text))]
    for start, end in spans:
        assert 0 <= start < end <= len(text)
    assert [s for s, _ in spans] == sorted(s for s, _ in spans)
    assert [e for _, e in spans] == sorted(e for _, e in spans)
    if spans:
        assert normalised.span_in_original(0, len(normalised.text)) == (spans[0][0], spans[-1][1])


@given(texts)
def test_the_folded_text_maps_back_in_bounds(text: str) -> None:
    normalised = normalise(text)
    for i in range(len(normalised.folded)):
        start, end = normalised.folded_span_in_original(i, i + 1)
        assert 0 <= start < end <= len(text)

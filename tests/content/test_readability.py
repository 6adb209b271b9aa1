"""The Flesch–Kincaid grade and its syllable counter."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from content.readability import Readability, grade_level, measure, plain_blocks, syllables


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("cat", 1),
        ("time", 1),
        ("hope", 1),
        ("walked", 1),
        ("planned", 1),
        ("makes", 1),
        ("wanted", 2),
        ("little", 2),
        ("happy", 2),
        ("worry", 2),
        ("breathing", 2),
        ("boxes", 2),
        ("agree", 2),
        ("anxiety", 3),
        ("everyone", 3),
        ("activity", 4),
        ("understanding", 4),
        ("don’t", 1),
        ("the", 1),
        ("b", 1),
        ("'", 1),
    ],
)
def test_syllables_are_estimated_from_vowel_groups(word, expected):
    assert syllables(word) == expected


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz'", min_size=1, max_size=30))
def test_every_word_has_at_least_one_syllable(word):
    assert syllables(word) >= 1


def test_the_grade_uses_the_flesch_kincaid_formula():
    result = Readability(words=100, sentences=10, syllables=130)
    assert result.grade == pytest.approx(0.39 * 10 + 11.8 * 1.3 - 15.59)
    assert Readability(words=0, sentences=0, syllables=0).grade == 0.0


def test_headings_list_items_and_paragraphs_each_end_a_sentence():
    markdown = "## A heading\n\n- one item\n- two items\n\nA line. Another line!\n"
    result = measure(markdown)
    assert result.sentences == 5
    assert result.words == 10


def test_numbers_and_link_addresses_are_not_counted_as_words():
    result = measure("Call [NHS 111](tel:111) or 116 123 now.\n")
    assert result.words == 4  # Call, NHS, or, now
    assert plain_blocks("Hello\n\n\n") == ["Hello"]
    assert measure("123 456\n").words == 0


def test_short_plain_sentences_score_lower_than_long_technical_ones():
    plain = "I feel low. I stay in bed. I will go for a walk. It may help a bit."
    dense = (
        "Behavioural activation interventions systematically reintroduce positively "
        "reinforcing activities, counteracting avoidance and consequent deterioration of "
        "psychological functioning in individuals experiencing depression."
    )
    assert grade_level(plain) < 3 < 15 < grade_level(dense)

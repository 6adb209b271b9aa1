"""The content check: every module is complete, linked, in date, readable and safe."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

import content
from content import library, worksheets
from content.readability import grade_level
from content.render import internal_links

MODULES = content.all_modules()
SLUGS = [module.slug for module in MODULES]
MAX_GRADE = 7.0  # Flesch–Kincaid grade: a reading age of about 12, the top of our 9–11 to 12 aim

REQUIRED_MODULES = {
    "understanding-low-mood",
    "understanding-worry",
    "behavioural-activation",
    "worry-time",
    "managing-panic",
    "better-sleep",
    "grounding-techniques",
    "problem-solving",
    "coping-while-waiting",
    "staying-safe",
}


def test_the_library_has_every_module_the_service_promises():
    assert set(SLUGS) >= REQUIRED_MODULES


def test_slugs_and_titles_are_unique():
    assert len(set(SLUGS)) == len(SLUGS)
    assert len({module.title for module in MODULES}) == len(MODULES)


@pytest.mark.parametrize("module", MODULES, ids=SLUGS)
def test_front_matter_is_complete(module):
    assert module.title and module.summary and module.topic and module.author_role
    assert 1 <= module.reading_minutes <= 20
    assert module.summary.endswith(".")


@pytest.mark.parametrize("module", [*MODULES, content.crisis_page()], ids=[*SLUGS, "crisis"])
def test_review_dates_are_in_the_future(module):
    assert module.review_date > datetime.now(UTC).date(), f"{module.slug} is due for review"


@pytest.mark.parametrize("module", MODULES, ids=SLUGS)
def test_every_internal_link_resolves_to_another_module(module):
    for slug in internal_links(module.body):
        assert slug in SLUGS, f"{module.slug} links to a missing module {slug!r}"
        assert slug != module.slug


@pytest.mark.parametrize("module", [*MODULES, content.crisis_page()], ids=[*SLUGS, "crisis"])
def test_reading_age_stays_low(module):
    assert grade_level(module.body) <= MAX_GRADE


@pytest.mark.parametrize("module", MODULES, ids=SLUGS)
def test_every_module_says_how_to_get_urgent_help(module):
    for number in ("999", "111", "116 123"):
        assert number in module.body, f"{module.slug} does not mention {number}"
    assert "not for emergencies" in module.body or "not an emergency service" in module.body


@pytest.mark.parametrize("module", MODULES, ids=SLUGS)
def test_every_module_has_a_practical_exercise(module):
    assert "## Try this" in module.body


@pytest.mark.parametrize("module", MODULES, ids=SLUGS)
def test_modules_make_no_claims_of_cure(module):
    lowered = module.body.lower()
    for claim in ("cure", "guaranteed", "will fix", "100%"):
        assert claim not in lowered


def test_worksheets_named_by_modules_exist_and_some_modules_have_one():
    named = [module.worksheet for module in MODULES if module.worksheet]
    assert named
    for code in named:
        assert worksheets.get(code).code == code
    assert set(named) == set(worksheets.WORKSHEETS)  # no worksheet is orphaned


def test_get_finds_a_module_and_refuses_an_unknown_slug():
    assert content.get("worry-time").title == "Worry time"
    with pytest.raises(KeyError):
        content.get("no-such-module")


def test_modules_are_listed_in_title_order():
    titles = [module.title for module in MODULES]
    assert titles == sorted(titles)


def test_the_crisis_page_has_the_three_numbers():
    page = content.crisis_page()
    assert page.title == "Need help now?"
    for number in ("999", "111", "116 123"):
        assert number in page.body


# Suggestions ---------------------------------------------------------------------------


def slugs_of(modules):
    return [module.slug for module in modules]


def test_with_nothing_asked_for_everyone_gets_the_default_set():
    assert slugs_of(content.suggest([])) == ["coping-while-waiting", "staying-safe"]


def test_a_topic_gives_its_modules_first_then_the_defaults():
    assert slugs_of(content.suggest(["panic"])) == [
        "managing-panic",
        "grounding-techniques",
        "coping-while-waiting",
        "staying-safe",
    ]


def test_topics_are_combined_in_order_without_repeats():
    suggested = slugs_of(content.suggest(["low mood", "worry"]))
    assert suggested == [
        "understanding-low-mood",
        "behavioural-activation",
        "problem-solving",
        "understanding-worry",
        "worry-time",
        "coping-while-waiting",
        "staying-safe",
    ]
    assert slugs_of(content.suggest(["sleep", "sleep"])).count("better-sleep") == 1


@pytest.mark.parametrize(
    ("asked", "topic"),
    [
        ("Depression", "low mood"),
        ("  ANXIETY ", "worry"),
        ("insomnia", "sleep"),
        ("Low  Mood", "low mood"),
    ],
)
def test_aliases_case_and_spacing_are_forgiven(asked, topic):
    assert library.normalise_topic(asked) == topic


def test_an_unknown_topic_is_refused_so_a_bad_mapping_fails_loudly():
    with pytest.raises(ValueError, match="not a known topic"):
        content.suggest(["gardening"])


def test_every_mapped_slug_is_a_real_module():
    mapped = {slug for slugs in library.TOPIC_SLUGS.values() for slug in slugs}
    assert mapped | set(library.DEFAULT_SLUGS) <= set(SLUGS)
    assert set(library.TOPIC_ALIASES.values()) <= set(library.TOPIC_SLUGS)


@pytest.mark.parametrize(
    ("depression", "anxiety", "panic", "expected"),
    [
        (False, False, None, []),
        (True, False, None, ["low mood"]),
        (False, True, 3, ["worry"]),
        (False, False, 4, ["panic"]),
        (True, True, 8, ["low mood", "worry", "panic"]),
    ],
)
def test_topics_come_from_measures_at_caseness(depression, anxiety, panic, expected):
    topics = library.topics_from_measures(
        depression=depression, anxiety=anxiety, panic_avoidance=panic
    )
    assert topics == expected
    content.suggest(topics)  # every topic it gives is one suggest knows


@pytest.mark.parametrize("module", MODULES, ids=SLUGS)
def test_every_module_topic_is_a_suggestion_topic_or_for_everyone(module):
    assert module.topic in set(library.TOPIC_SLUGS) | {"waiting", "crisis"}
    if module.topic in library.TOPIC_SLUGS:
        assert module.slug in {s for slugs in library.TOPIC_SLUGS.values() for s in slugs}

"""Watchword rules: validation, regex checks, loading and the shipped list (DOMAIN.md section 7)."""

from __future__ import annotations

import re
from dataclasses import replace
from importlib import resources
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from moderation.normalise import normalise_phrase
from moderation.watchwords import (
    Action,
    Kind,
    Tier,
    Watchword,
    default_watchwords,
    regex_problem,
    required_literals,
    watchwords_from_toml,
)

pytestmark = pytest.mark.pure

GOOD = Watchword("house.test", Tier.HOUSE_RULES, Action.FLAG, Kind.PHRASE, "shut up", "Rude")
RECORD = {
    "id": "house.test",
    "tier": "house_rules",
    "action": "flag",
    "kind": "phrase",
    "pattern": "shut up",
    "description": "Rude",
}


def test_actions_are_ordered_alert_hold_flag() -> None:
    assert Action.ALERT.severity > Action.HOLD.severity > Action.FLAG.severity
    assert [Tier("clinical_risk"), Action("alert"), Kind("regex")] == [
        "clinical_risk",
        "alert",
        "regex",
    ]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"id": ""}, "must be lower-case"),
        ({"id": "Has Spaces"}, "must be lower-case"),
        ({"tier": "house_rules"}, "tier must be a Tier"),
        ({"action": "flag"}, "action must be a Action"),
        ({"kind": "phrase"}, "kind must be a Kind"),
        ({"tier": Tier.CLINICAL_RISK}, "clinical-risk rule must alert"),
        ({"tier": Tier.CLINICAL_RISK, "action": Action.HOLD}, "clinical-risk rule must alert"),
        ({"pattern": "  "}, "pattern must be non-empty"),
        ({"description": ""}, "description must be non-empty"),
        ({"pattern": "?!"}, "no letters or digits"),
        ({"kind": Kind.REGEX, "pattern": "(unclosed"}, "not a valid regular expression"),
        ({"kind": Kind.REGEX, "pattern": "a*"}, "can match the empty string"),
        ({"kind": Kind.REGEX, "pattern": "(a+)+b"}, "catastrophic backtracking"),
    ],
)
def test_a_bad_rule_is_refused_by_name(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message) as refused:
        replace(GOOD, **changes)
    assert repr(changes.get("id", "house.test")) in str(refused.value)


def test_a_clinical_risk_rule_that_alerts_is_accepted() -> None:
    rule = replace(GOOD, tier=Tier.CLINICAL_RISK, action=Action.ALERT)
    assert rule.tier is Tier.CLINICAL_RISK


@pytest.mark.parametrize(
    ("pattern", "problem"),
    [
        (r"[\w.+-]+@[\w-]+\.[\w.]+", None),
        (r"(?:\d[\s-]?){9,10}", None),  # bounded repetition inside bounded repetition is fine
        (r"(?>a+)+b", None),  # nothing inside an atomic group is backtracked into
        (r"(?:a++)+b", None),  # nor inside a possessive repeat
        (r"x(?:a|b(?=c))", None),
        (r"(a{1,3}){2,5}", None),
        (r"(", "not a valid regular expression"),
        (r"a{2}{3}", "not a valid regular expression"),
        (r"", "can match the empty string"),
        (r"a?", "can match the empty string"),
        (r"\b", "can match the empty string"),
        (r"(?=abc)", "can match the empty string"),
        (r"(a+)+b", "catastrophic backtracking"),
        (r"(a*)*b", "catastrophic backtracking"),
        (r"x(\w+\s?)*y", "catastrophic backtracking"),
        (r"x(a?){2,}y", "catastrophic backtracking"),
        (r"x(?:(?:ab)+|c)*y", "catastrophic backtracking"),
        (r"x(?:\.[a-z]+)*y", "catastrophic backtracking"),  # safe, but refused: simple beats clever
    ],
)
def test_regex_problems(pattern: str, problem: str | None) -> None:
    found = regex_problem(pattern)
    assert found is None if problem is None else problem in (found or "")


@pytest.mark.parametrize(
    ("pattern", "literals"),
    [
        ("abc", {"abc"}),
        ("ABC", {"abc"}),
        (r"a\.b", {"a.b"}),
        ("a(?:bc|de)f", {"abc", "ade"}),
        ("a(?:bc|[de])f", {"a"}),
        ("(?:foo|bar)", {"foo", "bar"}),
        ("(?:foo|ba?r)", {"foo", "b"}),
        ("(?:foo|x*)y", {"y"}),
        ("x{3}y", {"xxxy"}),
        ("(?:ab){2}c", {"ababc"}),
        ("x+yz", {"yz"}),
        ("(?:foo)+", {"foo"}),
        ("(?>hello)", {"hello"}),
        ("x(hello)", {"hello"}),
        ("(?:[ab]c)+", {"c"}),
        ("é+", set()),
        ("[ab]", set()),
        ("a?b?", set()),
        (r"\d+", set()),
        ("(?:[ab]+|x)", set()),
    ],
)
def test_required_literals(pattern: str, literals: set[str]) -> None:
    assert required_literals(pattern) == literals


DEFAULT_REGEXES = [
    (rule.id, re.compile(rule.pattern, re.IGNORECASE), required_literals(rule.pattern))
    for rule in default_watchwords()
    if rule.kind is Kind.REGEX
]


@given(st.text(alphabet="0123456789+ ()-@abc.koruwhtp:/", max_size=40))
def test_every_default_regex_match_holds_one_of_its_required_literals(text: str) -> None:
    for rule_id, pattern, literals in DEFAULT_REGEXES:
        for match in pattern.finditer(text):
            assert any(literal in match.group() for literal in literals), rule_id


def test_builds_from_a_record() -> None:
    assert Watchword.from_record(RECORD) == GOOD


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"extra": "x"}, "fields must be exactly"),
        ({"id": None}, "every field must be text"),
        ({"tier": "urgent"}, "'urgent' is not a valid Tier"),
        ({"action": "delete"}, "'delete' is not a valid Action"),
        ({"pattern": ""}, "pattern must be non-empty"),
    ],
)
def test_a_bad_record_is_refused(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Watchword.from_record({**RECORD, **changes})


def test_a_record_without_an_id_is_refused() -> None:
    record = {name: value for name, value in RECORD.items() if name != "id"}
    with pytest.raises(ValueError, match=r"watchword '\?': fields must be exactly"):
        Watchword.from_record(record)


def test_reads_a_toml_list() -> None:
    toml = "[[watchword]]\n" + "\n".join(f'{name} = "{value}"' for name, value in RECORD.items())
    assert watchwords_from_toml(toml) == (GOOD,)


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[[watchword]\n", "not valid TOML"),
        ("title = 'no rules'\n", "one or more"),
        ("watchword = 3\n", "one or more"),
        ("watchword = [1]\n", "one or more"),
    ],
)
def test_a_bad_toml_list_is_refused(toml: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        watchwords_from_toml(toml)


# --- the shipped list ---------------------------------------------------------------------------
def test_the_default_list_is_package_data() -> None:
    data = resources.files("moderation.data").joinpath("default_watchwords.toml")
    assert data.is_file()
    assert default_watchwords() is default_watchwords()  # read once


def test_the_default_list_has_unique_ids_and_unique_phrases() -> None:
    rules = default_watchwords()
    assert len({rule.id for rule in rules}) == len(rules)
    keys = [normalise_phrase(rule.pattern) for rule in rules if rule.kind is Kind.PHRASE]
    assert len(set(keys)) == len(keys)


def test_the_default_list_covers_both_tiers_and_every_action() -> None:
    rules = default_watchwords()
    assert {rule.tier for rule in rules} == set(Tier)
    assert {rule.action for rule in rules} == set(Action)
    assert {rule.kind for rule in rules} == set(Kind)
    assert all(rule.action is Action.ALERT for rule in rules if rule.tier is Tier.CLINICAL_RISK)


@pytest.mark.parametrize(
    "phrase",
    [
        "kill myself",
        "end my life",
        "want to die",
        "better off dead",
        "no reason to live",
        "take my own life",
        "suicide",
        "overdose",
        "hang myself",
        "cut myself",
        "self harm",
        "hurt myself",
        "burn myself",
        "kill him",
        "kill her",
        "kill them",
        "hurt someone",
        "he hits me",
        "being abused",
    ],
)
def test_the_default_list_alerts_on_the_clinical_risk_phrases(phrase: str) -> None:
    rules = {rule.pattern: rule for rule in default_watchwords()}
    assert rules[phrase].tier is Tier.CLINICAL_RISK
    assert rules[phrase].action is Action.ALERT


@pytest.mark.parametrize(
    "rule_id", ["house.contact.email", "house.contact.uk-phone", "house.sites.url"]
)
def test_the_default_list_holds_contact_details_by_regex(rule_id: str) -> None:
    rule = next(rule for rule in default_watchwords() if rule.id == rule_id)
    assert (rule.tier, rule.action, rule.kind) == (Tier.HOUSE_RULES, Action.HOLD, Kind.REGEX)

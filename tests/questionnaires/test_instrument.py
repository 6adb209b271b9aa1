"""Instrument helpers: lookup, licensed rewording, risk rules (STYLE.md section 4)."""

import pytest

from questionnaires import get, score
from questionnaires.instrument import RiskRule

pytestmark = pytest.mark.pure

SRS_ANSWERS = {"relationship": 10, "goals_topics": 10, "approach_method": 9, "overall": 8}


def test_item_lookup_names_a_missing_key() -> None:
    assert get("phq9").item("q9").key == "q9"
    with pytest.raises(ValueError, match="phq9: no item 'q10'"):
        get("phq9").item("q10")


def test_the_srs_ships_plain_wording_marked_as_needing_a_licence() -> None:
    """The licensed text is the deployer's to load; patients never see a note to developers."""
    srs = get("srs")
    assert srs.needs_licence
    assert "licence" in srs.licence_note and "placeholder" in srs.licence_note
    assert "[" not in srs.preamble and "placeholder" not in srs.preamble.lower()
    assert [item.key for item in srs.items] == [
        "relationship",
        "goals_topics",
        "approach_method",
        "overall",
    ]


def test_a_deployment_can_replace_the_srs_wording_without_changing_scoring() -> None:
    srs = get("srs")
    licensed = srs.reworded({"relationship": "Licensed text A"}, preamble="Licensed preamble")
    assert licensed.item("relationship").text == "Licensed text A"
    assert licensed.item("overall").text == srs.item("overall").text
    assert licensed.preamble == "Licensed preamble"
    assert (licensed.code, licensed.version, licensed.risk_rules) == (
        srs.code,
        srs.version,
        srs.risk_rules,
    )
    assert srs.item("relationship").text != "Licensed text A"  # the original is unchanged
    assert srs.reworded({}).preamble == srs.preamble
    assert score("srs", SRS_ANSWERS).total == 37


def test_rewording_an_unknown_item_is_refused() -> None:
    with pytest.raises(ValueError, match="srs: no item 'alliance'"):
        get("srs").reworded({"alliance": "text"})


@pytest.mark.parametrize(
    ("rule", "value", "raised"),
    [
        (RiskRule("a", "at least 1", at_least=1), 0, False),
        (RiskRule("a", "at least 1", at_least=1), 1, True),
        (RiskRule("b", "at most 36", at_most=36), 36, True),
        (RiskRule("b", "at most 36", at_most=36), 37, False),
        (RiskRule("c", "2 to 3", at_least=2, at_most=3), 1, False),
        (RiskRule("c", "2 to 3", at_least=2, at_most=3), 2, True),
        (RiskRule("c", "2 to 3", at_least=2, at_most=3), 4, False),
    ],
)
def test_risk_rule_bounds_are_inclusive(rule: RiskRule, value: int, raised: bool) -> None:
    assert rule.is_raised_by(value) is raised

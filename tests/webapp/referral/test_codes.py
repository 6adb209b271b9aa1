"""The referral code lists are the national values (DOMAIN.md sections 5 and 6)."""

from __future__ import annotations

import pytest

from webapp.referral import codes


def test_employment_status_uses_the_national_codes():
    assert list(codes.EMPLOYMENT_STATUSES) == [
        "01",
        "02",
        "03",
        "04",
        "05",
        "06",
        "07",
        "08",
        "ZZ",
    ]


def test_ethnic_categories_are_the_national_letters_in_their_groups():
    assert list(codes.ETHNICITIES) == list("ABCDEFGHJKLMNPRSZ")
    groups = {code: codes.ETHNIC_GROUPS[code] for code in codes.ETHNICITIES}
    assert {c for c, g in groups.items() if g == "White"} == set("ABC")
    assert {c for c, g in groups.items() if g == "Mixed"} == set("DEFG")
    assert {c for c, g in groups.items() if g == "Asian"} == set("HJKL")
    assert {c for c, g in groups.items() if g == "Black"} == set("MNP")
    assert {c for c, g in groups.items() if g == "Other"} == set("RS")
    assert groups["Z"] == "Not stated"


def test_sources_of_referral_include_the_practitioner_routes():
    assert codes.SELF_REFERRAL == "B1"
    assert set(codes.SOURCES) == {"B1", "B2", "A1", "A3", "D1", "D2", "G3", "M5", "H2"}
    assert set(codes.PRACTITIONER_SOURCES) <= set(codes.SOURCES)
    assert {"A1", "A3", "M5"} <= set(codes.PRACTITIONER_SOURCES)
    assert codes.SELF_REFERRAL not in codes.PRACTITIONER_SOURCES


def test_how_people_heard_of_the_site_has_the_specification_categories():
    assert list(codes.HEARD_ABOUT.values()) == [
        "Psychological Therapies and Wellbeing Services",
        "Jobcentre Plus",
        "A poster or leaflet",
        "My GP or GP practice",
        "A local community or voluntary organisation",
        "My employer",
        "Somewhere else",
    ]
    assert set(codes.SOUGHT_HELP) == {"gp", "therapist", "medication"}


@pytest.mark.parametrize("attribute", list(codes.DEMOGRAPHICS))
def test_every_demographic_question_offers_prefer_not_to_say(attribute):
    code_list = codes.DEMOGRAPHICS[attribute]
    not_stated = [code for code, label in code_list.items() if label == codes.PREFER_NOT_TO_SAY]
    assert len(not_stated) == 1
    assert not_stated[0] in {"Z", "ZZ"}
    assert all(len(code) <= 2 for code in code_list)  # the columns hold two characters


def test_labels_show_codes_as_words():
    assert codes.label(codes.EMPLOYMENT_STATUSES, "08") == "Retired"
    assert codes.label(codes.GENDERS, None) == "Not answered"
    assert codes.label(codes.GENDERS, "") == "Not answered"
    with pytest.raises(ValueError, match="unknown code"):
        codes.label(codes.GENDERS, "Q")
    assert codes.choices(codes.YES_NO) == [("Y", "Yes"), ("N", "No"), ("Z", "Prefer not to say")]


def test_a_code_list_may_not_repeat_a_code():
    with pytest.raises(ValueError, match="repeats"):
        codes._codes(("A", "one"), ("A", "two"))

"""Eligibility (DOMAIN.md section 2): 16 or over on the day of referral, and a postcode in the
configured districts; plus the postcode, mobile number and reference formats."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from webapp.referral.eligibility import (
    MINIMUM_AGE,
    REFERENCE_ALPHABET,
    REFERENCE_SPACE,
    Refusal,
    age_on,
    check_eligibility,
    format_reference,
    is_in_area,
    is_old_enough,
    normalise_districts,
    normalise_uk_mobile,
    parse_postcode,
)

LEEDS = ("LS1", "LS2", "LS6", "EC1A")


@pytest.mark.parametrize(
    ("born", "on", "age"),
    [
        (date(2010, 5, 17), date(2026, 5, 16), 15),  # the day before the 16th birthday
        (date(2010, 5, 17), date(2026, 5, 17), 16),  # the birthday itself
        (date(2010, 5, 17), date(2026, 5, 18), 16),
        (date(2010, 12, 31), date(2026, 12, 31), 16),
        (date(2011, 1, 1), date(2026, 12, 31), 15),
        (date(2008, 2, 29), date(2024, 2, 28), 15),  # leap-day birth, leap year: not yet
        (date(2008, 2, 29), date(2024, 2, 29), 16),  # leap-day birth, leap year: on the day
        (date(2008, 2, 29), date(2025, 2, 28), 16),
        (date(2010, 2, 28), date(2026, 2, 28), 16),
        (date(2010, 3, 1), date(2026, 2, 28), 15),
        (date(2012, 2, 29), date(2028, 2, 28), 15),
        (date(2012, 2, 29), date(2028, 2, 29), 16),
        (date(2011, 2, 28), date(2027, 2, 28), 16),
        (date(2026, 1, 1), date(2026, 1, 1), 0),
    ],
)
def test_age_counts_whole_years_across_birthdays_and_leap_days(born, on, age):
    assert age_on(born, on) == age
    assert is_old_enough(born, on) is (age >= MINIMUM_AGE)


def test_a_leap_day_birth_turns_16_on_1_march_when_the_16th_birthday_is_in_a_common_year():
    # 16 years after a leap year is a leap year, except across a century: 2100 is common.
    born = date(2084, 2, 29)
    assert not is_old_enough(born, date(2100, 2, 28))
    assert is_old_enough(born, date(2100, 3, 1))
    # And one year on from a leap-day birth, 28 February is still short of the birthday.
    assert age_on(date(2008, 2, 29), date(2009, 2, 28)) == 0
    assert age_on(date(2008, 2, 29), date(2009, 3, 1)) == 1


def test_age_refuses_a_birth_after_the_day():
    with pytest.raises(ValueError, match="after"):
        age_on(date(2030, 1, 1), date(2026, 1, 1))


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)), st.integers(0, 120))
def test_age_on_each_birthday_is_the_years_since(born, years):
    try:
        birthday = born.replace(year=born.year + years)
    except ValueError:  # 29 February in a common year: the birthday falls on 1 March
        birthday = date(born.year + years, 3, 1)
    assume(birthday.year <= 9999)
    assert age_on(born, birthday) == years
    if birthday > born:
        assert age_on(born, birthday - timedelta(days=1)) == years - 1


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 1, 1)), st.integers(0, 40000))
def test_age_never_falls_as_days_pass(born, days):
    on = born + timedelta(days=days)
    assert age_on(born, on) <= age_on(born, on + timedelta(days=1)) <= age_on(born, on) + 1


@pytest.mark.parametrize(
    ("text", "district", "outward", "inward", "shown"),
    [
        ("LS1 4AP", "LS1", "LS1", "4AP", "LS1 4AP"),
        ("ls14ap", "LS1", "LS1", "4AP", "LS1 4AP"),
        ("  ls1   4ap ", "LS1", "LS1", "4AP", "LS1 4AP"),
        ("LS10 1AB", "LS10", "LS10", "1AB", "LS10 1AB"),
        ("M1 1AE", "M1", "M1", "1AE", "M1 1AE"),
        ("B33 8TH", "B33", "B33", "8TH", "B33 8TH"),
        ("CR2 6XH", "CR2", "CR2", "6XH", "CR2 6XH"),
        ("DN55 1PT", "DN55", "DN55", "1PT", "DN55 1PT"),
        ("W1A 0AX", "W1", "W1A", "0AX", "W1A 0AX"),
        ("EC1A 1BB", "EC1", "EC1A", "1BB", "EC1A 1BB"),
        ("sw1a-2aa", "SW1", "SW1A", "2AA", "SW1A 2AA"),
    ],
)
def test_postcodes_parse_in_any_case_and_spacing(text, district, outward, inward, shown):
    postcode = parse_postcode(text)
    assert (postcode.district, postcode.outward, postcode.inward, str(postcode)) == (
        district,
        outward,
        inward,
        shown,
    )


@pytest.mark.parametrize(
    "text", ["", "LS1", "4AP", "LS1 4A", "1LS 4AP", "LS1 4CP", "LS1 AAP", "LSX1 4AP", "LS1 4AP X"]
)
def test_things_that_are_not_postcodes_are_refused(text):
    with pytest.raises(ValueError, match="postcode"):
        parse_postcode(text)


@pytest.mark.parametrize(
    ("text", "in_area"),
    [
        ("LS1 4AP", True),
        ("LS2 9JT", True),
        ("LS10 1AB", False),  # LS10 is not LS1
        ("LS16 5AB", False),
        ("EC1A 1BB", True),  # listed by its full outward code
        ("EC1M 6BQ", False),
        ("M1 1AE", False),
    ],
)
def test_the_area_is_the_listed_districts(text, in_area):
    assert is_in_area(parse_postcode(text), LEEDS) is in_area


def test_configured_districts_are_tidied():
    assert normalise_districts([" ls1", "Ls 2", "", "  "]) == {"LS1", "LS2"}


@given(
    st.sampled_from(["LS1", "LS2", "LS6"]),
    st.integers(0, 9),
    st.text("ABDEFGHJLNPQRSTUWXYZ", min_size=2, max_size=2),
)
def test_every_postcode_in_a_listed_district_is_in_area(district, sector, unit):
    for text in (f"{district} {sector}{unit}", f"{district}{sector}{unit}".lower()):
        assert is_in_area(parse_postcode(text), LEEDS)


@pytest.mark.parametrize(
    ("born", "postcode", "refusals"),
    [
        (date(1990, 1, 1), "LS1 4AP", ()),
        (date(2011, 1, 1), "LS1 4AP", (Refusal.UNDER_16,)),
        (date(1990, 1, 1), "M1 1AE", (Refusal.OUT_OF_AREA,)),
        (date(2011, 1, 1), "M1 1AE", (Refusal.UNDER_16, Refusal.OUT_OF_AREA)),
        (date(2010, 6, 1), "LS6 1AA", ()),  # 16 on the day
        (date(2010, 6, 2), "LS6 1AA", (Refusal.UNDER_16,)),  # 16 tomorrow
    ],
)
def test_eligibility_gives_every_reason_for_refusing(born, postcode, refusals):
    result = check_eligibility(born, parse_postcode(postcode), on=date(2026, 6, 1), districts=LEEDS)
    assert result.refusals == refusals
    assert result.is_eligible is (not refusals)


@pytest.mark.parametrize(
    "text",
    [
        "07700900123",
        "07700 900123",
        "07700 900 123",
        "07700-900-123",
        "+447700900123",
        "+44 7700 900123",
        "+44 (0)7700 900123",
        "0044 7700 900123",
        "447700900123",
        "(07700) 900123",
    ],
)
def test_uk_mobiles_normalise_to_e164(text):
    assert normalise_uk_mobile(text) == "+447700900123"


def test_isle_of_man_mobiles_are_mobiles():
    assert normalise_uk_mobile("07624 123456") == "+447624123456"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "0113 496 0000",  # a Leeds landline
        "020 7946 0000",
        "07000 123456",  # personal numbering, not a mobile
        "07600 123456",  # pager
        "0770090012",  # a digit short
        "077009001234",  # a digit long
        "+33 6 12 34 56 78",  # France
        "7700900123",
        "phone me",
    ],
)
def test_things_that_are_not_uk_mobiles_are_refused(text):
    with pytest.raises(ValueError, match="mobile"):
        normalise_uk_mobile(text)


@given(st.integers(min_value=0, max_value=10**9 - 1).map(lambda n: f"07{n % 10**9:09d}"))
def test_any_07_number_that_normalises_keeps_its_digits(text):
    try:
        result = normalise_uk_mobile(text)
    except ValueError:
        assert text.startswith(("070", "076")) and not text.startswith("07624")
        return
    assert result == "+44" + text[1:]


def test_references_are_readable_and_one_to_one():
    assert format_reference(0) == "TT-333333"
    assert format_reference(REFERENCE_SPACE - 1) == "TT-YYYYYY"
    for bad in (-1, REFERENCE_SPACE):
        with pytest.raises(ValueError, match="range"):
            format_reference(bad)


@given(st.integers(0, REFERENCE_SPACE - 1), st.integers(0, REFERENCE_SPACE - 1))
def test_different_numbers_give_different_references(a, b):
    ra, rb = format_reference(a), format_reference(b)
    assert (ra == rb) is (a == b)
    assert len(ra) == 9 and ra.startswith("TT-")
    assert set(ra[3:]) <= set(REFERENCE_ALPHABET)
    assert not set(ra[3:]) & set("0O1IL5S2Z")

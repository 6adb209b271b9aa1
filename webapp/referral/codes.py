"""The referral's code lists, as data: the national dataset's own values where there are any.

Pure: no Flask, no database. Referrals store the codes; pages show the labels. Sources:
DOMAIN.md section 5 (source of referral, ethnic category, employment status) and section 6 (how
people heard of the site, whether they sought help elsewhere, the socio-demographic profile).
Every demographic question offers "Prefer not to say", stored as the list's "not stated" code.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

# The version of the privacy notice a person agreed to; change it when the notice changes.
PRIVACY_NOTICE_VERSION = "2026-12"  # 2026-12: retention periods, data rights, closure

PREFER_NOT_TO_SAY = "Prefer not to say"


def _codes(*pairs: tuple[str, str]) -> Mapping[str, str]:
    codes = dict(pairs)
    if len(codes) != len(pairs):
        raise ValueError("a code list repeats a code")
    return MappingProxyType(codes)


# Source of referral (national codes, DOMAIN.md section 5).
SELF_REFERRAL = "B1"
SOURCES = _codes(
    ("B1", "Self-referral"),
    ("B2", "Carer or relative"),
    ("A1", "GP"),
    ("A3", "Other primary care"),
    ("D1", "Employer"),
    ("D2", "Occupational health"),
    ("G3", "Voluntary sector"),
    ("M5", "Jobcentre Plus"),
    ("H2", "Secondary care"),
)
# Who may use the practitioner form: GPs and practice staff, Jobcentre Plus work coaches and
# the commissioner's other services.
PRACTITIONER_SOURCES = _codes(
    ("A1", "GP"),
    ("A3", "Other primary care (practice nurse, practice staff, social prescriber)"),
    ("M5", "Jobcentre Plus"),
    ("D2", "Occupational health"),
    ("G3", "Voluntary sector"),
    ("H2", "Secondary care"),
)

# What they would like help with (the type of issue in the monthly profile).
ISSUE_TYPES = _codes(
    ("low_mood", "Low mood or depression"),
    ("worry", "Worry or generalised anxiety"),
    ("stress", "Stress"),
    ("panic", "Panic attacks"),
    ("social_anxiety", "Social anxiety"),
    ("phobia", "A phobia"),
    ("ocd", "Obsessive or compulsive thoughts or behaviour"),
    ("trauma", "Something traumatic that happened"),
    ("health_anxiety", "Worry about health"),
    ("long_term_condition", "Coping with a long-term physical health condition"),
    ("other", "Something else"),
)

GENDERS = _codes(
    ("1", "Male, including trans man"),
    ("2", "Female, including trans woman"),
    ("3", "Non-binary"),
    ("4", "Another gender"),
    ("Z", PREFER_NOT_TO_SAY),
)

# Ethnic category (national codes A–Z; groups A–C White, D–G Mixed, H–L Asian, M–P Black,
# R–S Other, Z not stated).
ETHNICITIES = _codes(
    ("A", "White: British"),
    ("B", "White: Irish"),
    ("C", "White: any other White background"),
    ("D", "Mixed: White and Black Caribbean"),
    ("E", "Mixed: White and Black African"),
    ("F", "Mixed: White and Asian"),
    ("G", "Mixed: any other mixed background"),
    ("H", "Asian or Asian British: Indian"),
    ("J", "Asian or Asian British: Pakistani"),
    ("K", "Asian or Asian British: Bangladeshi"),
    ("L", "Asian or Asian British: any other Asian background"),
    ("M", "Black or Black British: Caribbean"),
    ("N", "Black or Black British: African"),
    ("P", "Black or Black British: any other Black background"),
    ("R", "Other ethnic group: Chinese"),
    ("S", "Other ethnic group: any other ethnic group"),
    ("Z", PREFER_NOT_TO_SAY),
)
ETHNIC_GROUPS = _codes(
    ("A", "White"), ("B", "White"), ("C", "White"),
    ("D", "Mixed"), ("E", "Mixed"), ("F", "Mixed"), ("G", "Mixed"),
    ("H", "Asian"), ("J", "Asian"), ("K", "Asian"), ("L", "Asian"),
    ("M", "Black"), ("N", "Black"), ("P", "Black"),
    ("R", "Other"), ("S", "Other"),
    ("Z", "Not stated"),
)  # fmt: skip

SEXUAL_ORIENTATIONS = _codes(
    ("1", "Heterosexual or straight"),
    ("2", "Gay or lesbian"),
    ("3", "Bisexual"),
    ("4", "Another sexual orientation"),
    ("Z", PREFER_NOT_TO_SAY),
)

YES_NO = _codes(("Y", "Yes"), ("N", "No"), ("Z", PREFER_NOT_TO_SAY))
DISABILITY = YES_NO
LONG_TERM_CONDITIONS = YES_NO

RELIGIONS = _codes(
    ("N", "No religion"),
    ("C", "Christian"),
    ("B", "Buddhist"),
    ("H", "Hindu"),
    ("J", "Jewish"),
    ("M", "Muslim"),
    ("S", "Sikh"),
    ("O", "Another religion or belief"),
    ("Z", PREFER_NOT_TO_SAY),
)

LIVING_STATUSES = _codes(
    ("01", "On my own"),
    ("02", "With a partner"),
    ("03", "With family"),
    ("04", "With friends or in shared housing"),
    ("05", "In supported or temporary housing"),
    ("06", "Somewhere else"),
    ("ZZ", PREFER_NOT_TO_SAY),
)

# Employment status (national codes 01–08, ZZ not stated; DOMAIN.md section 5).
EMPLOYMENT_STATUSES = _codes(
    ("01", "Employed"),
    ("02", "Unemployed and looking for work"),
    ("03", "Student"),
    ("04", "Long-term sick or disabled, on benefits"),
    ("05", "Looking after the home or family"),
    ("06", "Not working or looking for work, and not on benefits"),
    ("07", "Unpaid voluntary work"),
    ("08", "Retired"),
    ("ZZ", PREFER_NOT_TO_SAY),
)

# Help sought elsewhere (DOMAIN.md section 6): any of these, or none.
SOUGHT_HELP = _codes(
    ("gp", "From a GP"),
    ("therapist", "From a therapist or counsellor"),
    ("medication", "Medication for how I feel"),
)

# How they heard of the site (DOMAIN.md section 6).
HEARD_ABOUT = _codes(
    ("ptws", "Psychological Therapies and Wellbeing Services"),
    ("jobcentre", "Jobcentre Plus"),
    ("poster", "A poster or leaflet"),
    ("gp", "My GP or GP practice"),
    ("community", "A local community or voluntary organisation"),
    ("employer", "My employer"),
    ("other", "Somewhere else"),
)

# Why an eligibility check refused someone (counted apart, with no personal data).
REFUSAL_REASONS = _codes(
    ("under_16", "Under 16"),
    ("out_of_area", "Lives outside the area the service covers"),
)

# Every demographic answer, by the Referral attribute that stores it.
DEMOGRAPHICS: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "gender": GENDERS,
        "ethnicity": ETHNICITIES,
        "sexual_orientation": SEXUAL_ORIENTATIONS,
        "disability": DISABILITY,
        "religion": RELIGIONS,
        "long_term_condition": LONG_TERM_CONDITIONS,
        "living_status": LIVING_STATUSES,
        "employment_status": EMPLOYMENT_STATUSES,
    }
)


def label(codes: Mapping[str, str], code: str | None) -> str:
    """The words for a stored code; a missing answer reads "Not answered"."""
    if code is None or code == "":
        return "Not answered"
    try:
        return codes[code]
    except KeyError:
        raise ValueError(f"unknown code {code!r}") from None


def choices(codes: Mapping[str, str]) -> list[tuple[str, str]]:
    """(code, label) pairs in the list's own order, for a form's radios."""
    return list(codes.items())

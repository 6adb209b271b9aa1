"""Who may refer: aged 16 or over on the day of referral, and living in the commissioning area.

Pure: values in, values out, no Flask or database. Rules from DOMAIN.md section 2 ("Eligible:
aged 16 or over and resident in the commissioning area (configure the area as a list of postcode
districts)"). Also the small parsers the referral answers need: UK postcodes (the Royal Mail
format: outward code = area + district (+ sub-district letter in central London), inward code =
sector digit + unit letters) and UK mobile numbers normalised to E.164 for SMS.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

MINIMUM_AGE = 16  # years, on the day the referral is made

# Area (1–2 letters), district digit(s) and an optional sub-district letter; then the inward code.
_POSTCODE = re.compile(r"^([A-Z]{1,2})([0-9][0-9A-Z]?)([0-9])([ABD-HJLNP-UW-Z]{2})$")
_SEPARATORS = re.compile(r"[\s\-().]")


class Refusal(enum.StrEnum):
    UNDER_16 = "under_16"
    OUT_OF_AREA = "out_of_area"


@dataclass(frozen=True)
class Postcode:
    area: str  # "LS"
    district: str  # "LS1" (the outward code without a central-London sub-district letter)
    outward: str  # "LS1" or "EC1A"
    inward: str  # "4AP"

    def __str__(self) -> str:
        return f"{self.outward} {self.inward}"


@dataclass(frozen=True)
class Eligibility:
    refusals: tuple[Refusal, ...]

    @property
    def is_eligible(self) -> bool:
        return not self.refusals


def age_on(date_of_birth: date, on: date) -> int:
    """Whole years completed on `on`. Someone born on 29 February turns a year older on
    1 March in a common year (they have not yet reached the anniversary on 28 February)."""
    if on < date_of_birth:
        raise ValueError("the date of birth is after the day asked about")
    had_birthday = (on.month, on.day) >= (date_of_birth.month, date_of_birth.day)
    return on.year - date_of_birth.year - (0 if had_birthday else 1)


def is_old_enough(date_of_birth: date, on: date) -> bool:
    return age_on(date_of_birth, on) >= MINIMUM_AGE


def parse_postcode(text: str) -> Postcode:
    """A UK postcode in any case and spacing ("ls14ap", "LS1 4AP"); ValueError otherwise."""
    compact = _SEPARATORS.sub("", text).upper()
    match = _POSTCODE.fullmatch(compact)
    if match is None:
        raise ValueError(f"not a UK postcode: {text!r}")
    area, district_part, sector, unit = match.groups()
    outward = area + district_part
    district = area + district_part.rstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    return Postcode(area=area, district=district, outward=outward, inward=sector + unit)


def normalise_districts(districts: Iterable[str]) -> frozenset[str]:
    """The configured list, tidied: upper case, no spaces; a blank entry is dropped."""
    return frozenset(d.replace(" ", "").upper() for d in districts if d.strip())


def is_in_area(postcode: Postcode, districts: Iterable[str]) -> bool:
    """In the area when the district ("LS1") or the full outward code ("EC1A") is listed."""
    listed = normalise_districts(districts)
    return postcode.district in listed or postcode.outward in listed


def check_eligibility(
    date_of_birth: date, postcode: Postcode, *, on: date, districts: Iterable[str]
) -> Eligibility:
    """Every reason a person cannot use the service (none when they can)."""
    refusals: list[Refusal] = []
    if not is_old_enough(date_of_birth, on):
        refusals.append(Refusal.UNDER_16)
    if not is_in_area(postcode, districts):
        refusals.append(Refusal.OUT_OF_AREA)
    return Eligibility(tuple(refusals))


def normalise_uk_mobile(text: str) -> str:
    """A UK mobile number as E.164 ("+447700900123"), from 07…, +44 7…, 0044 7… or 44 7…,
    with any spaces, dashes, dots or brackets. ValueError for anything else, including
    landlines and 076 pager numbers (except Isle of Man 07624 mobiles)."""
    digits = _SEPARATORS.sub("", text)
    if digits.startswith("+44"):
        national = digits[3:]
    elif digits.startswith("0044"):
        national = digits[4:]
    elif digits.startswith("44") and len(digits) == 12:
        national = digits[2:]
    elif digits.startswith("0"):
        national = digits[1:]
    else:
        raise ValueError(f"not a UK mobile number: {text!r}")
    if digits.startswith(("+44", "0044")):
        national = national.removeprefix("0")  # "+44 (0)7700 …" as printed on letterheads
    if not re.fullmatch(r"7[0-9]{9}", national):
        raise ValueError(f"not a UK mobile number: {text!r}")
    if national.startswith("70") or (national.startswith("76") and not national.startswith("7624")):
        raise ValueError(f"not a UK mobile number: {text!r}")
    return "+44" + national


# References people can read out on the phone: no 0/O, 1/I/L, 5/S or 2/Z to confuse.
REFERENCE_ALPHABET = "346789ABCDEFGHJKMNPQRTUVWXY"
REFERENCE_LENGTH = 6


def format_reference(number: int) -> str:
    """A number below 27**6 as a human reference like "TT-7K3M9Q"."""
    size = len(REFERENCE_ALPHABET)
    if not 0 <= number < size**REFERENCE_LENGTH:
        raise ValueError("reference number out of range")
    characters = []
    for _ in range(REFERENCE_LENGTH):
        number, index = divmod(number, size)
        characters.append(REFERENCE_ALPHABET[index])
    return "TT-" + "".join(reversed(characters))


REFERENCE_SPACE = len(REFERENCE_ALPHABET) ** REFERENCE_LENGTH

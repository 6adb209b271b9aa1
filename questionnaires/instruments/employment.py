"""Employment status, hours worked, sick pay and benefits: recorded, never scored.

Employment status uses the national dataset's codes 01-08 and ZZ (DOMAIN.md section 5). Hours
worked, statutory sick pay and the benefit indicators are modelled on the national dataset's items
(hours in bands 01-04 with 97 not stated; indicators Y, N or ZZ not stated); confirm the codes
against the dataset specification the deployment reports to.
"""

from questionnaires.instrument import Condition, Instrument, Item, Option
from questionnaires.instruments.scales import YES_NO_NOT_STATED

EMPLOYED = "01"

EMPLOYMENT_STATUS = (
    Option(EMPLOYED, "Employed"),
    Option("02", "Unemployed and looking for work"),
    Option("03", "A student"),
    Option("04", "Long-term sick or disabled, and receiving benefits"),
    Option("05", "Looking after the family or home"),
    Option("06", "Not working or looking for work, and not receiving benefits"),
    Option("07", "Doing unpaid voluntary work"),
    Option("08", "Retired"),
    Option("ZZ", "I'd prefer not to say"),
)
"""DOMAIN.md section 5, in the patient's words."""

HOURS_WORKED = (
    Option("01", "30 hours or more a week"),
    Option("02", "16 to 29 hours a week"),
    Option("03", "5 to 15 hours a week"),
    Option("04", "1 to 4 hours a week"),
    Option("97", "I'd prefer not to say"),
)

_IF_EMPLOYED = Condition(item="status", values=frozenset({EMPLOYED}))

EMPLOYMENT = Instrument(
    code="employment",
    title="Employment status",
    version="1",
    preamble="These questions are about work and money. They help us understand your situation.",
    items=(
        Item("status", "Which of these best describes you at the moment?", EMPLOYMENT_STATUS),
        Item(
            "hours_worked",
            "How many hours a week do you usually work?",
            HOURS_WORKED,
            asked_if=_IF_EMPLOYED,
        ),
        Item(
            "statutory_sick_pay",
            "Are you off work on sick leave or receiving Statutory Sick Pay?",
            YES_NO_NOT_STATED,
            asked_if=_IF_EMPLOYED,
        ),
        Item(
            "jobseekers_allowance",
            "Are you receiving Jobseeker's Allowance?",
            YES_NO_NOT_STATED,
        ),
        Item(
            "employment_and_support_allowance",
            "Are you receiving Employment and Support Allowance?",
            YES_NO_NOT_STATED,
        ),
        Item("universal_credit", "Are you receiving Universal Credit?", YES_NO_NOT_STATED),
        Item(
            "personal_independence_payment",
            "Are you receiving Personal Independence Payment?",
            YES_NO_NOT_STATED,
        ),
    ),
    source="National dataset codes, DOMAIN.md section 5; asked before every session (section 2).",
)

"""The choices a patient has about their data, and which of them changed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from webapp.records import consent


def test_choices_are_split_into_contact_and_optional_uses():
    assert consent.COMMUNICATION_KEYS == ("sms_reminders", "email_reminders")
    assert consent.OPTIONAL_USE_KEYS == ("research_contact", "service_feedback")


def test_only_changed_choices_are_recorded():
    current = {"sms_reminders": True, "research_contact": False}
    assert consent.changes(current, {"sms_reminders": True, "research_contact": True}) == {
        "research_contact": True
    }


def test_an_unknown_choice_is_refused():
    with pytest.raises(ValueError, match="marketing"):
        consent.changes({}, {"marketing": True})


choices = st.fixed_dictionaries({key: st.booleans() for key in consent.KEYS})


@given(choices, choices)
def test_applying_the_changes_gives_what_was_wanted(current, wanted):
    changed = consent.changes(current, wanted)
    assert current | changed == wanted
    assert consent.changes(wanted, wanted) == {}

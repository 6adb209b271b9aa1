"""Group reminders: the day before (on the member's own clock) and an hour before, by the
channels the member chose, each sent once however often the job runs."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.webapp.groups.conftest import STARTS_AT
from webapp.groups import reminders, services


@pytest.fixture(autouse=True)
def _app_context(app):
    with app.app_context():
        yield


def test_the_day_before_and_the_hour_before_each_go_once(world, outbox, app):
    sms = app.extensions["sms_backend"].outbox
    sms.clear()
    assert reminders.send_due(STARTS_AT - timedelta(hours=25)) == 0
    assert reminders.send_due(STARTS_AT - timedelta(hours=23)) == 3
    assert reminders.send_due(STARTS_AT - timedelta(hours=23)) == 0  # once
    assert sorted(m.to for m in outbox) == sorted(m.email for m in world.members)
    assert all("group session is on" in m.body for m in outbox)
    assert "stress" not in repr(outbox) + repr(sms)  # nothing names the group or its subject
    assert len(sms) == 3  # the factory's patients asked for texts too
    outbox.clear()
    assert reminders.send_due(STARTS_AT - timedelta(minutes=59)) == 3
    assert all("starts at 6:30pm" in m.body for m in outbox)
    assert reminders.send_due(STARTS_AT - timedelta(minutes=30)) == 0
    assert reminders.send_due(STARTS_AT + timedelta(minutes=1)) == 0  # started: nothing more


def test_a_member_who_left_or_a_late_join_gets_only_what_is_still_useful(world, outbox):
    services.leave(world.members[0], world.group, now=STARTS_AT - timedelta(days=2))
    outbox.clear()
    # The job was down the day before: only the hour-before reminder goes.
    assert reminders.send_due(STARTS_AT - timedelta(minutes=50)) == 2
    assert world.members[0].email not in {m.to for m in outbox}
    assert all("starts at" in m.body for m in outbox)
    assert reminders.send_due(STARTS_AT - timedelta(minutes=40)) == 0

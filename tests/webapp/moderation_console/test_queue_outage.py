"""With the job queue (Redis) down, a risk post still goes through for the person who wrote it,
and the alert's escalation to the on-call clinical lead does not wait for the queue: the
instance watches the alert itself. A moderator's escalation is texted from the request. (The
load run's Redis fault found the first a 500; the rest follows from it.)"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from tests import factories
from tests.conftest import csrf_token, queue_down
from tests.webapp.community.conftest import make_member, post_thread, put_on_shift
from tests.webapp.moderation_console.conftest import LEAD_MOBILE, RISK, T
from webapp.extensions import db, socketio
from webapp.models import ModerationItem, Role, ShiftKind
from webapp.moderation_console import jobs


class Stop(BaseException):
    """Ends the watch's loop in the test where it would sleep."""


@pytest.fixture
def watches(monkeypatch) -> list[Any]:
    """The background watches started (recorded, not run: the test runs them)."""
    started: list[Any] = []
    monkeypatch.setattr(socketio, "start_background_task", lambda *args: started.append(args))
    return started


def test_a_risk_post_goes_through_and_its_alert_is_texted_at_once_with_nobody_on_shift(
    app, clock, sms, signed_in, space, on_call_lead, watches, monkeypatch
):
    with queue_down(monkeypatch):
        posted = post_thread(signed_in(make_member("calm-heron")), space.id, "Tonight", RISK)
    assert posted.status_code == 302, "the person who posted must not meet an error"
    item = db.session.scalar(select(ModerationItem))
    assert item is not None and item.is_clinical_risk
    [(watch, _app, item_id)] = watches
    assert watch is jobs.watch_here and item_id == item.id

    def sleep(_seconds: float) -> None:
        raise Stop

    monkeypatch.setattr(socketio, "sleep", sleep)
    with pytest.raises(Stop):  # texted, then it would sleep until the repeat
        jobs.watch_here(app, item.id)
    assert [message.to for message in sms] == [LEAD_MOBILE]
    assert "calm-heron" not in sms[0].body


def test_on_shift_the_instance_texts_when_the_window_passes_then_stops_once_acknowledged(
    app, clock, sms, signed_in, space, on_call_lead, watches, monkeypatch
):
    moderator = factories.make_user(Role.MODERATOR)
    put_on_shift(moderator, ShiftKind.MODERATOR, T - timedelta(hours=1))
    with queue_down(monkeypatch):
        posted = post_thread(signed_in(make_member("calm-heron")), space.id, "Tonight", RISK)
    assert posted.status_code == 302
    [(watch, _app, item_id)] = watches
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        if len(slept) == 1:
            assert sms == [], "nothing before the acknowledgement window has passed"
            clock.shift(timedelta(seconds=seconds))  # the window passes unacknowledged
        else:
            item_now = db.session.get(ModerationItem, item_id)
            item_now.acknowledged_at, item_now.acknowledged_by_id = T, moderator.id
            item_now.next_escalation_at = None
            db.session.commit()
            clock.shift(timedelta(seconds=seconds))

    monkeypatch.setattr(socketio, "sleep", sleep)
    watch(app, item_id)  # returns once the alert is acknowledged
    assert slept[0] == 600.0  # the 10-minute window
    assert [message.to for message in sms] == [LEAD_MOBILE]
    assert len(slept) == 2


def test_a_moderators_escalation_is_texted_from_the_request(
    app, sms, signed_in, space, monkeypatch
):
    monkeypatch.setitem(app.config, "ON_CALL_MOBILE", LEAD_MOBILE)
    post_thread(signed_in(make_member("calm-heron")), space.id, "Number", "Call me on 07700 900123")
    item = db.session.scalar(select(ModerationItem))
    moderator = signed_in(factories.make_user(Role.MODERATOR))
    path = f"/moderation/items/{item.id}"
    data = {"csrf_token": csrf_token(moderator, path), "decision": "escalate", "reason": "Low"}
    with queue_down(monkeypatch):
        decided = moderator.post(path, data=data)
    assert decided.status_code == 302
    assert [message.to for message in sms] == [LEAD_MOBILE]

"""Alert escalation with a controlled clock: an alert not acknowledged within
ALERT_ACKNOWLEDGE_MINUTES is texted to the on-call clinical lead, again every
ALERT_REPEAT_MINUTES until acknowledged; with nobody on shift it is texted at once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests import factories
from tests.conftest import csrf_token
from tests.webapp.community.conftest import make_member, post_thread, put_on_shift
from tests.webapp.moderation_console.conftest import LEAD_MOBILE, RISK, T
from webapp.extensions import db
from webapp.jobs import huey
from webapp.models import ModerationItem, Role, ShiftKind
from webapp.moderation_console.jobs import check_alert


def _check(app, item_id: int) -> None:
    with app.app_context():
        check_alert.call_local(item_id)


def _alert() -> ModerationItem:
    return db.session.scalar(select(ModerationItem))


def test_an_unacknowledged_alert_is_texted_after_the_window_and_repeated(
    app, clock, sms, signed_in, space, on_call_lead
):
    moderator = factories.make_user(Role.MODERATOR)
    put_on_shift(moderator, ShiftKind.MODERATOR, T - timedelta(hours=1))
    post_thread(signed_in(make_member("calm-heron")), space.id, "Tonight", RISK)
    item = _alert()
    assert item.next_escalation_at == T + timedelta(minutes=10)
    assert sms == []
    scheduled = [task for task in huey.scheduled() if task.name == "check_alert"]
    assert [task.args for task in scheduled] == [(item.id,)]

    clock.move_to(T + timedelta(minutes=9, seconds=59))
    _check(app, item.id)
    assert sms == []

    clock.move_to(T + timedelta(minutes=10))
    _check(app, item.id)
    assert [message.to for message in sms] == [LEAD_MOBILE]
    assert "risk alert" in sms[0].body and "calm-heron" not in sms[0].body
    _check(app, item.id)  # a duplicate run sends nothing more
    assert len(sms) == 1

    clock.move_to(T + timedelta(minutes=20))
    _check(app, item.id)
    assert len(sms) == 2
    assert db.session.get(ModerationItem, item.id).escalations_sent == 2

    clock.move_to(T + timedelta(minutes=21))
    client = signed_in(moderator)
    path = f"/moderation/items/{item.id}/acknowledge"
    client.post(path, data={"csrf_token": csrf_token(client, f"/moderation/items/{item.id}")})
    assert db.session.get(ModerationItem, item.id).acknowledged_at == T + timedelta(minutes=21)
    clock.move_to(T + timedelta(minutes=30))
    _check(app, item.id)
    assert len(sms) == 2


def test_an_alert_acknowledged_in_time_is_never_texted(
    app, clock, sms, signed_in, space, on_call_lead
):
    moderator = factories.make_user(Role.MODERATOR)
    put_on_shift(moderator, ShiftKind.MODERATOR, T - timedelta(hours=1))
    post_thread(signed_in(make_member("calm-heron")), space.id, "Tonight", RISK)
    item = _alert()
    clock.move_to(T + timedelta(minutes=5))
    client = signed_in(moderator)
    path = f"/moderation/items/{item.id}/acknowledge"
    client.post(path, data={"csrf_token": csrf_token(client, f"/moderation/items/{item.id}")})
    clock.move_to(T + timedelta(minutes=10))
    _check(app, item.id)
    assert sms == []


def test_an_alert_outside_any_shift_is_texted_at_once(
    app, clock, sms, signed_in, space, on_call_lead
):
    post_thread(signed_in(make_member("calm-heron")), space.id, "Tonight", RISK)
    assert [message.to for message in sms] == [LEAD_MOBILE]
    item = _alert()
    assert item.escalations_sent == 1 and item.next_escalation_at == T + timedelta(minutes=10)


def test_with_no_on_call_shift_the_configured_number_is_texted(
    app, clock, sms, signed_in, space, monkeypatch
):
    monkeypatch.setitem(app.config, "ON_CALL_MOBILE", "+447700900999")
    post_thread(signed_in(make_member("calm-heron")), space.id, "Tonight", RISK)
    assert [message.to for message in sms] == ["+447700900999"]


def test_a_failed_text_is_audited_and_tried_again_later(
    app, clock, sms, signed_in, space, on_call_lead
):
    app.extensions["sms_backend"].fail_next = True
    post_thread(signed_in(make_member("calm-heron")), space.id, "Tonight", RISK)
    item = _alert()
    assert sms == [] and item.escalations_sent == 0
    clock.move_to(T + timedelta(minutes=10))
    _check(app, item.id)
    assert [message.to for message in sms] == [LEAD_MOBILE]


def test_the_sweep_texts_a_due_alert_whose_scheduled_check_was_lost(
    app, clock, sms, signed_in, space, on_call_lead
):
    from webapp.moderation_console.jobs import sweep_open_alerts

    moderator = factories.make_user(Role.MODERATOR)
    put_on_shift(moderator, ShiftKind.MODERATOR, T - timedelta(hours=1))
    post_thread(signed_in(make_member("calm-heron")), space.id, "Tonight", RISK)
    huey.storage.flush_schedule()  # the scheduled check is lost
    clock.move_to(T + timedelta(minutes=10))
    sweep_open_alerts.call_local()
    sweep_open_alerts.call_local()
    assert [message.to for message in sms] == [LEAD_MOBILE]

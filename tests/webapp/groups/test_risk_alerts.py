"""A member's clinical-risk message in a group meeting is an alert in the moderation queue, as a
post's is: acknowledged by a moderator in time, or texted to the on-call clinical lead; closed
(checked with the facilitator) or escalated from its page in the console. Moderators see the
member's handle, never their name; only the clinical lead's escalation page names them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests import factories
from tests.conftest import csrf_token, submit
from tests.webapp.community.conftest import put_on_shift
from tests.webapp.groups.conftest import NAMESPACE, STARTS_AT, connect, send
from tests.webapp.groups.test_sockets import RISK, moderation_queue
from tests.webapp.sessions.conftest import fast_sign_in
from webapp.extensions import db
from webapp.models import (
    AuditEvent,
    GroupMessage,
    ItemKind,
    ModerationItem,
    Resolution,
    Role,
    ShiftKind,
    StaffContact,
)
from webapp.moderation_console.jobs import check_alert

NOW = STARTS_AT + timedelta(minutes=1)  # the groups' clock
LEAD_MOBILE = "+447700900555"


@pytest.fixture
def moderator(world):
    moderator = factories.make_user(Role.MODERATOR, email="mod@example.org")
    put_on_shift(moderator, ShiftKind.MODERATOR, NOW - timedelta(hours=1))
    return moderator


@pytest.fixture
def lead(world):
    lead = factories.make_user(Role.CLINICAL_LEAD, full_name="Dr Lee Lead")
    db.session.add(StaffContact(user_id=lead.id, mobile_e164=LEAD_MOBILE))
    db.session.commit()
    put_on_shift(lead, ShiftKind.CLINICAL_ON_CALL, NOW - timedelta(hours=1), hours=24)
    return lead


def raise_alert(world, client_id: str = "client-risk1") -> ModerationItem:
    author = connect(world, world.members[0])
    assert send(author, RISK, client_id)["ok"]
    item = db.session.scalar(select(ModerationItem))
    assert item is not None
    return item


def console(world, user):
    client = world.app.test_client()
    fast_sign_in(client, user)
    return client


def test_a_risk_message_is_queued_as_an_alert_with_its_escalation_clock(world, moderator, sms):
    queue = moderation_queue(world, moderator)
    queue.get_received("/moderation")
    item = raise_alert(world)
    message = db.session.scalar(select(GroupMessage))
    assert item.group_message_id == message.id and item.post_id is None
    assert item.kind is ItemKind.ALERT and item.is_clinical_risk
    assert item.rule_ids == message.rule_ids and item.rule_ids
    assert item.next_escalation_at == NOW + timedelta(minutes=10)  # a moderator is on shift
    assert sms == []  # not yet due
    live = [e["args"][0] for e in queue.get_received("/moderation") if e["name"] == "item"]
    assert len(live) == 1
    assert live[0]["id"] == item.id and live[0]["kind"] == "alert" and live[0]["post_id"] is None
    assert live[0]["handle"] == "calm-river" and "Alice" not in str(live[0])
    assert "Six-week stress course" in live[0]["where"] and "kill" in live[0]["html"]
    page = console(world, moderator).get("/moderation/").get_data(as_text=True)
    assert f'data-item-id="{item.id}"' in page and "Six-week stress course" in page
    assert "calm-river" in page and "Alice Realname" not in page


def test_a_resend_queues_no_second_alert_and_a_facilitator_quoting_risk_words_none(
    world, moderator
):
    raise_alert(world)
    again = connect(world, world.members[0])
    assert send(again, RISK, "client-risk1")["duplicate"] is True
    facilitator = connect(world, world.facilitator)
    assert send(facilitator, "If you think about wanting to kill yourself, tell us", "client-fac1")[
        "ok"
    ]
    assert db.session.scalar(select(func.count(ModerationItem.id))) == 1


def test_an_alert_nobody_acknowledges_is_texted_to_the_on_call_lead(
    world, moderator, lead, sms, clock
):
    item = raise_alert(world)
    for minutes, texts in ((9, 0), (10, 1), (11, 1), (20, 2)):  # then again every 10 minutes
        clock.move_to(NOW + timedelta(minutes=minutes))
        check(world, item.id)
        assert len(sms) == texts, f"{texts} texts by {minutes} minutes"
    assert {text.to for text in sms} == {LEAD_MOBILE}
    assert "calm-river" not in sms[0].body and "kill" not in sms[0].body


def check(world, item_id: int) -> None:
    """The alert's scheduled job, run now."""
    with world.app.app_context():
        check_alert.call_local(item_id)


def test_with_no_moderator_on_shift_the_alert_is_texted_at_once(world, lead, sms):
    item = raise_alert(world)
    assert item.next_escalation_at is not None
    assert [text.to for text in sms] == [LEAD_MOBILE]


def test_an_acknowledged_alert_is_not_texted(world, moderator, lead, sms, clock):
    item = raise_alert(world)
    client = console(world, moderator)
    response = submit(
        client,
        f"/moderation/items/{item.id}/acknowledge",
        {},
        form_page=f"/moderation/items/{item.id}",
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(ModerationItem, item.id).acknowledged_by_id == moderator.id
    clock.move_to(NOW + timedelta(minutes=30))
    check(world, item.id)
    assert sms == []


def test_the_alert_page_shows_the_message_in_its_meeting_and_whom_to_call(world, moderator):
    other = connect(world, world.members[1])
    send(other, "It has been a hard week", "client-before")
    item = raise_alert(world)
    page = console(world, moderator).get(f"/moderation/items/{item.id}").get_data(as_text=True)
    assert "Dr Tessa Facilitator" in page  # staff are named: the moderator calls them
    assert "calm-river" in page and "blue-heron" in page and "It has been a hard week" in page
    assert "kill myself tonight" in page and "Six-week stress course" in page
    assert "Alice Realname" not in page and "Bob Realname" not in page
    assert "Acknowledge this alert" in page and "Escalate to the clinical lead" in page


def test_closing_needs_a_decision_and_a_reason_and_changes_nothing_without(world, moderator):
    item = raise_alert(world)
    client = console(world, moderator)
    path = f"/moderation/items/{item.id}"
    for data, error in (
        ({"decision": "upheld", "reason": ""}, "Give a reason"),
        ({"reason": "Spoke to Tessa"}, "Select what to do"),
    ):
        response = submit(client, path, data)
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert "nhsuk-error-summary" in page and error in page
    db.session.expire_all()
    assert db.session.get(ModerationItem, item.id).resolved_at is None


def test_closing_takes_the_alert_out_of_every_queue_and_keeps_the_message_held(world, moderator):
    item = raise_alert(world)
    queue = moderation_queue(world, moderator)
    queue.get_received("/moderation")
    client = console(world, moderator)
    response = submit(
        client,
        f"/moderation/items/{item.id}",
        {"decision": "dismissed", "reason": "Quoting a film; Tessa agrees"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    closed = db.session.get(ModerationItem, item.id)
    assert closed.resolution is Resolution.CLOSED and closed.verdict == "dismissed"
    assert closed.resolved_by_id == moderator.id and closed.acknowledged_at is not None
    assert closed.next_escalation_at is None
    assert db.session.get(GroupMessage, closed.group_message_id).is_held  # the room decides
    audit = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "moderation.group_alert_closed")
    )
    assert audit.detail == {"reason": "Quoting a film; Tessa agrees", "verdict": "dismissed"}
    decided = [e["args"][0] for e in queue.get_received("/moderation") if e["name"] == "decided"]
    assert decided == [{"item_id": item.id}]
    assert f'data-item-id="{item.id}"' not in client.get("/moderation/").get_data(as_text=True)
    page = f"/moderation/items/{item.id}"
    assert "Make this decision" not in client.get(page).get_data(as_text=True)
    for decision in ("upheld", "escalate"):  # a form kept open in another tab
        again = submit(client, page, {"decision": decision, "reason": "x"})
        assert "This alert is already closed" in again.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(ModerationItem, item.id).verdict == "dismissed"
    assert db.session.get(ModerationItem, item.id).escalated_to_clinical_at is None


def test_escalating_texts_on_call_and_names_the_member_to_the_clinical_lead_only(
    world, moderator, lead, sms
):
    item = raise_alert(world)
    client = console(world, moderator)
    response = submit(
        client,
        f"/moderation/items/{item.id}",
        {"decision": "escalate", "reason": "Says tonight; facilitator not answering"},
    )
    assert response.status_code == 302
    assert len(sms) == 1 and "group meeting" in sms[0].body and "calm-river" not in sms[0].body
    db.session.expire_all()
    escalated = db.session.get(ModerationItem, item.id)
    assert escalated.escalated_to_clinical_at is not None and escalated.acknowledged_at
    assert escalated.resolved_at is None  # still in the queue until a moderator closes it
    assert client.get("/moderation/escalations").status_code == 403
    page = console(world, lead).get("/moderation/escalations").get_data(as_text=True)
    assert "Alice Realname" in page and "calm-river" in page and "Six-week stress course" in page


@pytest.mark.parametrize("who", ["facilitator", "member"])
def test_only_moderators_and_clinical_leads_open_an_alert(world, who):
    item = raise_alert(world)
    user = world.facilitator if who == "facilitator" else world.members[1]
    client = console(world, user)
    assert client.get(f"/moderation/items/{item.id}").status_code == 403
    token = csrf_token(client, "/account")  # a valid form: refused for the role alone
    for path in (f"/moderation/items/{item.id}", f"/moderation/items/{item.id}/acknowledge"):
        response = client.post(
            path, data={"csrf_token": token, "decision": "dismissed", "reason": "x"}
        )
        assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(ModerationItem, item.id).resolved_at is None


def events(socket, name: str) -> list[dict]:
    return [
        e["args"][0] for e in socket.get_received(socket_namespace(socket)) if e["name"] == name
    ]


def socket_namespace(socket) -> str:
    return next(iter(socket.connected))


def test_a_facilitator_acknowledges_from_the_room_and_nobody_is_texted(
    world, moderator, lead, sms, clock
):
    """The facilitator is with the member: their acknowledgement stops the on-call texts, and
    every facilitator's page and moderator's queue says who is seeing to it."""
    co_facilitator = connect(world, world.facilitator)
    queue = moderation_queue(world, moderator)
    item = raise_alert(world)
    [alert] = events(co_facilitator, "alert")
    assert alert["alert_id"] == item.id and alert["acknowledged_by"] is None
    queue.get_received("/moderation")
    facilitator = connect(world, world.facilitator)
    ack = facilitator.emit(
        "acknowledge_alert", {"alert_id": item.id}, namespace=NAMESPACE, callback=True
    )
    assert ack == {"ok": True, "alert_id": item.id, "acknowledged_by": "Dr Tessa Facilitator"}
    db.session.expire_all()
    item = db.session.get(ModerationItem, item.id)
    assert item.acknowledged_by_id == world.facilitator.id and item.next_escalation_at is None
    assert item.resolved_at is None  # still the moderator's to close
    assert events(co_facilitator, "alert_acknowledged") == [
        {"alert_id": item.id, "by": "Dr Tessa Facilitator"}
    ]
    assert events(queue, "acknowledged") == [{"id": item.id}]
    assert db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "moderation.alert_acknowledged",
            AuditEvent.actor_id == world.facilitator.id,
        )
    )
    page = console(world, moderator).get(f"/moderation/items/{item.id}").get_data(as_text=True)
    assert "by Dr Tessa Facilitator" in page and "Acknowledge this alert" not in page
    clock.move_to(NOW + timedelta(minutes=30))
    check(world, item.id)
    assert sms == []


def test_a_facilitator_joining_late_sees_the_meetings_open_alerts(world, moderator):
    item = raise_alert(world)
    facilitator = connect(world, world.facilitator)
    [alert] = events(facilitator, "alerts")[0]
    assert alert["alert_id"] == item.id and alert["sender"] == "calm-river"
    assert "kill" in alert["html"] and alert["acknowledged_by"] is None
    member = connect(world, world.members[1])
    assert events(member, "alerts") == []  # members never see alerts
    queue = moderation_queue(world, moderator)  # the moderator acknowledges from their queue
    assert queue.emit("acknowledge", {"item_id": item.id}, namespace="/moderation", callback=True)[
        "ok"
    ]
    assert events(facilitator, "alert_acknowledged") == [
        {"alert_id": item.id, "by": moderator.full_name}
    ]
    [alert] = events(connect(world, world.facilitator), "alerts")[0]
    assert alert["acknowledged_by"] == moderator.full_name


def test_a_closed_alert_is_no_longer_shown_to_facilitators(world, moderator):
    item = raise_alert(world)
    facilitator = connect(world, world.facilitator)
    client = console(world, moderator)
    submit(
        client,
        f"/moderation/items/{item.id}",
        {"decision": "upheld", "reason": "Checked in with the facilitator"},
    )
    db.session.expire_all()
    assert db.session.get(ModerationItem, item.id).resolved_at is not None
    assert events(facilitator, "alert_closed") == [{"alert_id": item.id}]  # live, and after:
    assert events(connect(world, world.facilitator), "alerts") == [[]]


def test_escalating_tells_the_facilitators_the_alert_is_in_hand(world, moderator, lead, sms):
    item = raise_alert(world)
    facilitator = connect(world, world.facilitator)
    client = console(world, moderator)
    response = submit(
        client,
        f"/moderation/items/{item.id}",
        {"decision": "escalate", "reason": "Needs the clinical lead"},
    )
    assert response.status_code == 302
    # Not "acknowledged" (the page would say nobody is texted): the on-call lead is texted.
    assert events(facilitator, "alert_escalated") == [
        {"alert_id": item.id, "by": moderator.full_name}
    ]
    [alert] = events(connect(world, world.facilitator), "alerts")[0]
    assert alert["escalated"] is True


def test_only_a_facilitator_may_acknowledge_and_only_their_meetings_alert(world, moderator):
    item = raise_alert(world)
    member = connect(world, world.members[1])
    ack = member.emit(
        "acknowledge_alert", {"alert_id": item.id}, namespace=NAMESPACE, callback=True
    )
    assert ack["ok"] is False and ack["code"] == "forbidden"
    assert (
        db.session.scalar(
            select(AuditEvent).where(
                AuditEvent.action == "group.room_refused",
                AuditEvent.actor_id == world.members[1].id,
            )
        ).detail["reason"]
        == "not_a_facilitator"
    )
    facilitator = connect(world, world.facilitator)
    for wrong in (item.id + 1000, "1", None):
        ack = facilitator.emit(
            "acknowledge_alert", {"alert_id": wrong}, namespace=NAMESPACE, callback=True
        )
        assert ack == {
            "ok": False,
            "error": "That alert is not from this meeting.",
            "code": "alert",
        }
    db.session.expire_all()
    assert db.session.get(ModerationItem, item.id).acknowledged_at is None


def test_two_acknowledgements_at_once_record_only_the_first(world, moderator):
    """A facilitator in the room and a moderator in the queue may press together."""
    from sqlalchemy import update
    from sqlalchemy.orm.attributes import set_committed_value

    from webapp.moderation_console import services as moderation_services

    item = raise_alert(world)
    stale = db.session.get(ModerationItem, item.id)  # read before the other press landed
    db.session.execute(
        update(ModerationItem)
        .where(ModerationItem.id == item.id)
        .values(acknowledged_at=NOW, acknowledged_by_id=moderator.id)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    set_committed_value(stale, "acknowledged_at", None)  # as the other request still saw it
    assert moderation_services.acknowledge(stale, world.facilitator, now=NOW) is False
    assert db.session.get(ModerationItem, item.id).acknowledged_by_id == moderator.id
    assert not db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "moderation.alert_acknowledged")
    )

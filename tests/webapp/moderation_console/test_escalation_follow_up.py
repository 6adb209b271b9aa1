"""The clinical lead's follow-up of escalations: recorded with what was done (encrypted, not in
the audit log), refused when empty or when another follow-up came while the page was open, and
the escalation page tells those waiting from those seen to. Only clinical leads reach it."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from sqlalchemy import select, text

from tests import factories
from tests.conftest import csrf_token
from tests.webapp.community.conftest import make_member, post_thread
from tests.webapp.moderation_console.conftest import RISK, T
from webapp.extensions import db
from webapp.models import AuditEvent, EscalationFollowUp, ModerationItem, Role
from webapp.moderation_console.jobs import check_alert

PHONE = "Call me on 07700 900123 any time"
NOTE = "Called her at 14:10: safe tonight, safety plan reviewed, therapist told."


def _escalate(moderator, path: str, reason: str) -> None:
    """A moderator escalates the queue item at `path` to the clinical lead."""
    moderator.post(
        path,
        data={
            "csrf_token": csrf_token(moderator, path),
            "decision": "escalate",
            "reason": reason,
            "decided_shown": "",
        },
    )


def _escalated_item(signed_in, space, body: str = PHONE) -> ModerationItem:
    """A held post a moderator escalated to the clinical lead."""
    post_thread(
        signed_in(make_member("calm-heron", full_name="Priyanka Example")), space.id, "Hi", body
    )
    item = db.session.scalars(select(ModerationItem).order_by(ModerationItem.id.desc())).first()
    moderator = signed_in(factories.make_user(Role.MODERATOR, full_name="Jo Williams"))
    path = f"/moderation/items/{item.id}"
    _escalate(moderator, path, "Sounds very low")
    db.session.expire_all()
    assert db.session.get(ModerationItem, item.id).escalated_to_clinical_at is not None
    return item


SHOWN = re.compile(r'name="shown" value="([^"]*)"')


def _shown(client, item_id: int) -> str:
    """What the follow-up page shows of the items it covers (its hidden `shown` field)."""
    page = client.get(f"/moderation/escalations/{item_id}").get_data(as_text=True)
    return html.unescape(SHOWN.search(page).group(1))


def _follow_up(client, item_id: int, note: str, shown: str | None = None):
    path = f"/moderation/escalations/{item_id}"
    data = {"csrf_token": csrf_token(client, path), "note": note}
    data["shown"] = shown if shown is not None else _shown(client, item_id)
    return client.post(path, data=data)


def _count(item_id: int) -> int:
    return len(db.session.scalars(select(EscalationFollowUp).filter_by(item_id=item_id)).all())


def _sections(page: str) -> tuple[str, str]:
    waiting, followed = page.split("<h2>Followed up</h2>")
    return waiting[waiting.index("Waiting for follow-up") :], followed


def test_a_follow_up_is_recorded_encrypted_and_moves_the_escalation_on(signed_in, space):
    item = _escalated_item(signed_in, space)
    lead = signed_in(factories.make_user(Role.CLINICAL_LEAD, full_name="Dr Ada Shaw"))
    waiting, followed = _sections(lead.get("/moderation/escalations").get_data(as_text=True))
    assert "Priyanka Example" in waiting and "Priyanka Example" not in followed
    assert "Waiting for follow-up (1)" in waiting
    page = lead.get(f"/moderation/escalations/{item.id}").get_data(as_text=True)
    assert "Nothing recorded yet: it waits for follow-up." in page
    assert "by Jo Williams: Sounds very low" in page and "07700 900123" in page

    response = _follow_up(lead, item.id, NOTE)
    assert response.status_code == 302 and response.location.endswith("/moderation/escalations")
    follow_up = db.session.scalar(select(EscalationFollowUp))
    assert (
        follow_up.item_id,
        follow_up.by.full_name,
        follow_up.note,
        follow_up.at is not None,
    ) == (
        item.id,
        "Dr Ada Shaw",
        NOTE,
        True,
    )
    stored = db.session.execute(text("SELECT note FROM escalation_follow_ups")).scalar_one()
    assert "safety plan" not in stored  # encrypted at rest
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "moderation.escalation_followed_up")
    )
    assert event.detail == {"items": [item.id], "note_length": len(NOTE)}  # never the note

    page = lead.get("/moderation/escalations").get_data(as_text=True)
    assert "Follow-up recorded for Priyanka Example." in page
    waiting, followed = _sections(page)
    assert "Nothing is waiting for follow-up." in waiting
    assert (
        "Priyanka Example" in followed
        and "by Dr Ada Shaw:</strong> Called her at 14:10" in followed
    )


def test_an_empty_or_over_long_note_is_refused_and_changes_nothing(signed_in, space):
    item = _escalated_item(signed_in, space)
    lead = signed_in(factories.make_user(Role.CLINICAL_LEAD))
    for note, error in (
        ("   ", "Say what was done: it is kept with the escalation"),
        ("x" * 2001, "The follow-up note must be 2,000 characters or fewer"),
    ):
        response = _follow_up(lead, item.id, note)
        html = response.get_data(as_text=True)
        assert response.status_code == 200
        assert "There is a problem" in html and error in html
    assert db.session.scalars(select(EscalationFollowUp)).all() == []
    assert "x" * 2001 in html  # what was typed is still in the box


def test_a_follow_up_recorded_while_the_page_was_open_is_shown_before_saving_another(
    signed_in, space
):
    item = _escalated_item(signed_in, space)
    first = signed_in(factories.make_user(Role.CLINICAL_LEAD, full_name="Dr Ada Shaw"))
    second = signed_in(factories.make_user(Role.CLINICAL_LEAD, full_name="Dr Ben Ode"))
    stale = _shown(second, item.id)
    _follow_up(first, item.id, NOTE)

    response = _follow_up(second, item.id, "Texted her the crisis line.", shown=stale)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Something changed while you had this page open" in page
    assert "Nothing was saved" in page and "Dr Ada Shaw" in page
    assert "Texted her the crisis line." in page  # kept in the box to send again
    assert NOTE in page and _count(item.id) == 1

    assert _follow_up(second, item.id, "Texted her the crisis line.").status_code == 302
    notes = [f.note for f in db.session.scalars(select(EscalationFollowUp).order_by("id"))]
    assert notes == [NOTE, "Texted her the crisis line."]


def test_a_new_escalation_while_the_page_was_open_is_not_closed_unseen(signed_in, space, clock):
    item = _escalated_item(signed_in, space)
    lead = signed_in(factories.make_user(Role.CLINICAL_LEAD))
    stale = _shown(lead, item.id)
    clock.move_to(T + timedelta(minutes=5))
    moderator = signed_in(factories.make_user(Role.MODERATOR))
    path = f"/moderation/items/{item.id}"
    _escalate(moderator, path, "Posted again")
    response = _follow_up(lead, item.id, NOTE, shown=stale)
    assert "Something changed while you had this page open" in response.get_data(as_text=True)
    assert _count(item.id) == 0


def test_escalated_again_after_its_follow_up_it_waits_again(signed_in, space, clock):
    item = _escalated_item(signed_in, space)
    lead_user = factories.make_user(Role.CLINICAL_LEAD)
    _follow_up(signed_in(lead_user), item.id, NOTE)
    clock.move_to(T + timedelta(hours=2))
    lead = signed_in(lead_user)  # (the first sign-in has timed out)
    moderator = signed_in(factories.make_user(Role.MODERATOR))
    path = f"/moderation/items/{item.id}"
    _escalate(moderator, path, "Posted again tonight")
    waiting, _ = _sections(lead.get("/moderation/escalations").get_data(as_text=True))
    assert "Waiting for follow-up (1)" in waiting and "Posted again tonight" in waiting
    page = lead.get(f"/moderation/escalations/{item.id}").get_data(as_text=True)
    assert "It was escalated again since the last follow-up" in page and NOTE in page


def test_following_up_an_alert_still_being_texted_acknowledges_it(
    app, signed_in, space, clock, sms, on_call_lead
):
    """No moderator on shift: the alert is texted at once, and again until someone answers
    it. The on-call clinical lead's follow-up answers it, and the texts stop."""
    post_thread(signed_in(make_member("calm-heron")), space.id, "Tonight", RISK)
    alert = db.session.scalar(select(ModerationItem))
    assert alert.escalations_sent == 1 and alert.acknowledged_at is None
    client = signed_in(on_call_lead)
    waiting, _ = _sections(client.get("/moderation/escalations").get_data(as_text=True))
    assert "Waiting for follow-up (1)" in waiting

    clock.move_to(T + timedelta(minutes=3))
    assert _follow_up(client, alert.id, NOTE).status_code == 302
    db.session.expire_all()
    answered = db.session.get(ModerationItem, alert.id)
    assert answered.acknowledged_by_id == on_call_lead.id
    assert answered.acknowledged_at == T + timedelta(minutes=3)
    assert answered.next_escalation_at is None
    sms.clear()
    clock.move_to(T + timedelta(minutes=30))
    with app.app_context():
        check_alert.call_local(alert.id)
    assert sms == []


def test_one_follow_up_answers_every_escalated_item_about_the_same_post(signed_in, space):
    """A flagged post a member also reported has two items; escalating escalates both, and the
    clinical lead follows the post up once."""
    author = make_member("calm-heron")
    post_thread(signed_in(author), space.id, "Coins", "Has anyone tried bitcoin")
    post = db.session.scalar(select(ModerationItem)).post
    reader = signed_in(make_member("green-fern"))
    path = f"/community/posts/{post.id}/report"
    reader.post(path, data={"csrf_token": csrf_token(reader, path), "reason": "Worried"})
    items = db.session.scalars(select(ModerationItem).order_by(ModerationItem.id)).all()
    assert len(items) == 2
    moderator = signed_in(factories.make_user(Role.MODERATOR))
    decide = f"/moderation/items/{items[1].id}"
    _escalate(moderator, decide, "Worried about her")
    lead = signed_in(factories.make_user(Role.CLINICAL_LEAD))
    waiting, _ = _sections(lead.get("/moderation/escalations").get_data(as_text=True))
    assert "Waiting for follow-up (2)" in waiting
    assert _follow_up(lead, items[0].id, NOTE).status_code == 302
    assert [_count(item.id) for item in items] == [1, 1]
    waiting, followed = _sections(lead.get("/moderation/escalations").get_data(as_text=True))
    assert "Waiting for follow-up (0)" in waiting and followed.count(NOTE) == 2


def test_only_clinical_leads_reach_a_follow_up_and_only_for_escalations(signed_in, space):
    item = _escalated_item(signed_in, space)
    path = f"/moderation/escalations/{item.id}"
    for role in (Role.MODERATOR, Role.THERAPIST, Role.COMMISSIONER):
        client = signed_in(factories.make_user(role))
        assert client.get(path).status_code == 403
        refused = client.post(path, data={"note": NOTE, "shown": ""})
        assert refused.status_code in (400, 403)  # (no CSRF token: the form is never shown)
    assert signed_in(make_member("green-fern")).get(path).status_code == 403
    assert db.session.scalars(select(EscalationFollowUp)).all() == []

    post_thread(signed_in(make_member("blue-kite")), space.id, "Coins", "Has anyone tried bitcoin")
    never_escalated = db.session.scalars(
        select(ModerationItem).order_by(ModerationItem.id.desc())
    ).first()
    lead = signed_in(factories.make_user(Role.CLINICAL_LEAD))
    assert lead.get(f"/moderation/escalations/{never_escalated.id}").status_code == 404
    assert lead.get("/moderation/escalations/999999").status_code == 404

"""The console: who may see it, the queue's order, handles not names, decisions (each audited
with its reason), and the clinical lead's escalation page."""

from __future__ import annotations

from sqlalchemy import select

from tests import factories
from tests.conftest import csrf_token
from tests.webapp.community.conftest import make_member, post_reply, post_thread
from webapp.extensions import db
from webapp.models import (
    AuditEvent,
    CommunityMember,
    ItemKind,
    ModerationItem,
    ModeratorMessage,
    Post,
    PostStatus,
    Role,
)
from webapp.moderation_console.jobs import text_clinical_escalation

PHONE = "Call me on 07700 900123 any time"


def _latest_item() -> ModerationItem:
    return db.session.scalars(select(ModerationItem).order_by(ModerationItem.id.desc())).first()


def _decide(client, item_id: int, **data):
    path = f"/moderation/items/{item_id}"
    return client.post(path, data={"csrf_token": csrf_token(client, path), **data})


def test_a_patient_never_reaches_the_console(signed_in):
    client = signed_in(make_member("calm-heron"))
    for path in (
        "/moderation/",
        "/moderation/watchwords",
        "/moderation/rota",
        "/moderation/escalations",
    ):
        assert client.get(path).status_code == 403


def test_the_queue_shows_risk_first_and_handles_not_names(signed_in, space):
    author = make_member("calm-heron", full_name="Priyanka Example")
    client = signed_in(author)
    post_thread(client, space.id, "Money", "Has anyone tried bitcoin")
    post_thread(client, space.id, "Tonight", "I want to kill myself")
    post_thread(client, space.id, "Number", PHONE)
    moderator = signed_in(factories.make_user(Role.MODERATOR))
    page = moderator.get("/moderation/").get_data(as_text=True)
    assert page.index("kill myself") < page.index("07700") < page.index("bitcoin")
    assert "calm-heron" in page and "Priyanka" not in page
    item_page = moderator.get(f"/moderation/items/{_latest_item().id}").get_data(as_text=True)
    assert "calm-heron" in item_page and "Priyanka" not in item_page
    assert "The conversation" in item_page and "07700 900123" in item_page


def test_approving_a_held_post_shows_it_to_others_and_is_audited(signed_in, space):
    author, reader = make_member("calm-heron"), make_member("green-fern")
    post_thread(signed_in(author), space.id, "Number", PHONE)
    item = _latest_item()
    moderator = signed_in(factories.make_user(Role.MODERATOR))
    response = _decide(moderator, item.id, decision="approve", reason="A helpline number")
    assert response.status_code == 302
    post = db.session.get(Post, item.post_id)
    assert post.status is PostStatus.VISIBLE
    decided = db.session.get(ModerationItem, item.id)
    assert decided.resolved_at is not None and decided.verdict == "dismissed"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "moderation.approved"))
    assert event.detail["reason"] == "A helpline number"
    page = signed_in(reader).get(f"/community/threads/{post.thread_id}").get_data(as_text=True)
    assert "07700 900123" in page


def test_a_decision_without_a_reason_changes_nothing_and_keeps_what_was_typed(signed_in, space):
    post_thread(signed_in(make_member("calm-heron")), space.id, "Number", PHONE)
    item = _latest_item()
    moderator = signed_in(factories.make_user(Role.MODERATOR))
    page = _decide(
        moderator, item.id, decision="edit", reason="", edited_body="Call me", note="Number removed"
    )
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Give a reason" in text and "Number removed" in text
    assert db.session.get(Post, item.post_id).status is PostStatus.HELD
    page = _decide(moderator, item.id, decision="edit", reason="Contact details")
    assert "Enter the edited text" in page.get_data(as_text=True)
    assert db.session.get(Post, item.post_id).status is PostStatus.HELD


def test_edit_with_note_publishes_the_edited_text_and_keeps_the_original_in_the_audit(
    signed_in, space
):
    author, reader = make_member("calm-heron"), make_member("green-fern")
    post_thread(signed_in(author), space.id, "Number", PHONE)
    item = _latest_item()
    moderator = signed_in(factories.make_user(Role.MODERATOR))
    _decide(
        moderator,
        item.id,
        decision="edit",
        reason="Contact details",
        edited_body="Call me any time",
        note="A phone number was removed",
    )
    post = db.session.get(Post, item.post_id)
    page = signed_in(reader).get(f"/community/threads/{post.thread_id}").get_data(as_text=True)
    assert "Call me any time" in page and "A phone number was removed" in page
    assert "07700" not in page
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "moderation.edited"))
    assert event.detail["original"] == PHONE


def test_removing_a_reported_post_hides_it_from_everyone(signed_in, space):
    author, reader = make_member("calm-heron"), make_member("green-fern")
    post_thread(signed_in(author), space.id, "Hello", "A fine opening post")
    thread_id = db.session.scalar(select(Post.thread_id))
    post_reply(signed_in(author), thread_id, "Something unkind but unmatched")
    reply_id = db.session.scalars(select(Post.id).order_by(Post.id.desc())).first()
    reader_client = signed_in(reader)
    path = f"/community/posts/{reply_id}/report"
    reader_client.post(
        path, data={"csrf_token": csrf_token(reader_client, path), "reason": "Unkind"}
    )
    item = _latest_item()
    assert item.kind is ItemKind.REPORT
    moderator = signed_in(factories.make_user(Role.MODERATOR))
    _decide(moderator, item.id, decision="remove", reason="Unkind to another member")
    assert db.session.get(Post, reply_id).status is PostStatus.REMOVED  # kept for the record
    for client in (reader_client, signed_in(author)):
        page = client.get(f"/community/threads/{thread_id}").get_data(as_text=True)
        assert "Something unkind" not in page and "A fine opening post" in page


def test_message_warn_and_suspend_reach_the_author(signed_in, space):
    author = make_member("calm-heron")
    post_thread(signed_in(author), space.id, "Number", PHONE)
    item = _latest_item()
    moderator = signed_in(factories.make_user(Role.MODERATOR))
    _decide(
        moderator,
        item.id,
        decision="message",
        reason="Explain the rule",
        message="Please keep numbers private.",
    )
    _decide(moderator, item.id, decision="warn", reason="Second time", message="This is a warning.")
    page = _decide(moderator, item.id, decision="suspend", reason="Repeated", days="")
    assert "from 1 to 90" in page.get_data(as_text=True)
    _decide(moderator, item.id, decision="suspend", reason="Repeated", days="3")
    messages = db.session.scalars(select(ModeratorMessage).order_by(ModeratorMessage.id)).all()
    assert [m.is_warning for m in messages] == [False, True]
    member = db.session.get(CommunityMember, author.id)
    assert member.warnings == 1 and member.suspended_until is not None
    inbox = signed_in(author).get("/community/messages").get_data(as_text=True)
    assert "Please keep numbers private." in inbox and "Warning" in inbox
    # the next shift sees what was done, by whom, and what the author was sent
    next_shift = signed_in(factories.make_user(Role.MODERATOR, full_name="Sam Next"))
    page = next_shift.get(f"/moderation/items/{item.id}").get_data(as_text=True)
    done = page[page.index("What moderators have done") :]
    assert "messaged the author (reason: Explain the rule)" in done
    assert "Sent: Please keep numbers private." in done
    assert "warned the author (reason: Second time)" in done and "This is a warning." in done
    assert "paused the author&#39;s posting (reason: Repeated)" in done


def test_escalation_shows_the_real_name_to_the_clinical_lead_only_and_texts_on_call(
    app, signed_in, space, monkeypatch
):
    monkeypatch.setitem(app.config, "ON_CALL_MOBILE", "+447700900999")
    sms = app.extensions["sms_backend"].outbox
    sms.clear()
    author = make_member("calm-heron", full_name="Priyanka Example")
    post_thread(signed_in(author), space.id, "Number", PHONE)
    item = _latest_item()
    moderator = signed_in(factories.make_user(Role.MODERATOR, full_name="Jo Williams"))
    _decide(moderator, item.id, decision="escalate", reason="Sounds very low")
    assert db.session.get(ModerationItem, item.id).escalated_to_clinical_at is not None
    assert [message.to for message in sms] == ["+447700900999"]
    assert "Priyanka" not in sms[0].body and "calm-heron" not in sms[0].body
    with app.app_context():
        text_clinical_escalation.call_local(item.post_id)  # a repeated job sends nothing
    assert len(sms) == 1
    sms.clear()
    assert moderator.get("/moderation/escalations").status_code == 403
    lead = signed_in(factories.make_user(Role.CLINICAL_LEAD))
    page = lead.get("/moderation/escalations").get_data(as_text=True)
    assert "Priyanka Example" in page and "calm-heron" in page
    assert "by Jo Williams</strong>: Sounds very low" in page  # who escalated it, and why
    viewed = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "moderation.escalations_viewed")
    )
    assert viewed.detail["patients"] == [author.id]


def _a_reported_reply(signed_in, space):
    author, reader = make_member("calm-heron"), make_member("green-fern")
    post_thread(signed_in(author), space.id, "Hello", "A fine opening post")
    thread_id = db.session.scalar(select(Post.thread_id))
    post_reply(signed_in(author), thread_id, "Buy cheap coins here")
    reply_id = db.session.scalars(select(Post.id).order_by(Post.id.desc())).first()
    reader_client = signed_in(reader)
    path = f"/community/posts/{reply_id}/report"
    reader_client.post(path, data={"csrf_token": csrf_token(reader_client, path), "reason": "Spam"})
    return reply_id, _latest_item()


def test_a_decision_from_a_page_gone_stale_does_not_reverse_another_moderators(signed_in, space):
    """Moderator A opened the item; B removed the post meanwhile; A's approval is refused."""
    reply_id, item = _a_reported_reply(signed_in, space)
    first, second = (signed_in(factories.make_user(Role.MODERATOR)) for _ in range(2))
    assert 'name="decided_shown" value=""' in first.get(f"/moderation/items/{item.id}").get_data(
        as_text=True
    )
    _decide(second, item.id, decision="remove", reason="Spam", decided_shown="")
    page = _decide(first, item.id, decision="approve", reason="Looks fine", decided_shown="")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Another decision was made on this item while you had it open (removed)" in html
    assert "Already decided" in html and 'name="decided_shown" value="removed"' in html
    db.session.expire_all()
    assert db.session.get(Post, reply_id).status is PostStatus.REMOVED
    assert db.session.get(ModerationItem, item.id).resolution.value == "removed"


def test_a_moderator_who_saw_the_decision_may_replace_it_and_it_is_recorded(signed_in, space):
    reply_id, item = _a_reported_reply(signed_in, space)
    moderator = signed_in(factories.make_user(Role.MODERATOR))
    _decide(moderator, item.id, decision="remove", reason="Spam", decided_shown="")
    response = _decide(
        moderator, item.id, decision="approve", reason="Not spam after all", decided_shown="removed"
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Post, reply_id).status is PostStatus.VISIBLE
    decided = db.session.get(ModerationItem, item.id)
    assert (decided.resolution.value, decided.verdict) == ("approved", None)  # a report
    replaced = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "moderation.decision_replaced")
    )
    assert replaced.detail == {"was": "removed", "now": "approved"}


def test_acknowledging_an_alert_twice_says_who_did_it_first(signed_in, space):
    author = make_member("calm-heron")
    post_thread(signed_in(author), space.id, "Tonight", "I want to die")
    item = _latest_item()
    assert item.kind is ItemKind.ALERT
    first_user = factories.make_user(Role.MODERATOR, full_name="Jo Williams")
    first, second = signed_in(first_user), signed_in(factories.make_user(Role.MODERATOR))
    path = f"/moderation/items/{item.id}/acknowledge"
    first.post(path, data={"csrf_token": csrf_token(first, f"/moderation/items/{item.id}")})
    response = second.post(
        path, data={"csrf_token": csrf_token(second, f"/moderation/items/{item.id}")}
    )
    page = second.get(response.location).get_data(as_text=True)
    assert "Jo Williams had already acknowledged this alert" in page
    assert "the clinical lead will not be texted" not in page
    assert "Acknowledged</dt>" in page and "by Jo Williams" in page
    queue = second.get("/moderation/").get_data(as_text=True)  # after a reload, not only live
    assert "Alert (acknowledged)</strong>" in queue


def test_a_moderator_reads_every_conversation_under_handles_and_queues_a_post(signed_in, space):
    author = make_member("calm-heron")
    post_thread(signed_in(author), space.id, "Evenings", "Evenings are hard for me")
    thread_id = db.session.scalar(select(Post.thread_id))
    post_reply(signed_in(author), thread_id, "Buy cheap coins at example dot com")
    reply_id = db.session.scalars(select(Post.id).order_by(Post.id.desc())).first()
    moderator = signed_in(factories.make_user(Role.MODERATOR))
    listing = moderator.get("/moderation/community").get_data(as_text=True)
    assert "Evenings" in listing and "2 posts" in listing
    page = moderator.get(f"/moderation/community/threads/{thread_id}").get_data(as_text=True)
    assert "calm-heron" in page and author.full_name not in page
    assert "Buy cheap coins" in page and "Put this post in the queue" in page
    path = f"/moderation/community/posts/{reply_id}/review"
    token = csrf_token(moderator, f"/moderation/community/threads/{thread_id}")
    refused = moderator.post(path, data={"csrf_token": token, "reason": ""})
    assert refused.status_code == 200 and "Give a reason" in refused.get_data(as_text=True)
    assert _latest_item() is None or _latest_item().post_id != reply_id
    queued = moderator.post(path, data={"csrf_token": token, "reason": "Looks like spam"})
    item = _latest_item()
    assert item.post_id == reply_id and item.reason == "Raised by a moderator: Looks like spam"
    assert queued.location.endswith(f"/moderation/items/{item.id}")
    again = moderator.post(path, data={"csrf_token": token, "reason": "Still spam"})
    assert again.location.endswith(f"/moderation/items/{item.id}")  # its open item, not another
    page = moderator.get(f"/moderation/community/threads/{thread_id}").get_data(as_text=True)
    assert f"Open its queue item {item.id}" in page
    assert signed_in(author).get("/moderation/community").status_code == 403

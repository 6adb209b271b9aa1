"""Suggestions: screened like a new thread (a risk match held, alerted, the author supported),
shown to members with staff's public reply and status, never lost, never shown when removed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from tests.conftest import csrf_token
from tests.webapp.voice.conftest import RISK, make_member, make_staff
from webapp.extensions import db
from webapp.models import (
    CommunityMember,
    ItemKind,
    ModerationItem,
    Post,
    PostStatus,
    Suggestion,
    SuggestionStatus,
)

NEW = "/community/voice/suggestions/new"
LIST = "/community/voice/suggestions"


def _suggest(client, title, body):
    return client.post(
        NEW, data={"csrf_token": csrf_token(client, NEW), "title": title, "body": body}
    )


def _reply(client, suggestion_id, status, reply):
    path = f"/moderation/voice/suggestions/{suggestion_id}"
    return client.post(
        path, data={"csrf_token": csrf_token(client, path), "status": status, "reply": reply}
    )


def test_a_suggestion_is_published_under_the_handle_and_staff_reply_publicly(signed_in):
    author = signed_in(make_member("idea-otter", full_name="Bernadette Fox"))
    assert _suggest(author, "Evening chats", "Could live chats run after 6pm?").status_code == 302
    suggestion = db.session.scalars(select(Suggestion)).one()
    assert suggestion.status is SuggestionStatus.NEW
    reader = signed_in(make_member("other-reader"))
    page = reader.get(LIST).get_data(as_text=True)
    assert "Evening chats" in page and "idea-otter" in page and "Bernadette" not in page
    assert "Waiting for a reply" in page
    staff = signed_in(make_staff())
    assert (
        _reply(
            staff, suggestion.id, "planned", "We will trial 6pm to 8pm from January."
        ).status_code
        == 302
    )
    page = reader.get(LIST).get_data(as_text=True)
    assert "Planned" in page and "We will trial 6pm to 8pm from January." in page


def test_not_doing_needs_a_reason(signed_in):
    signed_in_author = signed_in(make_member("why-not"))
    _suggest(signed_in_author, "Dark mode", "Please add a dark mode.")
    suggestion_id = db.session.scalar(select(Suggestion.id))
    staff = signed_in(make_staff())
    page = _reply(staff, suggestion_id, "not_doing", "  ").get_data(as_text=True)
    assert "There is a problem" in page
    assert db.session.get(Suggestion, suggestion_id).status is SuggestionStatus.NEW


def test_a_risk_suggestion_is_held_alerted_kept_and_the_author_supported(signed_in):
    author = signed_in(make_member("heavy-heart"))
    assert _suggest(author, "Help", RISK).status_code == 302
    post = db.session.scalars(select(Post)).one()
    assert post.status is PostStatus.HELD and post.body == RISK  # kept for a moderator
    item = db.session.scalars(select(ModerationItem)).one()
    assert item.kind is ItemKind.ALERT and item.post_id == post.id
    page = author.get(LIST).get_data(as_text=True)
    assert (
        "If you are thinking about harming yourself" in page and "Waiting for a moderator" in page
    )
    other = signed_in(make_member("not-the-author")).get(LIST).get_data(as_text=True)
    assert "kill myself" not in other and "If you are thinking" not in other


def test_a_suggestion_a_moderator_removes_reaches_no_member(signed_in):
    author = signed_in(make_member("gone-goose"))
    _suggest(author, "A thought", "Something fine.")
    post = db.session.scalars(select(Post)).one()
    post.status = PostStatus.REMOVED
    db.session.commit()
    assert "A thought" not in author.get(LIST).get_data(as_text=True)
    assert "A thought" in signed_in(make_staff()).get("/moderation/voice/").get_data(as_text=True)


def test_a_member_whose_posting_is_paused_cannot_suggest(signed_in):
    user = make_member("paused-idea")
    member = db.session.get(CommunityMember, user.id)
    member.suspended_until = datetime.now(UTC) + timedelta(days=1)
    db.session.commit()
    page = _suggest(signed_in(user), "Idea", "Text").get_data(as_text=True)
    assert "paused your posting" in page
    assert db.session.scalar(select(Suggestion.id)) is None


def test_an_empty_suggestion_is_refused_with_an_error_summary(signed_in):
    page = _suggest(signed_in(make_member("empty-hand")), "", "").get_data(as_text=True)
    assert "There is a problem" in page and "Enter what your suggestion is about" in page


def test_a_moderator_approving_a_held_suggestion_in_the_queue_publishes_it(signed_in):
    author = signed_in(make_member("held-then-ok"))
    _suggest(author, "Contact", "Call me on 07700 900123 about this idea")
    item = db.session.scalars(select(ModerationItem)).one()
    assert db.session.scalars(select(Post)).one().status is PostStatus.HELD
    moderator = signed_in(make_staff())
    path = f"/moderation/items/{item.id}"
    decided = moderator.post(
        path,
        data={"csrf_token": csrf_token(moderator, path), "decision": "approve", "reason": "Fine"},
    )
    assert decided.status_code == 302
    page = signed_in(make_member("later-reader")).get(LIST).get_data(as_text=True)
    assert "Call me on 07700 900123" in page

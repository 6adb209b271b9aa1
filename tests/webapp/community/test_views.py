"""Community pages: access, joining with a handle, posting screened on submission (hold, flag,
alert), support, reports, and that held or removed content never reaches another patient."""

from __future__ import annotations

from sqlalchemy import select

from tests import factories
from tests.conftest import csrf_token
from tests.webapp.community.conftest import (
    make_member,
    make_patient,
    post_reply,
    post_thread,
)
from webapp.extensions import db
from webapp.models import (
    CommunityMember,
    ItemKind,
    ModerationItem,
    Post,
    PostStatus,
    Role,
)

SAFE = "Feeling a bit better today after a walk"
PHONE = "Call me on 07700 900123 any time"
RISK = "I want to kill myself tonight"


def _only_post() -> Post:
    return db.session.scalars(select(Post).order_by(Post.id.desc())).first()


def test_a_patient_without_a_profile_sees_a_notice_and_cannot_post(signed_in, space):
    user = factories.make_user(Role.PATIENT)
    db.session.add(
        CommunityMember(
            user_id=user.id, handle="no-profile", house_rules_accepted_at=user.created_at
        )
    )
    db.session.commit()
    client = signed_in(user)
    page = client.get("/community/")
    assert page.status_code == 403
    assert "You cannot use the community at the moment" in page.get_data(as_text=True)
    token = csrf_token(client, "/account")
    response = client.post(
        f"/community/spaces/{space.id}/new-thread",
        data={"csrf_token": token, "title": "Hello", "body": "Hello"},
    )
    assert response.status_code == 403
    assert db.session.scalar(select(Post)) is None


def _set_status(post_id: int, status: PostStatus) -> None:
    db.session.get(Post, post_id).status = status
    db.session.commit()


def test_a_patient_whose_access_has_ended_sees_a_notice(signed_in):
    client = signed_in(make_patient(access=False))
    page = client.get("/community/")
    assert page.status_code == 403
    assert "until the end of their access period" in page.get_data(as_text=True)


def test_staff_cannot_reach_the_community(app, login_as, client):
    login_as(Role.MODERATOR)
    assert client.get("/community/").status_code == 403


def test_joining_asks_for_a_handle_and_the_house_rules(signed_in):
    user = make_patient(full_name="Samira Haddad")
    client = signed_in(user)
    assert client.get("/community/").headers["Location"].endswith("/community/join")

    def join(handle: str, accept: bool = True):
        data = {"csrf_token": csrf_token(client, "/community/join"), "handle": handle}
        if accept:
            data["accept_rules"] = "y"
        return client.post("/community/join", data=data)

    page = join("SamiraH")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "does not include your real name" in text and 'value="SamiraH"' in text
    assert "Error:" in text  # the page title says there is a problem
    assert "without contact details" in join("whatsapp_me").get_data(as_text=True)
    assert "without contact details" in join("kms_forever").get_data(as_text=True)
    assert "Agree to the house rules" in join("quiet-owl", accept=False).get_data(as_text=True)
    assert db.session.get(CommunityMember, user.id) is None

    make_member("taken-name")
    assert "already taken" in join("TAKEN-NAME").get_data(as_text=True)

    assert join("quiet-owl").status_code == 302
    member = db.session.get(CommunityMember, user.id)
    assert member.handle == "quiet-owl" and member.house_rules_accepted_at is not None


def test_a_safe_post_is_seen_by_other_members_with_no_queue_item(signed_in, space):
    author, reader = make_member("calm-heron"), make_member("green-fern")
    response = post_thread(signed_in(author), space.id, "Small wins", SAFE)
    assert response.status_code == 302
    post = _only_post()
    assert post.status is PostStatus.VISIBLE
    page = signed_in(reader).get(f"/community/threads/{post.thread_id}").get_data(as_text=True)
    assert SAFE in page and "calm-heron" in page
    assert author.full_name not in page
    assert db.session.scalar(select(ModerationItem)) is None


def test_a_held_post_waits_for_a_moderator_and_only_its_author_sees_it(signed_in, space):
    author, reader = make_member("calm-heron"), make_member("green-fern")
    post_thread(signed_in(author), space.id, "Small wins", SAFE)
    thread_id = _only_post().thread_id
    author_client = signed_in(author)
    response = post_reply(author_client, thread_id, PHONE)
    assert response.status_code == 302
    post = _only_post()
    assert post.status is PostStatus.HELD
    item = db.session.scalar(select(ModerationItem).where(ModerationItem.post_id == post.id))
    assert item.kind is ItemKind.HOLD and not item.is_clinical_risk
    assert "house.contact.uk-phone" in item.rule_ids

    own = author_client.get(f"/community/threads/{thread_id}").get_data(as_text=True)
    assert "07700 900123" in own and "Waiting for a moderator, usually within 30 minutes" in own
    assert 'id="support"' not in own  # house rules only: no crisis callout
    other = signed_in(reader).get(f"/community/threads/{thread_id}").get_data(as_text=True)
    assert "07700 900123" not in other and SAFE in other


def test_a_clinical_risk_post_is_held_with_crisis_routes_shown_to_its_author_at_once(
    signed_in, space
):
    author, reader = make_member("calm-heron"), make_member("green-fern")
    client = signed_in(author)
    response = post_thread(client, space.id, "Tonight", RISK)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'id="support"' in page and "116 123" in page and "Waiting for a moderator" in page
    post = _only_post()
    assert post.status is PostStatus.HELD and post.is_clinical_risk
    item = db.session.scalar(select(ModerationItem))
    assert item.kind is ItemKind.ALERT and item.is_clinical_risk
    reader_client = signed_in(reader)
    assert reader_client.get(f"/community/threads/{post.thread_id}").status_code == 404
    space_page = reader_client.get(f"/community/spaces/{space.id}").get_data(as_text=True)
    assert "Tonight" not in space_page


def test_a_flagged_post_appears_and_is_queued_for_review(signed_in, space):
    author, reader = make_member("calm-heron"), make_member("green-fern")
    post_thread(signed_in(author), space.id, "Money", "Has anyone tried bitcoin for stress")
    post = _only_post()
    assert post.status is PostStatus.VISIBLE
    assert db.session.scalar(select(ModerationItem)).kind is ItemKind.FLAG
    page = signed_in(reader).get(f"/community/threads/{post.thread_id}")
    assert "bitcoin" in page.get_data(as_text=True)


def test_bad_input_is_shown_again_with_a_clear_message(signed_in, space):
    client = signed_in(make_member("calm-heron"))
    path = f"/community/spaces/{space.id}/new-thread"
    page = client.post(
        path,
        data={"csrf_token": csrf_token(client, path), "title": "", "body": "My words stay here"},
    )
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Enter a title" in text and "My words stay here" in text
    assert db.session.scalar(select(Post)) is None


def test_user_text_cannot_run_script(signed_in, space):
    author, reader = make_member("calm-heron"), make_member("green-fern")
    post_thread(signed_in(author), space.id, "<b>Hi</b>", "<script>alert(1)</script> hello")
    post = _only_post()
    page = signed_in(reader).get(f"/community/threads/{post.thread_id}").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page
    assert "<b>Hi</b>" not in page


def test_support_is_sent_and_taken_back(signed_in, space):
    author, reader = make_member("calm-heron"), make_member("green-fern")
    post_thread(signed_in(author), space.id, "Small wins", SAFE)
    post = _only_post()
    client = signed_in(reader)
    path = f"/community/posts/{post.id}/support"
    token = csrf_token(client, f"/community/threads/{post.thread_id}")
    client.post(path, data={"csrf_token": token})
    assert "Support sent" in client.get(f"/community/threads/{post.thread_id}").get_data(
        as_text=True
    )
    client.post(path, data={"csrf_token": token})
    assert "Send support" in client.get(f"/community/threads/{post.thread_id}").get_data(
        as_text=True
    )


def test_a_report_needs_a_reason_and_lands_in_the_queue(signed_in, space):
    author, reader = make_member("calm-heron"), make_member("green-fern")
    post_thread(signed_in(author), space.id, "Small wins", SAFE)
    post = _only_post()
    client = signed_in(reader)
    path = f"/community/posts/{post.id}/report"
    page = client.post(path, data={"csrf_token": csrf_token(client, path), "reason": "  "})
    assert "Tell us why" in page.get_data(as_text=True)
    assert db.session.scalar(select(ModerationItem)) is None
    client.post(path, data={"csrf_token": csrf_token(client, path), "reason": "Seems like spam"})
    item = db.session.scalar(select(ModerationItem))
    assert item.kind is ItemKind.REPORT and item.reason == "Seems like spam"
    assert item.reporter_id == reader.id


def test_removed_content_never_reaches_another_patients_page(signed_in, space):
    author, reader = make_member("calm-heron"), make_member("green-fern")
    post_thread(signed_in(author), space.id, "Small wins", SAFE)
    opening = _only_post()
    post_reply(signed_in(author), opening.thread_id, "A reply that will be removed")
    reply = _only_post()
    _set_status(reply.id, PostStatus.REMOVED)
    client = signed_in(reader)
    thread_page = client.get(f"/community/threads/{opening.thread_id}").get_data(as_text=True)
    assert "will be removed" not in thread_page and SAFE in thread_page
    assert client.get(f"/community/posts/{reply.id}/report").status_code == 404
    assert client.post(f"/community/posts/{reply.id}/support").status_code in (400, 404)
    own = signed_in(author).get(f"/community/threads/{opening.thread_id}")
    assert "will be removed" not in own.get_data(as_text=True)

    _set_status(opening.id, PostStatus.REMOVED)
    assert client.get(f"/community/threads/{opening.thread_id}").status_code == 404
    assert "Small wins" not in client.get(f"/community/spaces/{space.id}").get_data(as_text=True)


def test_a_suspended_member_cannot_post_and_keeps_their_words(signed_in, space):
    from datetime import UTC, datetime, timedelta

    user = make_member("calm-heron")
    db.session.get(CommunityMember, user.id).suspended_until = datetime.now(UTC) + timedelta(days=2)
    db.session.commit()
    client = signed_in(user)
    page = post_thread(client, space.id, "Title here", "Words I typed")
    text = page.get_data(as_text=True)
    assert "paused your posting" in text and "Words I typed" in text
    assert db.session.scalar(select(Post)) is None


def test_the_house_rules_and_the_spaces_are_listed(signed_in, space):
    client = signed_in(make_member("calm-heron"))
    assert "contact details" in client.get("/community/house-rules").get_data(as_text=True)
    page = client.get("/community/").get_data(as_text=True)
    assert space.title in page and "calm-heron" in page

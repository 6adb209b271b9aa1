"""Watchwords managed in the database: validated on save with the engine's own rules,
back-tested against stored posts before they go on, switched on and off, the engine rebuilt when
the list changes, and each rule's precision from moderators' verdicts."""

from __future__ import annotations

from sqlalchemy import select

from tests import factories
from tests.conftest import csrf_token
from tests.webapp.community.conftest import make_member, post_thread
from webapp.extensions import db
from webapp.models import ModerationItem, Post, PostStatus, Role, WatchwordRule

NEW = "/moderation/watchwords/new"
RULE = {
    "rule_id": "house.sites.zorblax",
    "tier": "house_rules",
    "action": "hold",
    "kind": "phrase",
    "pattern": "zorblax",
    "description": "Another site",
}


def _propose(client, save: bool = False, **changes):
    data = {**RULE, **changes, "save": "yes" if save else "no"}
    return client.post(NEW, data={"csrf_token": csrf_token(client, NEW), **data})


def test_an_invalid_regex_is_refused_with_the_engines_reason_and_nothing_saved(signed_in):
    client = signed_in(factories.make_user(Role.MODERATOR))
    page = _propose(client, save=True, kind="regex", pattern="(a+)+b")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "regex" in text and "(a+)+b" in text
    assert db.session.scalar(select(WatchwordRule)) is None
    page = _propose(client, save=True, tier="clinical_risk", action="flag")
    text = page.get_data(as_text=True)
    assert "A clinical-risk watchword must alert a moderator: choose Alert" in text
    assert "DOMAIN.md" not in text


def test_a_rule_is_back_tested_then_switched_on_and_screens_new_posts(signed_in, space):
    author = make_member("calm-heron")
    post_thread(signed_in(author), space.id, "Apps", "I found a group on zorblax")
    post_thread(signed_in(author), space.id, "Walks", "Walking helps me")
    moderator = signed_in(factories.make_user(Role.MODERATOR))
    page = _propose(moderator).get_data(as_text=True)
    assert "would have caught 1 of 2 stored posts" in page and "I found a group on" in page
    assert db.session.scalar(select(WatchwordRule)) is None

    assert _propose(moderator, save=True).status_code == 302
    post_thread(signed_in(author), space.id, "Again", "Come to Z0RBLAX instead")
    newest = db.session.scalars(select(Post).order_by(Post.id.desc())).first()
    assert newest.status is PostStatus.HELD
    item = db.session.scalar(select(ModerationItem).where(ModerationItem.post_id == newest.id))
    assert item.rule_ids == ["house.sites.zorblax"]


def test_a_shipped_rule_can_be_switched_off_and_on(signed_in, space):
    moderator = signed_in(factories.make_user(Role.MODERATOR))
    path = "/moderation/watchwords/house.contact.uk-phone/switch"
    token = csrf_token(moderator, "/moderation/watchwords")
    moderator.post(path, data={"csrf_token": token, "enable": "no"})
    assert db.session.get(WatchwordRule, "house.contact.uk-phone").is_enabled is False
    author = make_member("calm-heron")
    post_thread(signed_in(author), space.id, "Number", "Ring 07700 900123")
    assert db.session.scalar(select(Post)).status is PostStatus.VISIBLE
    moderator.post(path, data={"csrf_token": token, "enable": "yes"})
    post_thread(signed_in(author), space.id, "Number", "Ring 07700 900124")
    newest = db.session.scalars(select(Post).order_by(Post.id.desc())).first()
    assert newest.status is PostStatus.HELD


def test_only_the_clinical_lead_switches_off_a_clinical_risk_rule(signed_in, space):
    rule = "risk.suicide.kill-myself"
    path = f"/moderation/watchwords/{rule}/switch"
    moderator = signed_in(factories.make_user(Role.MODERATOR))
    page = moderator.get("/moderation/watchwords").get_data(as_text=True)
    assert "Only the clinical lead can switch off a clinical-risk rule" in page
    token = csrf_token(moderator, "/moderation/watchwords")
    refused = moderator.post(
        path, data={"csrf_token": token, "enable": "no"}, follow_redirects=True
    )
    assert "Only the clinical lead can switch off" in refused.get_data(as_text=True)
    assert db.session.get(WatchwordRule, rule) is None  # still the shipped rule, on
    lead = signed_in(factories.make_user(Role.CLINICAL_LEAD))
    token = csrf_token(lead, "/moderation/watchwords")
    lead.post(path, data={"csrf_token": token, "enable": "no"})
    assert db.session.get(WatchwordRule, rule).is_enabled is False
    token = csrf_token(moderator, "/moderation/watchwords")  # switching it back on: anyone
    moderator.post(path, data={"csrf_token": token, "enable": "yes"})
    db.session.expire_all()
    assert db.session.get(WatchwordRule, rule).is_enabled is True


def test_precision_per_rule_comes_from_moderators_verdicts(signed_in, space):
    author = make_member("calm-heron")
    for body in ("Ring 07700 900123", "Ring 07700 900124"):
        post_thread(signed_in(author), space.id, "Number", body)
    moderator = signed_in(factories.make_user(Role.MODERATOR))
    first, second = db.session.scalars(select(ModerationItem.id).order_by(ModerationItem.id))
    for item_id, decision in ((first, "approve"), (second, "remove")):
        path = f"/moderation/items/{item_id}"
        moderator.post(
            path,
            data={
                "csrf_token": csrf_token(moderator, path),
                "decision": decision,
                "reason": "Checked",
            },
        )
    page = moderator.get("/moderation/watchwords").get_data(as_text=True)
    row = page[page.index("house.contact.uk-phone") :]
    assert "50% of 2" in row[: row.index("</tr>")]

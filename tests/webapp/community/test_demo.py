"""The demo world's community: spaces, a held risk post with an open alert, a flagged post, a
post escalated to the clinical lead and waiting for follow-up, and a rota covering now; seeding
twice adds nothing."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from webapp import demo
from webapp.extensions import db
from webapp.models import ItemKind, ModerationItem, Post, PostStatus, ShiftKind, Space
from webapp.moderation_console import queries


def test_seeding_the_community_twice_makes_it_once(app):
    with app.app_context():
        demo.seed()
        demo.seed()
        assert db.session.scalar(select(func.count(Space.id)).where(Space.is_listed)) == 4
        items = db.session.scalars(select(ModerationItem)).all()
        kinds = sorted(item.kind for item in items if item.post_id is not None)
        assert kinds == [ItemKind.ALERT, ItemKind.FLAG, ItemKind.REPORT]
        escalations = queries.escalations(actor_id=0)
        assert [entry.escalated_by for entry in escalations.waiting] == ["Jo Williams"]
        assert escalations.followed_up == []
        (group_alert,) = (item for item in items if item.group_message_id is not None)
        assert group_alert.kind is ItemKind.ALERT and group_alert.acknowledged_at  # (groups demo)
        held = db.session.scalar(select(Post).where(Post.status == PostStatus.HELD))
        assert held.is_clinical_risk
        now = datetime.now(UTC)
        assert queries.on_shift(ShiftKind.MODERATOR, now)
        assert queries.on_shift(ShiftKind.CLINICAL_ON_CALL, now)

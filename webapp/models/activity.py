"""Pseudonymous activity events for the commissioners' usage figures (DOMAIN.md section 6.2).

No user id is stored: signed-in people are known only by a keyed hash, anonymous visitors not
at all. Events are deleted after the retention period (ACTIVITY_RETENTION_DAYS).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.models.base import Base, UTCDateTime, utcnow


class ActivityEvent(Base):
    __tablename__ = "activity_events"
    __table_args__ = (Index("ix_activity_events_occurred_section", "occurred_at", "section"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    section: Mapped[str] = mapped_column(String(40))
    module: Mapped[str | None] = mapped_column(String(80))
    role: Mapped[str | None] = mapped_column(String(30))  # None for someone not signed in
    visitor_key: Mapped[str | None] = mapped_column(String(32))  # keyed hash; None if anonymous
    visit_key: Mapped[str | None] = mapped_column(String(32))  # one visit: no gap over 30 min

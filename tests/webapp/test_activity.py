"""Page views are counted by section, pseudonymously, and kept only for the retention period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import select

from tests import factories
from tests.conftest import sign_in
from webapp.activity import visitor_key
from webapp.extensions import db
from webapp.models import ActivityEvent, Role


def events() -> list[ActivityEvent]:
    return list(db.session.scalars(select(ActivityEvent).order_by(ActivityEvent.id)))


def test_an_anonymous_page_view_is_counted_without_any_key(client):
    client.get("/need-help-now")
    (event,) = events()
    assert (event.section, event.role, event.visitor_key, event.visit_key) == (
        "public",
        None,
        None,
        None,
    )
    assert client.get_cookie("session") is None  # no cookie is set just to count a visit


def test_a_signed_in_patient_is_counted_by_a_keyed_hash_never_their_id(app, client, login_as):
    patient = login_as(Role.PATIENT)
    client.get("/my/")
    event = events()[-1]
    assert event.section == "patient" and event.role == "patient"
    with app.app_context():
        assert event.visitor_key == visitor_key(patient.id)
    assert str(patient.id) != event.visitor_key and len(event.visitor_key) == 32


def test_page_views_within_30_minutes_are_one_visit_and_a_longer_gap_starts_another(client):
    patient = factories.make_user(Role.PATIENT)
    start = datetime.now(UTC)
    with time_machine.travel(start, tick=False):
        sign_in(client, patient)
        client.get("/my/")
    with time_machine.travel(start + timedelta(minutes=20), tick=False):
        client.get("/my/")
    with time_machine.travel(start + timedelta(minutes=55), tick=False):
        sign_in(client, patient)  # idle for 35 minutes: signed out, so signs in again
        client.get("/my/")
    keys = [e.visit_key for e in events() if e.visitor_key]
    assert keys[0] == keys[1] != keys[2]
    assert len({e.visitor_key for e in events() if e.visitor_key}) == 1


def test_posts_errors_static_files_and_health_checks_are_not_counted(client):
    client.get("/no-such-page")
    client.get("/health")
    with client.get("/static/app.css"):
        pass
    client.post("/sign-in", data={})
    assert events() == []

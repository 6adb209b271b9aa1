"""The demo world has one open subject access request for the admin to try, made once."""

from __future__ import annotations

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import SubjectAccessRequest


def test_seeding_twice_makes_one_open_request(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    (request,) = db.session.scalars(select(SubjectAccessRequest)).all()
    assert request.channel == "letter" and request.completed_at is None

"""The flask commands: create-user and seed-demo."""

from __future__ import annotations

from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import AuditEvent, Role, TherapistProfile, User


def test_create_user_with_a_password(app):
    result = app.test_cli_runner().invoke(
        args=[
            "create-user",
            "--email",
            "Lead@Example.com",
            "--name",
            "Dr Lead",
            "--role",
            "clinical_lead",
            "--password",
            "a sound clinical passphrase",
        ]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "lead@example.com"))
    assert user.role is Role.CLINICAL_LEAD and user.password_hash


def test_create_user_without_a_password_emails_an_invitation(app, outbox):
    result = app.test_cli_runner().invoke(
        args=[
            "create-user",
            "--email",
            "new@example.com",
            "--name",
            "New Person",
            "--role",
            "therapist",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "Invitation link: http://localhost/invitation/" in result.output
    assert outbox[0].to == "new@example.com"


def test_create_user_refuses_a_common_password(app):
    result = app.test_cli_runner().invoke(
        args=[
            "create-user",
            "--email",
            "x@example.com",
            "--name",
            "X",
            "--role",
            "patient",
            "--password",
            "password1",
        ]
    )
    assert result.exit_code != 0
    assert "too common" in result.output
    assert db.session.scalar(select(User).where(User.email == "x@example.com")) is None


def test_seed_demo_makes_every_role_once_and_prints_the_sign_ins(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "calm-river-demo-2026" in first.output
    counts = dict(db.session.execute(select(User.role, func.count()).group_by(User.role)).all())
    assert set(counts) == set(Role)
    assert (
        db.session.scalar(select(func.count()).select_from(TherapistProfile))
        == counts[Role.THERAPIST]
    )
    second = runner.invoke(args=["seed-demo"])
    assert "Already there" in second.output
    assert (
        dict(db.session.execute(select(User.role, func.count()).group_by(User.role)).all())
        == counts
    )
    staff = db.session.scalars(select(User).where(User.role != Role.PATIENT)).all()
    assert all(user.has_two_factor for user in staff)
    assert db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "user.created")
    ) == sum(counts.values())

"""Administrators manage accounts; every role change is audited."""

from __future__ import annotations

import re

from sqlalchemy import select

from tests import factories
from tests.conftest import csrf_token, sign_in, submit
from webapp.extensions import db
from webapp.models import AuditEvent, Role, User


def test_admin_creates_a_staff_account_and_an_invitation_is_emailed(client, login_as, outbox):
    admin = login_as(Role.ADMIN)
    response = submit(
        client,
        "/admin/users/new",
        {"full_name": "New Therapist", "email": "new.therapist@example.com", "role": "therapist"},
    )
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "new.therapist@example.com"))
    assert user.role is Role.THERAPIST and user.password_hash is None
    (message,) = outbox
    link = re.search(r"http://localhost(/invitation/\S+)", message.body).group(1)
    created = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.created"))
    assert created.actor_id == admin.id

    client.post("/sign-out", data={"csrf_token": csrf_token(client, "/account")})
    response = submit(
        client,
        link,
        {"password": "a therapist's passphrase", "confirm": "a therapist's passphrase"},
    )
    assert response.status_code == 302
    response = submit(
        client,
        "/sign-in",
        {"email": "new.therapist@example.com", "password": "a therapist's passphrase"},
    )
    assert response.headers["Location"].endswith("/sign-in/set-up-two-factor")


def test_a_bad_create_account_form_names_the_problems_and_creates_nothing(client, login_as):
    login_as(Role.ADMIN)
    before = db.session.scalars(select(User.id)).all()
    page = submit(
        client, "/admin/users/new", {"full_name": "", "email": "not-an-email", "role": "wizard"}
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert (
        "Enter their full name" in html and "Enter an email address in the correct format" in html
    )
    assert "Not a valid choice" in html
    assert db.session.scalars(select(User.id)).all() == before


def test_changing_a_role_is_audited_and_ends_that_persons_sessions(app, client, login_as):
    admin = login_as(Role.ADMIN)
    patient = factories.make_user(Role.PATIENT)
    patient_client = app.test_client()
    sign_in(patient_client, patient)
    response = submit(client, f"/admin/users/{patient.id}", {"role": "moderator"})
    assert response.status_code == 302
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.role_changed"))
    assert (event.actor_id, event.subject_id, event.detail) == (
        admin.id,
        patient.id,
        {"from": "patient", "to": "moderator"},
    )
    assert patient_client.get("/my/").status_code == 302


def test_an_admin_cannot_change_their_own_role(client, login_as):
    admin = login_as(Role.ADMIN)
    response = submit(client, f"/admin/users/{admin.id}", {"role": "patient"})
    assert "You cannot change your own role" in response.get_data(as_text=True)
    assert db.session.get(User, admin.id).role is Role.ADMIN


def test_a_missing_account_is_not_found(client, login_as):
    login_as(Role.ADMIN)
    assert client.get("/admin/users/999999").status_code == 404


def test_the_audit_log_lists_sign_ins(client, login_as):
    admin = login_as(Role.ADMIN)
    page = client.get("/admin/audit-log?action=sign_in").get_data(as_text=True)
    assert "sign_in.succeeded" in page and admin.full_name in page

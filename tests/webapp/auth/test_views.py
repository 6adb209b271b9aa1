"""Signing in: passwords, lockout, two-factor for staff, sign-out, reset links, time limits."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
import time_machine
from sqlalchemy import select

from tests import factories
from tests.conftest import csrf_token, sign_in, submit
from webapp.extensions import db
from webapp.models import AuditEvent, Role, User

BAD_SIGN_IN = "Enter a correct email address and password"


def audit_actions(user_id: int | None = None) -> list[str]:
    query = select(AuditEvent.action).order_by(AuditEvent.id)
    if user_id is not None:
        query = query.where((AuditEvent.subject_id == user_id) | (AuditEvent.actor_id == user_id))
    return list(db.session.scalars(query))


def reload(user: User) -> User:
    fresh = db.session.get(User, user.id)
    assert fresh is not None
    db.session.refresh(fresh)
    return fresh


def test_patient_signs_in_with_email_and_password_and_lands_on_their_home(client):
    patient = factories.make_user(Role.PATIENT)
    response = submit(
        client, "/sign-in", {"email": patient.email.upper(), "password": factories.PASSWORD}
    )
    assert response.status_code == 302
    assert client.get("/home").headers["Location"].endswith("/my/")
    assert client.get("/my/").status_code == 200
    assert "sign_in.succeeded" in audit_actions(patient.id)


@pytest.mark.parametrize("email_known", [True, False])
def test_a_bad_sign_in_gives_the_same_clear_message_and_signs_no_one_in(client, email_known):
    patient = factories.make_user(Role.PATIENT)
    email = patient.email if email_known else "nobody@example.com"
    response = submit(client, "/sign-in", {"email": email, "password": "wrong-password-here"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in page and BAD_SIGN_IN in page
    assert "<title>Error: Sign in" in page
    assert client.get("/my/").status_code == 302  # still signed out
    failures = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "sign_in.failed")
    ).all()
    assert [e.detail["reason"] for e in failures] == [
        "bad_password" if email_known else "unknown_email"
    ]


def test_an_empty_sign_in_form_names_each_missing_field(client):
    page = submit(client, "/sign-in", {"email": "", "password": ""}).get_data(as_text=True)
    assert 'href="#email"' in page and "Enter your email address" in page
    assert 'href="#password"' in page and "Enter your password" in page


def test_five_failures_lock_the_account_even_against_the_right_password(client, app):
    patient = factories.make_user(Role.PATIENT)
    for _ in range(app.config["LOCKOUT_THRESHOLD"]):
        submit(client, "/sign-in", {"email": patient.email, "password": "not-the-password"})
    assert reload(patient).locked_until is not None
    response = submit(client, "/sign-in", {"email": patient.email, "password": factories.PASSWORD})
    assert BAD_SIGN_IN in response.get_data(as_text=True)
    assert audit_actions(patient.id)[-1] == "sign_in.failed"
    assert db.session.scalars(
        select(AuditEvent.detail).where(AuditEvent.action == "sign_in.failed")
    ).all()[-1] == {"reason": "locked"}


def test_a_lock_expires_and_each_further_failure_locks_for_longer(client, app):
    patient = factories.make_user(Role.PATIENT)
    start = datetime.now(UTC)
    with time_machine.travel(start, tick=False):
        for _ in range(app.config["LOCKOUT_THRESHOLD"]):
            submit(client, "/sign-in", {"email": patient.email, "password": "not-the-password"})
        first_lock = reload(patient).locked_until
        assert first_lock == start + app.config["LOCKOUT_BASE"]
    with time_machine.travel(first_lock + timedelta(seconds=1), tick=False):
        submit(client, "/sign-in", {"email": patient.email, "password": "still-not-it"})
        assert (
            reload(patient).locked_until - (first_lock + timedelta(seconds=1))
            == app.config["LOCKOUT_BASE"] * 2
        )
    with time_machine.travel(first_lock + app.config["LOCKOUT_MAX"] * 2, tick=False):
        response = sign_in(client, patient)
        assert response.status_code == 302
        assert reload(patient).failed_sign_ins == 0


def test_staff_must_give_a_security_code_before_reaching_any_staff_page(client):
    therapist = factories.make_user(Role.THERAPIST)
    response = submit(
        client, "/sign-in", {"email": therapist.email, "password": factories.PASSWORD}
    )
    assert response.headers["Location"].endswith("/sign-in/security-code")
    assert client.get("/therapist/").status_code == 302  # password alone is not enough
    code = pyotp.TOTP(therapist.totp_secret).now()
    response = submit(client, "/sign-in/security-code", {"code": code})
    assert response.status_code == 302
    assert client.get("/therapist/").status_code == 200
    actions = audit_actions(therapist.id)
    assert actions[-2:] == ["sign_in.password_accepted", "sign_in.succeeded"]


def test_a_security_code_cannot_be_used_twice(client, app):
    therapist = factories.make_user(Role.THERAPIST)
    code = pyotp.TOTP(therapist.totp_secret).now()
    with time_machine.travel(datetime.now(UTC), tick=False):
        sign_in_response = submit(
            client, "/sign-in", {"email": therapist.email, "password": factories.PASSWORD}
        )
        assert sign_in_response.status_code == 302
        assert submit(client, "/sign-in/security-code", {"code": code}).status_code == 302
        client.post("/sign-out", data={"csrf_token": csrf_token(client, "/account")})
        submit(client, "/sign-in", {"email": therapist.email, "password": factories.PASSWORD})
        response = submit(client, "/sign-in/security-code", {"code": code})
    assert response.status_code == 200
    assert "already been used" in response.get_data(as_text=True)


def test_a_wrong_security_code_counts_towards_lockout(client):
    therapist = factories.make_user(Role.THERAPIST)
    submit(client, "/sign-in", {"email": therapist.email, "password": factories.PASSWORD})
    response = submit(client, "/sign-in/security-code", {"code": "000000"})
    assert response.status_code == 200
    assert reload(therapist).failed_sign_ins == 1


def test_a_recovery_code_signs_staff_in_once(client, app):
    admin = factories.make_user(Role.ADMIN)
    sign_in(client, admin)
    client.post("/account/recovery-codes/new", data={"csrf_token": csrf_token(client, "/account")})
    page = client.get("/account/recovery-codes").get_data(as_text=True)
    codes = re.findall(r"<code>([a-z0-9-]{14})</code>", page)
    assert len(codes) == 10
    client.post("/sign-out", data={"csrf_token": csrf_token(client, "/account")})

    submit(client, "/sign-in", {"email": admin.email, "password": factories.PASSWORD})
    assert submit(client, "/sign-in/security-code", {"code": codes[0].upper()}).status_code == 302
    client.post("/sign-out", data={"csrf_token": csrf_token(client, "/account")})
    submit(client, "/sign-in", {"email": admin.email, "password": factories.PASSWORD})
    assert submit(client, "/sign-in/security-code", {"code": codes[0]}).status_code == 200


def test_staff_without_two_factor_must_set_it_up_with_a_qr_code_before_signing_in(client):
    moderator = factories.make_user(Role.MODERATOR, totp_secret=None, totp_confirmed_at=None)
    response = submit(
        client, "/sign-in", {"email": moderator.email, "password": factories.PASSWORD}
    )
    assert response.headers["Location"].endswith("/sign-in/set-up-two-factor")
    page = client.get("/sign-in/set-up-two-factor").get_data(as_text=True)
    assert 'src="data:image/svg+xml' in page
    assert client.get("/moderation/").status_code == 302

    response = client.post(
        "/sign-in/set-up-two-factor",
        data={
            "csrf_token": csrf_token(client, "/sign-in/set-up-two-factor"),
            "code": pyotp.TOTP(reload(moderator).totp_secret).now(),
        },
    )
    assert response.headers["Location"].endswith("/account/recovery-codes")
    assert (
        len(re.findall(r"<code>", client.get("/account/recovery-codes").get_data(as_text=True)))
        == 10
    )
    assert reload(moderator).has_two_factor
    assert client.get("/moderation/").status_code == 200
    assert "two_factor.enabled" in audit_actions(moderator.id)


def test_a_wrong_code_while_setting_up_two_factor_says_so_and_changes_nothing(client):
    moderator = factories.make_user(Role.MODERATOR, totp_secret=None, totp_confirmed_at=None)
    submit(client, "/sign-in", {"email": moderator.email, "password": factories.PASSWORD})
    response = submit(client, "/sign-in/set-up-two-factor", {"code": "000000"})
    assert "Enter the 6-digit code shown in your authenticator app" in response.get_data(
        as_text=True
    )
    assert not reload(moderator).has_two_factor


def test_signing_out_ends_the_session_and_any_copy_of_its_cookie(app, client):
    patient = factories.make_user(Role.PATIENT)
    sign_in(client, patient)
    stolen = app.test_client()
    stolen.set_cookie("session", client.get_cookie("session").value, domain="localhost")
    assert stolen.get("/my/").status_code == 200
    client.post("/sign-out", data={"csrf_token": csrf_token(client, "/account")})
    assert client.get("/my/").status_code == 302
    assert stolen.get("/my/").status_code == 302
    assert "sign_out" in audit_actions(patient.id)


def test_sign_out_without_a_csrf_token_is_refused(client):
    patient = factories.make_user(Role.PATIENT)
    sign_in(client, patient)
    response = client.post("/sign-out")
    assert response.status_code == 400
    assert "Your form has expired" in response.get_data(as_text=True)
    assert client.get("/my/").status_code == 200


def test_a_form_without_its_csrf_token_is_refused_and_signs_no_one_in(client):
    patient = factories.make_user(Role.PATIENT)
    response = client.post(
        "/sign-in", data={"email": patient.email, "password": factories.PASSWORD}
    )
    assert response.status_code == 400
    assert "sign_in.succeeded" not in audit_actions(patient.id)
    assert client.get("/my/").status_code == 302


def test_idle_sessions_end_after_30_minutes(client):
    patient = factories.make_user(Role.PATIENT)
    start = datetime.now(UTC)
    with time_machine.travel(start, tick=False):
        sign_in(client, patient)
    with time_machine.travel(start + timedelta(minutes=29), tick=False):
        assert client.get("/my/").status_code == 200
    with time_machine.travel(start + timedelta(minutes=59, seconds=1), tick=False):
        response = client.get("/my/")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_sessions_end_after_12_hours_however_busy(client):
    patient = factories.make_user(Role.PATIENT)
    start = datetime.now(UTC)
    with time_machine.travel(start, tick=False):
        sign_in(client, patient)
    for minutes in range(20, 12 * 60, 20):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert client.get("/my/").status_code == 200
    with time_machine.travel(start + timedelta(hours=12, minutes=1), tick=False):
        assert client.get("/my/").status_code == 302


def test_sign_in_only_returns_to_pages_on_this_site(client):
    patient = factories.make_user(Role.PATIENT)
    token = csrf_token(client, "/sign-in")
    response = client.post(
        "/sign-in?next=https://evil.example/steal",
        data={"csrf_token": token, "email": patient.email, "password": factories.PASSWORD},
    )
    assert response.headers["Location"] == "/home"


def test_sign_in_returns_to_the_page_that_asked_for_it(client):
    patient = factories.make_user(Role.PATIENT)
    assert "next=/my/" in client.get("/my/").headers["Location"]
    token = csrf_token(client, "/sign-in")
    response = client.post(
        "/sign-in?next=/my/",
        data={"csrf_token": token, "email": patient.email, "password": factories.PASSWORD},
    )
    assert response.headers["Location"] == "/my/"


def test_sign_in_is_rate_limited(client, app):
    token = csrf_token(client, "/sign-in")
    limit = int(app.config["SIGN_IN_RATE_LIMIT"].split()[0])
    statuses = [
        client.post(
            "/sign-in",
            data={"csrf_token": token, "email": "a@example.com", "password": "whatever-it-is"},
        ).status_code
        for _ in range(limit + 1)
    ]
    assert statuses[:limit] == [200] * limit
    assert statuses[-1] == 429


def test_password_reset_link_works_once_and_ends_other_sessions(client, app, outbox):
    patient = factories.make_user(Role.PATIENT)
    other_device = app.test_client()
    sign_in(other_device, patient)
    response = submit(client, "/forgot-password", {"email": patient.email})
    assert "Check your email" in response.get_data(as_text=True)
    (message,) = outbox
    link = re.search(r"http://localhost(/reset-password/\S+)", message.body).group(1)
    response = submit(
        client, link, {"password": "a brand new passphrase", "confirm": "a brand new passphrase"}
    )
    assert response.status_code == 302
    assert other_device.get("/my/").status_code == 302
    assert sign_in(client, patient, "a brand new passphrase").status_code == 302
    assert client.get(link).status_code == 410


def test_password_reset_for_an_unknown_email_looks_the_same_and_sends_nothing(client, outbox):
    response = submit(client, "/forgot-password", {"email": "nobody@example.com"})
    assert "Check your email" in response.get_data(as_text=True)
    assert outbox == []


def test_a_reset_link_expires_after_an_hour(client, outbox):
    patient = factories.make_user(Role.PATIENT)
    start = datetime.now(UTC)
    with time_machine.travel(start, tick=False):
        submit(client, "/forgot-password", {"email": patient.email})
    link = re.search(r"http://localhost(/reset-password/\S+)", outbox[0].body).group(1)
    with time_machine.travel(start + timedelta(hours=1, seconds=1), tick=False):
        assert client.get(link).status_code == 410


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "Password must be 8 characters or more"),
        ("password123", "This password is too common"),
        ("x" * 129, "Password must be 128 characters or fewer"),
        ("abc", "Password must be 8 characters or more"),
    ],
)
def test_weak_passwords_are_refused_with_a_reason(client, outbox, password, message):
    patient = factories.make_user(Role.PATIENT)
    submit(client, "/forgot-password", {"email": patient.email})
    link = re.search(r"http://localhost(/reset-password/\S+)", outbox[0].body).group(1)
    response = submit(client, link, {"password": password, "confirm": password})
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert reload(patient).password_hash == factories._password_hash()


def test_a_long_passphrase_with_no_special_characters_is_accepted(client):
    patient = factories.make_user(Role.PATIENT)
    sign_in(client, patient)
    new = "correct horse battery staple " * 2
    response = submit(
        client, "/account", {"current": factories.PASSWORD, "password": new, "confirm": new}
    )
    assert response.status_code == 302
    assert client.get("/my/").status_code == 200  # this session carries on
    client.post("/sign-out", data={"csrf_token": csrf_token(client, "/account")})
    assert sign_in(client, patient, new).status_code == 302

"""Account writes: sign-in with lockout, two-factor, password reset, invitations, roles.

One write = one function = one transaction; the time is passed in (STYLE.md section 3).
"""

from __future__ import annotations

import enum
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, url_for
from sqlalchemy import select, update

from webapp import audit
from webapp.auth import passwords, twofactor
from webapp.extensions import db
from webapp.models import RecoveryCode, Role, TokenPurpose, User, UserToken
from webapp.models.people import new_session_token
from webapp.notify import send_email


class AccountError(ValueError):
    """A request the person can correct; the message is written for them."""


class SignInStep(enum.Enum):
    SIGNED_IN = "signed_in"
    TWO_FACTOR = "two_factor"
    TWO_FACTOR_SETUP = "two_factor_setup"
    REFUSED = "refused"


@dataclass(frozen=True)
class SignInResult:
    step: SignInStep
    user: User | None = None


def normalise_email(email: str) -> str:
    return email.strip().lower()


def user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def is_locked(user: User, now: datetime) -> bool:
    return user.locked_until is not None and now < user.locked_until


def _register_failure(user: User, now: datetime) -> None:
    """Each failure past the threshold locks the account for longer, up to the maximum."""
    user.failed_sign_ins += 1
    threshold = current_app.config["LOCKOUT_THRESHOLD"]
    if user.failed_sign_ins >= threshold:
        base: timedelta = current_app.config["LOCKOUT_BASE"]
        longest: timedelta = current_app.config["LOCKOUT_MAX"]
        doublings = min(user.failed_sign_ins - threshold, 10)
        user.locked_until = now + min(base * (2**doublings), longest)


def check_password(email: str, password: str, *, now: datetime) -> SignInResult:
    """First step of signing in. Refusals look the same whatever the reason."""
    user = user_by_email(email)
    with db.transaction():
        if user is None:
            passwords.verify_password(None, password)  # same time as a real check
            audit.record("sign_in.failed", detail={"reason": "unknown_email"})
            return SignInResult(SignInStep.REFUSED)
        if is_locked(user, now):
            passwords.verify_password(None, password)
            audit.record(
                "sign_in.failed",
                subject_type="user",
                subject_id=user.id,
                detail={"reason": "locked"},
            )
            return SignInResult(SignInStep.REFUSED, user)
        if not passwords.verify_password(user.password_hash, password):
            _register_failure(user, now)
            audit.record(
                "sign_in.failed",
                subject_type="user",
                subject_id=user.id,
                detail={"reason": "bad_password", "failures": user.failed_sign_ins},
            )
            return SignInResult(SignInStep.REFUSED, user)
        if not user.is_active_account:
            audit.record(
                "sign_in.failed",
                subject_type="user",
                subject_id=user.id,
                detail={"reason": "inactive"},
            )
            # The same refusal as a wrong password: otherwise someone trying leaked passwords
            # would learn this one is right, and that its owner was a patient here.
            return SignInResult(SignInStep.REFUSED, user)
        if user.password_hash and passwords.needs_rehash(user.password_hash):
            user.password_hash = passwords.hash_password(password)
        if not user.is_staff:
            _signed_in(user, now, second_factor=None)
            return SignInResult(SignInStep.SIGNED_IN, user)
        audit.record(
            "sign_in.password_accepted", actor=user, subject_type="user", subject_id=user.id
        )
        step = SignInStep.TWO_FACTOR if user.has_two_factor else SignInStep.TWO_FACTOR_SETUP
        return SignInResult(step, user)


def _signed_in(user: User, now: datetime, *, second_factor: str | None) -> None:
    user.failed_sign_ins = 0
    user.locked_until = None
    user.last_sign_in_at = now
    audit.record(
        "sign_in.succeeded",
        actor=user,
        subject_type="user",
        subject_id=user.id,
        detail={"second_factor": second_factor},
    )


def nhs_login_signed_in(user: User, now: datetime) -> None:
    """A patient signed in through NHS login (which did its own checks, two-factor included)."""
    with db.transaction():
        _signed_in(user, now, second_factor="nhs_login")


def check_second_factor(user: User, code: str, *, now: datetime) -> bool:
    """A TOTP code or an unused recovery code completes a staff sign-in."""
    with db.transaction():
        if is_locked(user, now) or user.totp_secret is None:
            audit.record(
                "sign_in.failed",
                subject_type="user",
                subject_id=user.id,
                detail={"reason": "locked" if is_locked(user, now) else "no_totp"},
            )
            return False
        step = twofactor.accepted_step(user.totp_secret, code, user.totp_last_step, now.timestamp())
        if step is not None:
            user.totp_last_step = step
            _signed_in(user, now, second_factor="totp")
            return True
        recovery = db.session.scalar(
            select(RecoveryCode).where(
                RecoveryCode.user_id == user.id,
                RecoveryCode.code_hash == twofactor.hash_recovery_code(code),
                RecoveryCode.used_at.is_(None),
            )
        )
        if recovery is not None:
            recovery.used_at = now
            _signed_in(user, now, second_factor="recovery_code")
            return True
        _register_failure(user, now)
        audit.record(
            "sign_in.failed",
            subject_type="user",
            subject_id=user.id,
            detail={"reason": "bad_second_factor", "failures": user.failed_sign_ins},
        )
        return False


def begin_totp_setup(user: User) -> str:
    """A new secret, kept unconfirmed until the person proves their app has it."""
    with db.transaction():
        user.totp_secret = twofactor.new_secret()
        user.totp_confirmed_at = None
        return user.totp_secret


def confirm_totp_setup(user: User, code: str, *, now: datetime) -> list[str]:
    """Turn two-factor on and return fresh recovery codes (shown once, stored hashed)."""
    if user.totp_secret is None:
        raise AccountError("Start setting up two-factor authentication again")
    step = twofactor.accepted_step(user.totp_secret, code, None, now.timestamp())
    if step is None:
        raise AccountError("Enter the 6-digit code shown in your authenticator app")
    with db.transaction():
        user.totp_confirmed_at = now
        user.totp_last_step = step
        codes = _replace_recovery_codes(user)
        _signed_in(user, now, second_factor="totp")
        audit.record("two_factor.enabled", actor=user, subject_type="user", subject_id=user.id)
        return codes


def regenerate_recovery_codes(user: User) -> list[str]:
    with db.transaction():
        codes = _replace_recovery_codes(user)
        audit.record(
            "two_factor.recovery_codes_replaced",
            actor=user,
            subject_type="user",
            subject_id=user.id,
        )
        return codes


def _replace_recovery_codes(user: User) -> list[str]:
    codes = twofactor.new_recovery_codes()
    user.recovery_codes = [RecoveryCode(code_hash=twofactor.hash_recovery_code(c)) for c in codes]
    return codes


def unused_recovery_code_count(user: User) -> int:
    return sum(1 for code in user.recovery_codes if code.used_at is None)


def sign_out(user: User) -> None:
    """Rotating the token ends this session and any other still open."""
    with db.transaction():
        user.session_token = new_session_token()
        audit.record("sign_out", actor=user, subject_type="user", subject_id=user.id)


def _issue_token(user: User, purpose: TokenPurpose, valid_for: timedelta, now: datetime) -> str:
    db.session.execute(
        update(UserToken)
        .where(
            UserToken.user_id == user.id, UserToken.purpose == purpose, UserToken.used_at.is_(None)
        )
        .values(used_at=now)
    )
    token = secrets.token_urlsafe(32)
    db.session.add(
        UserToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=twofactor.hash_token(token),
            created_at=now,
            expires_at=now + valid_for,
        )
    )
    return token


def request_password_reset(email: str, *, now: datetime) -> None:
    """Email a single-use link if the account exists; say nothing either way."""
    user = user_by_email(email)
    with db.transaction():
        if user is None or not user.is_active_account:
            audit.record("password_reset.requested", detail={"account_found": False})
            return
        token = _issue_token(
            user, TokenPurpose.PASSWORD_RESET, current_app.config["PASSWORD_RESET_VALID_FOR"], now
        )
        audit.record(
            "password_reset.requested",
            subject_type="user",
            subject_id=user.id,
            detail={"account_found": True},
        )
    link = url_for("auth.reset_password", token=token, _external=True)
    send_email(
        user.email,
        f"Reset your {current_app.config['SERVICE_NAME']} password",
        f"Hello {user.full_name},\n\nUse this link to choose a new password. It works once, "
        f"for the next hour:\n\n{link}\n\nIf you did not ask for this, you can ignore "
        "this email: your password has not changed.\n",
    )


def user_for_token(token: str, purpose: TokenPurpose, *, now: datetime) -> UserToken | None:
    row = db.session.scalar(
        select(UserToken).where(
            UserToken.token_hash == twofactor.hash_token(token), UserToken.purpose == purpose
        )
    )
    if row is None or row.used_at is not None or now >= row.expires_at:
        return None
    return row


def set_password_with_token(
    token: str, purpose: TokenPurpose, password: str, *, now: datetime
) -> User:
    """Use a reset or invitation link once: set the password and end every other session."""
    row = user_for_token(token, purpose, now=now)
    if row is None:
        raise AccountError("This link has expired or has already been used")
    user = row.user
    problem = passwords.password_problem(password, email=user.email)
    if problem:
        raise AccountError(problem)
    with db.transaction():
        row.used_at = now
        _set_password(user, password, now)
        audit.record(
            f"{purpose.value}.completed", actor=user, subject_type="user", subject_id=user.id
        )
    return user


def change_password(user: User, current: str, new: str, *, now: datetime) -> None:
    if not passwords.verify_password(user.password_hash, current):
        raise AccountError("Your current password is not right")
    problem = passwords.password_problem(new, email=user.email)
    if problem:
        raise AccountError(problem)
    with db.transaction():
        _set_password(user, new, now)
        audit.record("password.changed", actor=user, subject_type="user", subject_id=user.id)


def _set_password(user: User, password: str, now: datetime) -> None:
    user.password_hash = passwords.hash_password(password)
    user.password_changed_at = now
    user.failed_sign_ins = 0
    user.locked_until = None
    user.session_token = new_session_token()


def create_user(
    email: str,
    full_name: str,
    role: Role,
    *,
    password: str | None = None,
    actor: User | None = None,
) -> User:
    """A new account; without a password it can be used only through an invitation link."""
    email = normalise_email(email)
    if user_by_email(email) is not None:
        raise AccountError("There is already an account with this email address")
    if password is not None:
        problem = passwords.password_problem(password, email=email)
        if problem:
            raise AccountError(problem)
    with db.transaction():
        user = User(
            email=email,
            full_name=full_name.strip(),
            role=role,
            password_hash=passwords.hash_password(password) if password else None,
        )
        db.session.add(user)
        db.session.flush()
        audit.record(
            "user.created",
            actor=actor,
            subject_type="user",
            subject_id=user.id,
            detail={"role": role.value},
        )
    return user


def send_invitation(user: User, *, now: datetime) -> str:
    """Email a link to set a password; returns the token (for the CLI to print in development)."""
    with db.transaction():
        token = _issue_token(
            user, TokenPurpose.INVITATION, current_app.config["INVITATION_VALID_FOR"], now
        )
        audit.record("invitation.sent", subject_type="user", subject_id=user.id)
    link = url_for("auth.accept_invitation", token=token, _external=True)
    send_email(
        user.email,
        f"Set up your {current_app.config['SERVICE_NAME']} account",
        f"Hello {user.full_name},\n\nAn account has been made for you. Choose a password "
        f"with this link (it works once, for 14 days):\n\n{link}\n",
    )
    return token


def change_role(actor: User, user: User, role: Role) -> None:
    if user.id == actor.id:
        raise AccountError("You cannot change your own role")
    if role == user.role:
        return
    with db.transaction():
        old = user.role
        user.role = role
        # A new role must not ride on an old sign-in, nor skip two-factor set-up.
        user.session_token = new_session_token()
        audit.record(
            "user.role_changed",
            actor=actor,
            subject_type="user",
            subject_id=user.id,
            detail={"from": old.value, "to": role.value},
        )


def set_active(actor: User, user: User, *, active: bool) -> None:
    if user.id == actor.id:
        raise AccountError("You cannot deactivate your own account")
    with db.transaction():
        user.is_active_account = active
        user.session_token = new_session_token()
        audit.record(
            "user.activated" if active else "user.deactivated",
            actor=actor,
            subject_type="user",
            subject_id=user.id,
        )


def reset_two_factor(actor: User, user: User) -> None:
    """For a staff member who lost their authenticator and recovery codes: set up again."""
    with db.transaction():
        user.totp_secret = None
        user.totp_confirmed_at = None
        user.totp_last_step = None
        user.recovery_codes = []
        user.session_token = new_session_token()
        audit.record("two_factor.reset", actor=actor, subject_type="user", subject_id=user.id)

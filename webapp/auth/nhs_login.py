"""NHS login for patients: OpenID Connect through Authlib, with the authorisation code flow,
PKCE (S256), a nonce checked in the ID token, and `private_key_jwt` client authentication
(the client signs a short-lived JWT with its private key; NHS login holds the public key).

Configured by NHS_LOGIN_ISSUER, NHS_LOGIN_CLIENT_ID and NHS_LOGIN_PRIVATE_KEY (PEM) or
NHS_LOGIN_PRIVATE_KEY_PATH; when any is missing the sign-in button is not shown and the routes
answer 404. An NHS login identity signs in the patient account that holds its `sub`, or else the
patient account with the same email address when NHS login says that address is verified.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from authlib.integrations.flask_client import OAuth
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from flask import Flask, current_app
from sqlalchemy import select

from webapp import audit
from webapp.extensions import db
from webapp.models import Role, User

EXTENSION = "nhs_login"


def is_configured(app: Flask) -> bool:
    config = app.config
    has_key = bool(config.get("NHS_LOGIN_PRIVATE_KEY") or config.get("NHS_LOGIN_PRIVATE_KEY_PATH"))
    return bool(config.get("NHS_LOGIN_ISSUER") and config.get("NHS_LOGIN_CLIENT_ID") and has_key)


def _private_key(app: Flask) -> str:
    pem = app.config.get("NHS_LOGIN_PRIVATE_KEY") or ""
    if pem:
        return str(pem).replace("\\n", "\n")  # a PEM in one environment-variable line
    return Path(app.config["NHS_LOGIN_PRIVATE_KEY_PATH"]).read_text()


def init_nhs_login(app: Flask) -> None:
    """Register the NHS login client when configured (create_app calls this; tests may too)."""
    app.jinja_env.globals["nhs_login_enabled"] = lambda: is_configured(current_app)
    app.extensions.pop(EXTENSION, None)
    if not is_configured(app):
        return
    oauth = OAuth()
    oauth.register(
        "nhs_login",
        client_id=app.config["NHS_LOGIN_CLIENT_ID"],
        client_secret=_private_key(app),
        server_metadata_url=app.config["NHS_LOGIN_ISSUER"].rstrip("/")
        + "/.well-known/openid-configuration",
        client_kwargs={
            "scope": app.config["NHS_LOGIN_SCOPES"],
            "code_challenge_method": "S256",
            "token_endpoint_auth_method": PrivateKeyJWT.name,
        },
        client_auth_methods=[PrivateKeyJWT()],
    )
    oauth.init_app(app)
    app.extensions[EXTENSION] = oauth


def client() -> Any | None:
    """The registered NHS login client, or None when NHS login is not configured."""
    oauth = current_app.extensions.get(EXTENSION)
    return None if oauth is None else oauth.create_client("nhs_login")


def patient_for_identity(claims: dict[str, Any]) -> User | None:
    """The patient account an NHS login identity may sign in to, linking it on first use."""
    sub = str(claims.get("sub") or "")
    if not sub:
        return None
    user = db.session.scalar(select(User).where(User.nhs_login_sub == sub))
    if user is not None:
        return user if user.role is Role.PATIENT and user.is_active_account else None
    email = str(claims.get("email") or "").strip().lower()
    if not email or claims.get("email_verified") is not True:
        return None
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None or user.role is not Role.PATIENT or not user.is_active_account:
        return None
    if user.nhs_login_sub is not None:
        return None  # the account is linked to a different NHS login already
    with db.transaction():
        user.nhs_login_sub = sub
        audit.record("nhs_login.linked", actor=user, subject_type="user", subject_id=user.id)
    return user

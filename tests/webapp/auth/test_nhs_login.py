"""NHS login against a real OpenID provider (oidc-provider-mock) served on 127.0.0.1 by the
test: PKCE, a nonce in the ID token and private_key_jwt client authentication, which the
provider verifies with the client's public key. Authlib itself is not mocked."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import flask
import pytest
import requests
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc.jwk import RSAKey
from oidc_provider_mock import User as ProviderUser
from oidc_provider_mock import _app as provider_internals
from oidc_provider_mock import app as provider_app
from sqlalchemy import select
from werkzeug.serving import WSGIRequestHandler, make_server

from tests import factories
from webapp.auth.nhs_login import init_nhs_login
from webapp.extensions import db
from webapp.models import AuditEvent, Role, User

CLIENT_ID = "talking-therapies-test"


def _rsa_pem() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


CLIENT_PRIVATE_KEY, CLIENT_PUBLIC_KEY = _rsa_pem()


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


class _ClientAssertion(JWTBearerClientAssertion):
    """The provider's check of our private_key_jwt: signed with the key we registered, for
    this token endpoint, not replayed."""

    CLIENT_AUTH_METHOD = "private_key_jwt"

    def __init__(self, audience: str) -> None:
        super().__init__()
        self.audience = audience
        self.seen: set[str] = set()

    def get_audiences(self) -> list[str]:
        return [self.audience]

    def resolve_client_public_key(self, client: Any) -> RSAKey:
        return RSAKey.import_key(CLIENT_PUBLIC_KEY)

    def validate_jti(self, claims: Any, jti: str) -> bool:
        if jti in self.seen:
            return False
        self.seen.add(jti)
        return True


@pytest.fixture
def provider(monkeypatch) -> Iterator[dict[str, Any]]:
    """An OpenID provider on 127.0.0.1 that requires a nonce and accepts private_key_jwt."""
    monkeypatch.setattr(
        provider_internals.AuthorizationCodeGrant,
        "TOKEN_ENDPOINT_AUTH_METHODS",
        ["private_key_jwt"],
    )
    users = [
        ProviderUser(
            sub="nhs-verified", claims={"email": "Pat@Example.com", "email_verified": True}
        ),
        ProviderUser(
            sub="nhs-unverified", claims={"email": "pat@example.com", "email_verified": False}
        ),
        ProviderUser(
            sub="nhs-stranger", claims={"email": "nobody@example.com", "email_verified": True}
        ),
        ProviderUser(sub="nhs-staff", claims={"email": "lead@example.com", "email_verified": True}),
    ]
    wsgi = provider_app(require_nonce=True, user_claims=users)
    server = make_server("127.0.0.1", 0, wsgi, threaded=True, request_handler=_Quiet)
    issuer = f"http://127.0.0.1:{server.server_port}"
    assertion = _ClientAssertion(f"{issuer}/oauth2/token")

    @wsgi.before_request
    def accept_private_key_jwt() -> None:
        authorization = flask.g._authlib_authorization_server
        authorization.register_client_auth_method("private_key_jwt", assertion)

    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield {"issuer": issuer, "assertion": assertion}
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture
def nhs_login(app, provider) -> Iterator[dict[str, Any]]:
    settings = {
        "NHS_LOGIN_ISSUER": provider["issuer"],
        "NHS_LOGIN_CLIENT_ID": CLIENT_ID,
        "NHS_LOGIN_PRIVATE_KEY": CLIENT_PRIVATE_KEY,
    }
    app.config.update(settings)
    init_nhs_login(app)
    try:
        yield provider
    finally:
        app.config.update({name: "" for name in settings})
        init_nhs_login(app)


def sign_in_with_nhs_login(client, sub: str) -> Any:
    """Press the button, choose the identity at the provider, and follow it back."""
    start = client.get("/sign-in/nhs-login")
    assert start.status_code == 302
    authorize = start.headers["Location"]
    query = parse_qs(urlsplit(authorize).query)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert query["nonce"][0] and query["state"][0]
    assert query["client_id"] == [CLIENT_ID]
    chosen = requests.post(authorize, data={"sub": sub}, allow_redirects=False, timeout=10)
    assert chosen.status_code == 302, chosen.text[:500]
    callback = urlsplit(chosen.headers["Location"])
    assert callback.path == "/sign-in/nhs-login/callback"
    return client.get(f"{callback.path}?{callback.query}")


def test_no_button_and_no_route_when_nhs_login_is_not_configured(client):
    assert "NHS login" not in client.get("/sign-in").get_data(as_text=True)
    assert client.get("/sign-in/nhs-login").status_code == 404
    assert client.get("/sign-in/nhs-login/callback").status_code == 404


def test_a_patient_with_a_verified_email_signs_in_and_their_identity_is_linked(client, nhs_login):
    patient = factories.make_user(Role.PATIENT, email="pat@example.com", password_hash=None)
    assert "Continue with NHS login" in client.get("/sign-in").get_data(as_text=True)
    response = sign_in_with_nhs_login(client, "nhs-verified")
    assert response.status_code == 302
    assert client.get("/my/").status_code == 200
    db.session.expire_all()
    assert db.session.get(User, patient.id).nhs_login_sub == "nhs-verified"
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.actor_id == patient.id)).all()
    assert {e.action for e in events} >= {"nhs_login.linked", "sign_in.succeeded"}
    assert any(e.detail.get("second_factor") == "nhs_login" for e in events)
    assert len(nhs_login["assertion"].seen) == 1  # the provider checked our signed assertion


def test_a_linked_identity_signs_in_by_its_sub_even_when_the_email_changes(client, nhs_login):
    patient = factories.make_user(
        Role.PATIENT, email="changed@example.com", nhs_login_sub="nhs-verified"
    )
    sign_in_with_nhs_login(client, "nhs-verified")
    assert client.get("/my/").status_code == 200
    assert patient.id


@pytest.mark.parametrize(
    ("sub", "setup"),
    [
        ("nhs-unverified", "patient"),  # NHS login has not verified the address
        ("nhs-stranger", "patient"),  # no account with this address: refer first
        ("nhs-staff", "staff"),  # staff never sign in this way
    ],
)
def test_identities_without_a_patient_account_are_not_signed_in(client, nhs_login, sub, setup):
    factories.make_user(Role.PATIENT, email="pat@example.com")
    factories.make_user(Role.CLINICAL_LEAD, email="lead@example.com")
    response = sign_in_with_nhs_login(client, sub)
    assert response.headers["Location"].endswith("/refer-yourself")
    assert client.get("/my/").status_code == 302
    assert db.session.scalar(select(User).where(User.nhs_login_sub.is_not(None))) is None
    assert setup


def test_a_client_assertion_signed_with_the_wrong_key_is_refused(client, nhs_login, app):
    factories.make_user(Role.PATIENT, email="pat@example.com")
    app.config["NHS_LOGIN_PRIVATE_KEY"] = _rsa_pem()[0]
    init_nhs_login(app)
    response = sign_in_with_nhs_login(client, "nhs-verified")
    assert response.headers["Location"].endswith("/sign-in")
    assert client.get("/my/").status_code == 302
    assert nhs_login["assertion"].seen == set()


def test_a_callback_without_its_state_is_refused(client, nhs_login):
    response = client.get("/sign-in/nhs-login/callback?code=made-up&state=forged")
    assert response.headers["Location"].endswith("/sign-in")
    assert client.get("/my/").status_code == 302

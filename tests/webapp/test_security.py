"""Headers on every response, and the role boundaries between each audience's pages."""

from __future__ import annotations

import re

import pytest

from tests import factories
from tests.conftest import sign_in
from webapp.models import Role

LANDING_PAGES = {
    Role.PATIENT: "/my/",
    Role.THERAPIST: "/therapist/",
    Role.MODERATOR: "/moderation/",
    Role.CLINICAL_LEAD: "/clinical/",
    Role.COMMISSIONER: "/reports/",
    Role.ADMIN: "/admin/users",
}


def test_every_page_has_a_nonce_based_content_security_policy_and_its_scripts_carry_the_nonce(
    client,
):
    response = client.get("/")
    policy = response.headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    assert "script-src 'self' 'nonce-" in policy
    assert "'unsafe-inline'" not in policy and "frame-ancestors 'none'" in policy
    scripts = re.findall(r"<script([^>]*)>", response.get_data(as_text=True))
    assert scripts and all(f'nonce="{nonce}"' in attributes for attributes in scripts)
    assert client.get("/").headers["Content-Security-Policy"] != policy  # a new nonce each time


def test_pages_are_never_cached_but_static_files_may_be(client):
    assert client.get("/").headers["Cache-Control"] == "no-store"
    with client.get("/static/app.css") as static:
        assert "no-store" not in static.headers.get("Cache-Control", "")


def test_security_headers_are_set(client):
    headers = client.get("/sign-in").headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "camera=()" in headers["Permissions-Policy"]


def test_hsts_is_sent_over_https(client):
    assert "Strict-Transport-Security" in client.get("/", base_url="https://localhost").headers
    assert "Strict-Transport-Security" not in client.get("/").headers


def test_session_cookie_is_http_only_and_same_site(client):
    patient = factories.make_user(Role.PATIENT)
    sign_in(client, patient)
    cookie = client.get_cookie("session")
    assert cookie.http_only and cookie.same_site == "Lax"


# The clinical lead is the moderators' clinical back-up: they may watch the moderation queue.
# The clinical lead and admins also see the commissioners' aggregate reports (not statements).
SHARED_PAGES = {
    (Role.CLINICAL_LEAD, "/moderation/"),
    (Role.CLINICAL_LEAD, "/reports/"),
    (Role.ADMIN, "/reports/"),
}


@pytest.mark.parametrize("role", list(Role))
def test_each_role_reaches_its_own_pages_and_is_refused_everyone_elses(client, login_as, role):
    login_as(role)
    for page_role, page in LANDING_PAGES.items():
        expected = 200 if page_role == role or (role, page) in SHARED_PAGES else 403
        assert client.get(page).status_code == expected, (role, page)


@pytest.mark.parametrize("page", LANDING_PAGES.values())
def test_signed_out_visitors_are_sent_to_sign_in(client, page):
    response = client.get(page)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in?next=")


def test_a_refused_page_says_so_plainly(client, login_as):
    login_as(Role.PATIENT)
    page = client.get("/admin/users").get_data(as_text=True)
    assert "You do not have permission to see this page" in page
    assert "Traceback" not in page


def test_the_crisis_help_link_is_on_every_page(client, login_as):
    pages = ["/", "/sign-in", "/privacy", "/no-such-page"]
    for page in pages:
        html = client.get(page).get_data(as_text=True)
        assert "Need help now?" in html and "116 123" in html and "tel:999" in html
    login_as(Role.PATIENT)
    assert "116 123" in client.get("/my/").get_data(as_text=True)

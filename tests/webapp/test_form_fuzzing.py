"""Junk to every form: hypothesis-generated values posted to every form each demo account can
reach never cause a server error, and a form that is refused (shown again with its errors)
changes nothing in the database.

The forms are found by following links from each account's home page, so a new form is covered
as soon as something links to it.
"""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import urljoin, urlsplit

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from webapp.demo import DEMO_PASSWORD, demo_email, demo_totp_secret
from webapp.extensions import db
from webapp.models import Base

ACCOUNTS = ["patient", "priya.nair", "moderator", "clinical.lead", "commissioner", "admin"]
PAGES_PER_ACCOUNT = 30
# Rows these write on every request (page views, audit of reads), not the form's doing.
ALWAYS_WRITTEN = {"activity_events", "audit_events"}
NOT_FORMS = re.compile(r"/sign-out|/sign-in")
NOT_PAGES = re.compile(r"/static/|/assets/|.*/(csv|xlsx|json|photo)$")

FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)
ATTRIBUTE = re.compile(r'([\w-]+)="([^"]*)"')
FIELD = re.compile(r"<(input|textarea|select)\b([^>]*)>", re.I)
LINK = re.compile(r'href="(/[^"#]*)"')

junk_text = st.one_of(
    st.text(max_size=60),
    st.builds(
        lambda c, n: c * n, st.sampled_from(["x", "é", "😀", "<b>"]), st.integers(4000, 9000)
    ),
    st.sampled_from(
        [
            "",
            " ",
            "0",
            "-1",
            "99999999999999999999",
            "2026-02-30",
            "<script>alert(1)</script>",
            '=HYPERLINK("http://x")',
            "\x00",
            "' OR 1=1 --",
            "../../etc/passwd",
        ]
    ),
)


def _sign_in(client: FlaskClient, local_part: str) -> None:
    email = demo_email(local_part)
    token = _token(client.get("/sign-in").get_data(as_text=True))
    response = client.post(
        "/sign-in", data={"csrf_token": token, "email": email, "password": DEMO_PASSWORD}
    )
    if "security-code" in (response.location or ""):
        token = _token(client.get("/sign-in/security-code").get_data(as_text=True))
        code = pyotp.TOTP(demo_totp_secret(email)).now()
        response = client.post("/sign-in/security-code", data={"csrf_token": token, "code": code})
    assert response.status_code == 302 and "/sign-in" not in (response.location or "")


CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _token(page: str) -> str:
    match = CSRF.search(page)
    assert match, "no CSRF token"
    return match.group(1)


def _shape(path: str) -> str:
    return re.sub(r"/\d+", "/N", path)


def _forms(client: FlaskClient) -> list[tuple[str, str, list[str]]]:
    """(page, action, field names) of every post form reachable from the home page."""
    forms: dict[tuple[str, str], tuple[str, str, list[str]]] = {}
    home = client.get("/home").location or "/"
    queue, seen = [urlsplit(home).path], set()
    while queue and len(seen) < PAGES_PER_ACCOUNT:
        path = queue.pop(0)
        if _shape(path) in seen or NOT_FORMS.search(path):
            continue
        seen.add(_shape(path))
        response = client.get(path)
        page = response.get_data(as_text=True)
        response.close()
        if response.status_code != 200 or "text/html" not in response.content_type:
            continue
        for attributes, body in FORM.findall(page):
            attrs = dict(ATTRIBUTE.findall(attributes))
            if attrs.get("method", "get").lower() != "post":
                continue
            action = urlsplit(urljoin(path, html.unescape(attrs.get("action", path)))).path
            if NOT_FORMS.search(action):
                continue
            names = [
                dict(ATTRIBUTE.findall(field_attributes)).get("name", "")
                for _tag, field_attributes in FIELD.findall(body)
            ]
            names = sorted({name for name in names if name and name != "csrf_token"})
            # One form per page and field set: a list of like forms (switch each rule) is one.
            forms.setdefault((_shape(path), ",".join(names)), (path, action, names))
        queue.extend(link for link in LINK.findall(page) if not NOT_PAGES.match(link))
    return list(forms.values())


def _row_counts() -> dict[str, int]:
    session = db.session
    return {
        table.name: session.scalar(select(func.count()).select_from(table)) or 0
        for table in Base.metadata.sorted_tables
        if table.name not in ALWAYS_WRITTEN
    }


@pytest.mark.parametrize("account", ACCOUNTS)
def test_junk_in_every_form_never_breaks_the_server_or_half_writes(
    app: Flask, account: str
) -> None:
    from webapp.extensions import limiter

    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    client = app.test_client()
    _sign_in(client, account)
    forms = _forms(client)
    assert forms, f"{account} reached no forms"
    problems: list[str] = []

    @settings(
        max_examples=2,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.generate],  # problems are collected, not raised: nothing to shrink
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def post_junk_to_every_form(data: Any) -> None:
        # Every value is drawn before anything is posted, so the draws never depend on state.
        junk = [
            {name: data.draw(junk_text, label=f"{action} {name}") for name in names}
            for _page, action, names in forms
        ]
        for (page, action, _names), values in zip(forms, junk, strict=True):
            form_page = client.get(page)
            token = CSRF.search(form_page.get_data(as_text=True))
            if form_page.status_code != 200 or token is None:
                continue  # an earlier post removed the thing this form was about
            before = _row_counts()
            response = client.post(action, data={"csrf_token": token.group(1), **values})
            if response.status_code >= 500:
                problems.append(f"{action}: {response.status_code} with {values!r:.300}")
            elif response.status_code in (400, 422) or (
                response.mimetype == "text/html"
                and "nhsuk-error-summary" in response.get_data(as_text=True)
            ):  # refused: shown again with its error summary (a file is a download)
                after = _row_counts()
                changed = {t: (before[t], n) for t, n in after.items() if before[t] != n}
                if changed:
                    problems.append(f"{action}: refused ({response.status_code}), wrote {changed}")
            limiter.reset()

    post_junk_to_every_form()
    assert problems == []

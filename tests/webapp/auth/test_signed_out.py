"""Signed out after a time limit (SESSION_IDLE_MINUTES idle, SESSION_ABSOLUTE_HOURS in all):
every signed-in page tells its script when, so it can warn first (WCAG 2.2.1, Timing
Adjustable); "Stay signed in" restarts the idle clock, never the absolute one; and a form sent
after the sign-out says what happened and gives back what was typed, never a refusal page.
(The browser's side, the warning itself, is tests/webapp/journeys/test_signed_out_journey.py.)
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import time_machine
from flask.testing import FlaskClient

from tests import factories
from tests.conftest import CSRF_FIELD, csrf_token, sign_in
from webapp.models import Role, User

START = datetime(2029, 5, 14, 9, 0, tzinfo=UTC)
IDLE = timedelta(minutes=30)
WARNING_BEFORE = timedelta(minutes=2)
TYPED = "When I stop answering texts & <sleep> all day"
SIGNED_OUT = "You have been signed out"
NOT_SAVED = "What you typed has not been saved"


def _timeout_data(page: str) -> dict[str, str]:
    """The data attributes of the page's sign-out warning."""
    match = re.search(r'<dialog[^>]*id="app-timeout"([^>]*)>', page)
    assert match, "no sign-out warning on the page"
    return dict(re.findall(r'data-([a-z-]+)="([^"]*)"', match.group(1)))


def _signed_in_patient(client: FlaskClient) -> User:
    patient = factories.make_patient()
    with time_machine.travel(START, tick=False):
        sign_in(client, patient)
    return patient


def _form_page_token(client: FlaskClient, path: str, at: datetime) -> str:
    with time_machine.travel(at, tick=False):
        return csrf_token(client, path)


def test_a_signed_in_page_says_when_its_idle_and_absolute_limits_fall(client):
    _signed_in_patient(client)
    with time_machine.travel(START + timedelta(minutes=10), tick=False):
        page = client.get("/safety-plan/edit").get_data(as_text=True)
    data = _timeout_data(page)
    assert data["idle-seconds"] == str(int(IDLE.total_seconds()))  # the page itself was activity
    assert data["absolute-seconds"] == str(
        int((timedelta(hours=12) - timedelta(minutes=10)).total_seconds())
    )
    assert data["warn-seconds"] == str(int(WARNING_BEFORE.total_seconds()))
    assert data["idle-minutes"] == "30"
    assert data["status-url"] == "/session-time" and data["extend-url"] == "/stay-signed-in"
    assert 'role="alertdialog"' in page and "Stay signed in" in page


def test_a_signed_out_page_has_no_warning(client):
    assert 'id="app-timeout"' not in client.get("/").get_data(as_text=True)


def test_asking_how_long_is_left_is_not_activity(client):
    _signed_in_patient(client)
    with time_machine.travel(START + timedelta(minutes=20), tick=False):
        asked = client.get("/session-time")
    assert asked.status_code == 200
    assert asked.json == {"idle_seconds": 10 * 60, "absolute_seconds": 12 * 3600 - 20 * 60}
    with time_machine.travel(START + timedelta(minutes=30, seconds=1), tick=False):
        late = client.get("/session-time")
    assert late.status_code == 401 and late.json == {"signed_in": False}


def test_stay_signed_in_restarts_the_idle_clock(client):
    _signed_in_patient(client)
    token = _form_page_token(client, "/safety-plan/edit", START)
    with time_machine.travel(START + timedelta(minutes=29), tick=False):
        stayed = client.post("/stay-signed-in", headers={"X-CSRFToken": token})
    assert stayed.status_code == 200
    assert stayed.json == {"idle_seconds": 30 * 60, "absolute_seconds": 12 * 3600 - 29 * 60}
    with time_machine.travel(START + timedelta(minutes=58), tick=False):
        assert client.get("/session-time").json["idle_seconds"] == 60
        assert client.get("/safety-plan/edit").status_code == 200


def test_stay_signed_in_needs_the_csrf_token(client):
    _signed_in_patient(client)
    with time_machine.travel(START + timedelta(minutes=1), tick=False):
        assert client.post("/stay-signed-in").status_code == 400


def test_stay_signed_in_cannot_pass_the_absolute_limit(client):
    _signed_in_patient(client)
    token = _form_page_token(client, "/safety-plan/edit", START)
    at = START + timedelta(hours=11, minutes=50)
    for minutes in range(20, 11 * 60 + 50, 20):  # busy all day
        with time_machine.travel(START + timedelta(minutes=minutes), tick=False):
            assert client.get("/my/").status_code == 200
    with time_machine.travel(at, tick=False):
        stayed = client.post("/stay-signed-in", headers={"X-CSRFToken": token})
    assert stayed.json == {"idle_seconds": 30 * 60, "absolute_seconds": 10 * 60}
    with time_machine.travel(START + timedelta(hours=12, seconds=1), tick=False):
        assert client.post("/stay-signed-in", headers={"X-CSRFToken": token}).status_code == 401


def _typed_back(page: str) -> dict[str, str]:
    """Label -> text of the read-only boxes on the signed-out page."""
    boxes = re.findall(
        r'<label[^>]*for="(typed-\d+)"[^>]*>\s*(.*?)\s*</label>.*?'
        r'<textarea[^>]*id="\1"[^>]*readonly[^>]*>(.*?)</textarea>',
        page,
        flags=re.S,
    )
    return {html.unescape(label): html.unescape(text).strip() for _, label, text in boxes}


def test_a_form_sent_after_the_idle_sign_out_gives_back_what_was_typed(client):
    _signed_in_patient(client)
    token = _form_page_token(client, "/safety-plan/edit", START)
    with time_machine.travel(START + timedelta(minutes=45), tick=False):
        response = client.post(
            "/safety-plan/edit",
            data={"csrf_token": token, "warning_signs": TYPED, "coping_steps": "  "},
            headers={"Referer": "http://localhost/safety-plan/edit"},
        )
    page = response.get_data(as_text=True)
    assert response.status_code == 401
    assert (
        SIGNED_OUT in page
        and "after 30 minutes without activity" in page
        and "to protect your privacy" in page
    )
    assert NOT_SAVED in page
    assert "different kind of account" not in page
    assert _typed_back(page) == {"My warning signs": TYPED}
    assert token not in page
    sign_in_again = re.search(r'<a[^>]*href="([^"]+)"[^>]*>Sign in again', page)
    assert sign_in_again
    target = urlsplit(html.unescape(sign_in_again.group(1)))
    assert target.path == "/sign-in" and parse_qs(target.query)["next"] == ["/safety-plan/edit"]


def test_signing_in_again_from_that_page_returns_to_the_form(client):
    patient = _signed_in_patient(client)
    token = _form_page_token(client, "/safety-plan/edit", START)
    later = START + timedelta(minutes=45)
    with time_machine.travel(later, tick=False):
        page = client.post(
            "/safety-plan/edit", data={"csrf_token": token, "warning_signs": TYPED}
        ).get_data(as_text=True)
        link = html.unescape(re.search(r'href="([^"]+)"[^>]*>Sign in again', page).group(1))
        sign_in_page = client.get(link)
        token = CSRF_FIELD.search(sign_in_page.get_data(as_text=True)).group(1)
        response = client.post(
            link,
            data={"csrf_token": token, "email": patient.email, "password": factories.PASSWORD},
        )
    assert response.status_code == 302 and response.headers["Location"] == "/safety-plan/edit"


def test_passwords_tokens_and_hidden_fields_are_never_given_back(client):
    patient = _signed_in_patient(client)
    appointment = factories.make_appointment(patient, starts_at=START + timedelta(days=5))
    cancel = f"/booking/appointments/{appointment.id}/cancel"
    token = _form_page_token(client, cancel, START)
    with time_machine.travel(START + timedelta(minutes=31), tick=False):
        cancelled = client.post(
            cancel,
            data={"csrf_token": token, "charged_shown": "no", "reason": "I start a new job"},
        )
        closing = client.post(
            "/my-data/close-account",
            data={"csrf_token": token, "password": factories.PASSWORD, "confirm": "y"},
        )
    page = cancelled.get_data(as_text=True)
    assert cancelled.status_code == 401
    assert _typed_back(page) == {"Reason": "I start a new job"}  # two forms here say "reason"
    assert closing.status_code == 401
    closing_page = closing.get_data(as_text=True)
    assert factories.PASSWORD not in closing_page and _typed_back(closing_page) == {}


def test_the_absolute_limit_is_named_as_the_reason(client):
    _signed_in_patient(client)
    for minutes in range(20, 12 * 60, 20):
        with time_machine.travel(START + timedelta(minutes=minutes), tick=False):
            token = csrf_token(client, "/safety-plan/edit")
    with time_machine.travel(START + timedelta(hours=12, minutes=1), tick=False):
        response = client.post(
            "/safety-plan/edit", data={"csrf_token": token, "warning_signs": TYPED}
        )
    page = response.get_data(as_text=True)
    assert response.status_code == 401
    assert "signed in for 12 hours" in page and _typed_back(page) == {"My warning signs": TYPED}


def test_a_form_sent_after_a_status_check_signed_them_out_still_gives_it_back(client):
    """The page's own check at the deadline signs the session out first; the token the form
    carries must still be good, or the page would be "Your form has expired" and the text lost."""
    _signed_in_patient(client)
    token = _form_page_token(client, "/safety-plan/edit", START)
    with time_machine.travel(START + timedelta(minutes=31), tick=False):
        assert client.get("/session-time").status_code == 401
        assert client.get("/my/").status_code == 302  # and another tab went to sign in
        response = client.post(
            "/safety-plan/edit", data={"csrf_token": token, "warning_signs": TYPED}
        )
    assert response.status_code == 401
    assert _typed_back(response.get_data(as_text=True)) == {"My warning signs": TYPED}


def test_a_signed_out_get_still_goes_to_sign_in_and_says_why(client):
    _signed_in_patient(client)
    with time_machine.travel(START + timedelta(minutes=31), tick=False):
        response = client.get("/safety-plan/edit")
        assert response.status_code == 302
        assert response.headers["Location"] == "/sign-in?next=/safety-plan/edit"
        page = client.get("/sign-in").get_data(as_text=True)
    assert "after 30 minutes without activity" in page


def test_another_roles_form_is_still_refused_as_such(client):
    therapist = factories.make_therapist()
    with time_machine.travel(START, tick=False):
        sign_in(client, therapist)
        token = csrf_token(client, "/account")
        response = client.post(
            "/safety-plan/edit", data={"csrf_token": token, "warning_signs": TYPED}
        )
    page = response.get_data(as_text=True)
    assert response.status_code == 403 and "different kind of account" in page
    assert TYPED not in page


def test_a_form_sent_with_no_session_at_all_is_not_given_back(client):
    """No CSRF token in a session: a post from another site is refused before anything is shown,
    so the page cannot be used to show someone text of another site's choosing."""
    response = client.post("/safety-plan/edit", data={"warning_signs": TYPED})
    assert response.status_code == 400 and TYPED not in response.get_data(as_text=True)


def test_staff_are_warned_too(client):
    with time_machine.travel(START, tick=False):
        sign_in(client, factories.make_user(Role.THERAPIST))
        page = client.get("/therapist/").get_data(as_text=True)
    assert _timeout_data(page)["idle-seconds"] == "1800"

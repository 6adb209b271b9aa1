"""The pre-session questionnaires from the patient's side and the therapist's."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from tests import factories
from tests.conftest import sign_in, submit
from webapp.extensions import db
from webapp.measures import queries
from webapp.models import AuditEvent, QuestionnaireResponse, RiskFlag, Role, User

# A full set of low-scoring answers, page by page, as the browser would post them.
CALM = {
    "phq9": {f"q{n}": "0" for n in range(1, 10)},
    "gad7": {f"q{n}": "0" for n in range(1, 8)},
    "phobia": {"social": "0", "panic_agoraphobia": "0", "specific": "0"},
    "employment": {
        "status": "02",
        "jobseekers_allowance": "N",
        "employment_and_support_allowance": "N",
        "universal_credit": "N",
        "personal_independence_payment": "N",
    },
    "wsas": {
        "work": "0",
        "home_management": "0",
        "social_leisure": "0",
        "private_leisure": "0",
        "relationships": "0",
    },
    "medication": {"prescribed": "N"},
}


def overview_url(appointment):
    return f"/questionnaires/appointments/{appointment.id}"


def answer_everything(client, appointment, answers=CALM):
    """Follow the pages from the overview to the end, answering what each page asks."""
    url = re.search(
        r'href="(/questionnaires/appointments/\d+/[a-z0-9_]+/\d+)"',
        client.get(overview_url(appointment)).get_data(as_text=True),
    ).group(1)
    visited = []
    while url != overview_url(appointment):
        code = url.split("/")[-2]
        page = client.get(url).get_data(as_text=True)
        names = set(re.findall(r'<(?:input|textarea)[^>]*name="([a-z0-9_]+)"', page)) - {
            "csrf_token"
        }
        response = submit(client, url, {name: answers[code][name] for name in names})
        assert response.status_code == 302, response.get_data(as_text=True)[:3000]
        visited.append(url)
        url = response.headers["Location"]
    return visited


@pytest.fixture
def patient_with_appointment(client):
    patient = factories.make_user(Role.PATIENT)
    appointment = factories.make_appointment(patient)
    sign_in(client, patient)
    return patient, appointment


def test_a_patient_answers_the_whole_set_page_by_page_and_it_is_scored(
    client, patient_with_appointment
):
    _, appointment = patient_with_appointment
    assert not queries.is_pre_session_set_complete(appointment.id)
    visited = answer_everything(client, appointment)
    assert len(visited) >= 10  # phone-sized pages, not one long form
    assert queries.is_pre_session_set_complete(appointment.id)
    responses = queries.responses_for_appointment(appointment.id)
    assert responses["phq9"].total == 0 and responses["phq9"].severity == "minimal"
    assert responses["phq9"].instrument_version == "1"
    assert responses["phq9"].answers == {f"q{n}": 0 for n in range(1, 10)}
    assert responses["employment"].total is None
    assert "You have answered everything" in client.get(overview_url(appointment)).get_data(
        as_text=True
    )


def test_someone_not_working_by_choice_answers_the_wsas_work_item_not_applicable(
    client, patient_with_appointment
):
    _, appointment = patient_with_appointment
    retired = {**CALM, "wsas": {**CALM["wsas"], "work": "not_applicable", "relationships": "3"}}
    page = client.get(f"/questionnaires/appointments/{appointment.id}/wsas/1")
    assert "Not applicable: I am retired" in page.get_data(as_text=True)
    answer_everything(client, appointment, retired)
    wsas = queries.responses_for_appointment(appointment.id)["wsas"]
    assert wsas.answers["work"] == "not_applicable" and wsas.total == 3
    assert wsas.instrument_version == "2"


def test_answers_are_saved_page_by_page_so_nothing_is_lost(client, patient_with_appointment):
    _, appointment = patient_with_appointment
    url = f"/questionnaires/appointments/{appointment.id}/phq9/1"
    submit(client, url, {"q1": "2", "q2": "1", "q3": "0"})
    response = queries.responses_for_appointment(appointment.id)["phq9"]
    assert response.answers == {"q1": 2, "q2": 1, "q3": 0} and response.completed_at is None
    page = client.get(url).get_data(as_text=True)
    assert re.search(r'value="2"\s+checked', page)  # shown again when they come back
    assert "Continue" in client.get(overview_url(appointment)).get_data(as_text=True)


def test_an_unanswered_question_is_named_in_the_error_summary_and_nothing_is_saved(
    client, patient_with_appointment
):
    _, appointment = patient_with_appointment
    response = submit(client, f"/questionnaires/appointments/{appointment.id}/phq9/1", {"q1": "1"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "There is a problem" in page
    assert (
        'href="#q2"' in page and "Select an answer to: Feeling down, depressed or hopeless" in page
    )
    assert queries.responses_for_appointment(appointment.id) == {}


def test_an_answer_out_of_range_is_refused(client, patient_with_appointment):
    _, appointment = patient_with_appointment
    response = submit(
        client,
        f"/questionnaires/appointments/{appointment.id}/phq9/1",
        {"q1": "7", "q2": "0", "q3": "0"},
    )
    assert "There is a problem" in response.get_data(as_text=True)
    assert queries.responses_for_appointment(appointment.id) == {}


def test_thoughts_of_self_harm_show_crisis_routes_at_once_and_flag_the_appointment(
    client, patient_with_appointment
):
    _, appointment = patient_with_appointment
    base = f"/questionnaires/appointments/{appointment.id}/phq9"
    submit(client, f"{base}/1", {"q1": "1", "q2": "1", "q3": "1"})
    submit(client, f"{base}/2", {"q4": "1", "q5": "1", "q6": "1"})
    response = submit(client, f"{base}/3", {"q7": "1", "q8": "1", "q9": "1"})
    next_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "If you are thinking about harming yourself" in next_page and "116 123" in next_page
    (flag,) = db.session.scalars(select(RiskFlag)).all()
    assert flag.code == "phq9_item9" and flag.appointment_id == appointment.id
    assert [f.id for f in queries.unacknowledged_risk_flags(appointment.id)] == [flag.id]


def test_a_reliable_rise_since_the_last_set_flags_the_appointment(client, patient_with_appointment):
    patient, appointment = patient_with_appointment
    earlier = factories.make_appointment(
        patient, starts_at=appointment.starts_at - timedelta(days=7)
    )
    db.session.add(
        QuestionnaireResponse(
            patient_id=patient.id,
            appointment_id=earlier.id,
            instrument="phq9",
            instrument_version="1",
            answers={},
            total=5,
            completed_at=datetime.now(UTC) - timedelta(days=7),
            started_at=datetime.now(UTC) - timedelta(days=7),
        )
    )
    db.session.commit()
    base = f"/questionnaires/appointments/{appointment.id}/phq9"
    submit(client, f"{base}/1", {"q1": "2", "q2": "2", "q3": "2"})
    submit(client, f"{base}/2", {"q4": "1", "q5": "1", "q6": "1"})
    submit(client, f"{base}/3", {"q7": "1", "q8": "1", "q9": "0"})  # total 11: a rise of 6
    codes = [flag.code for flag in queries.unacknowledged_risk_flags(appointment.id)]
    assert codes == ["phq9_reliable_rise"]


def test_questionnaires_open_72_hours_before_and_close_when_the_session_ends(client):
    patient = factories.make_user(Role.PATIENT)
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=5)
    appointment = factories.make_appointment(patient, starts_at=start)
    sign_in(client, patient)
    url = f"/questionnaires/appointments/{appointment.id}/phq9/1"
    assert client.get(url).status_code == 302
    assert "These questions open on" in client.get(overview_url(appointment)).get_data(as_text=True)
    with time_machine.travel(start - timedelta(hours=71), tick=False):
        sign_in(client, patient)
        assert client.get(url).status_code == 200
    with time_machine.travel(start + timedelta(minutes=51), tick=False):
        sign_in(client, patient)
        assert client.get(url).status_code == 302


def test_a_patient_cannot_see_or_answer_another_patients_questionnaires(
    client, patient_with_appointment
):
    someone_else = factories.make_appointment()
    assert client.get(overview_url(someone_else)).status_code == 404
    response = submit(
        client,
        f"/questionnaires/appointments/{someone_else.id}/phq9/1",
        {"q1": "0", "q2": "0", "q3": "0"},
        form_page=f"/questionnaires/appointments/{patient_with_appointment[1].id}/phq9/1",
    )
    assert response.status_code == 404
    assert queries.responses_for_appointment(someone_else.id) == {}


def test_the_therapist_sees_their_patients_answers_and_the_view_is_audited(
    app, client, patient_with_appointment
):
    _, appointment = patient_with_appointment
    answer_everything(client, appointment)
    therapist_client = app.test_client()
    therapist = db.session.get(User, appointment.therapist_id)
    sign_in(therapist_client, therapist)
    page = therapist_client.get(f"/questionnaires/therapist/appointments/{appointment.id}")
    assert page.status_code == 200 and "Total 0" in page.get_data(as_text=True)
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "patient_record.viewed")
    )
    assert (event.actor_id, event.patient_id) == (therapist.id, appointment.patient_id)


def test_another_therapist_cannot_see_the_answers(client, login_as):
    appointment = factories.make_appointment()
    login_as(Role.THERAPIST)
    assert client.get(f"/questionnaires/therapist/appointments/{appointment.id}").status_code == 404


def test_a_patient_cannot_use_the_therapist_pages(client, patient_with_appointment):
    _, appointment = patient_with_appointment
    assert client.get(f"/questionnaires/therapist/appointments/{appointment.id}").status_code == 403


def test_the_therapist_acknowledges_a_risk_flag(app, client, patient_with_appointment):
    _, appointment = patient_with_appointment
    base = f"/questionnaires/appointments/{appointment.id}/phq9"
    submit(client, f"{base}/1", {"q1": "0", "q2": "0", "q3": "0"})
    submit(client, f"{base}/2", {"q4": "0", "q5": "0", "q6": "0"})
    submit(client, f"{base}/3", {"q7": "0", "q8": "0", "q9": "2"})
    (flag,) = queries.unacknowledged_risk_flags(appointment.id)
    therapist_client = app.test_client()
    sign_in(therapist_client, db.session.get(User, appointment.therapist_id))
    view = f"/questionnaires/therapist/appointments/{appointment.id}"
    response = submit(
        therapist_client,
        f"{view}/risk-flags/{flag.id}/acknowledge",
        {"note": "Will ask about safety first.", "level_shown": "2"},  # (as the page has it)
        form_page=view,
    )
    assert response.status_code == 302
    assert queries.unacknowledged_risk_flags(appointment.id) == []
    assert db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "risk_flag.acknowledged")
    )


def test_changing_one_earlier_answer_returns_to_the_overview(client, patient_with_appointment):
    _, appointment = patient_with_appointment
    answer_everything(client, appointment)
    base = f"/questionnaires/appointments/{appointment.id}/phq9"
    response = submit(client, f"{base}/1", {"q1": "2", "q2": "0", "q3": "0"})
    assert response.headers["Location"] == overview_url(appointment)


def test_a_first_pass_goes_page_by_page(client, patient_with_appointment):
    _, appointment = patient_with_appointment
    base = f"/questionnaires/appointments/{appointment.id}/phq9"
    response = submit(client, f"{base}/1", {"q1": "0", "q2": "0", "q3": "0"})
    assert response.headers["Location"] == f"{base}/2"


def _flag_raised(client, appointment) -> RiskFlag:
    base = f"/questionnaires/appointments/{appointment.id}/phq9"
    submit(client, f"{base}/1", {"q1": "0", "q2": "0", "q3": "0"})
    submit(client, f"{base}/2", {"q4": "0", "q5": "0", "q6": "0"})
    submit(client, f"{base}/3", {"q7": "0", "q8": "0", "q9": "2"})
    (flag,) = queries.unacknowledged_risk_flags(appointment.id)
    return flag


def test_an_over_long_acknowledgement_is_shown_on_the_flag_and_keeps_what_was_typed(
    app, client, patient_with_appointment
):
    _, appointment = patient_with_appointment
    flag = _flag_raised(client, appointment)
    therapist_client = app.test_client()
    sign_in(therapist_client, db.session.get(User, appointment.therapist_id))
    view = f"/questionnaires/therapist/appointments/{appointment.id}"
    typed = "Will ask about safety. " * 100
    response = submit(
        therapist_client,
        f"{view}/risk-flags/{flag.id}/acknowledge",
        {"note": typed},
        form_page=view,
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in html and f'href="#flag-{flag.id}-note"' in html
    assert f'id="flag-{flag.id}-note"' in html and typed.strip() in html
    assert "Note must be 2,000 characters or fewer" in html
    assert [f.id for f in queries.unacknowledged_risk_flags(appointment.id)] == [flag.id]


def test_a_flag_moved_with_its_session_says_where_its_answers_are(
    app, client, patient_with_appointment
):
    _, appointment = patient_with_appointment
    flag = _flag_raised(client, appointment)
    later = factories.make_appointment(
        db.session.get(User, appointment.patient_id),
        db.session.get(User, appointment.therapist_id),
        starts_at=appointment.starts_at + timedelta(days=7),
    )
    flag.appointment_id = later.id  # as booking.services.reschedule_appointment moves it
    db.session.commit()
    therapist_client = app.test_client()
    sign_in(therapist_client, db.session.get(User, appointment.therapist_id))
    page = therapist_client.get(f"/questionnaires/therapist/appointments/{later.id}")
    html = page.get_data(as_text=True)
    assert "from the answers for the session first booked for" in html
    assert f'href="/questionnaires/therapist/appointments/{appointment.id}"' in html


def test_the_patient_sees_their_scores_as_a_chart_and_a_table(client, patient_with_appointment):
    _, appointment = patient_with_appointment
    answer_everything(client, appointment)
    page = client.get("/questionnaires/scores").get_data(as_text=True)
    assert page.count('<svg class="app-chart"') == 2
    assert (
        "Depression (PHQ-9)" in page
        and '<td class="nhsuk-table__cell nhsuk-table__cell--numeric">0</td>' in page
    )


def test_the_patient_home_links_to_questionnaires_due(client, patient_with_appointment):
    _, appointment = patient_with_appointment
    page = client.get("/my/").get_data(as_text=True)
    assert overview_url(appointment) in page


def test_the_patient_home_links_to_the_session_room_once_it_opens(client):
    # The questionnaire overview promises "You can join your session from your home page when
    # it starts": the link is there from the start (when the room opens for the patient).
    patient = factories.make_user(Role.PATIENT)
    starts_at = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=10)
    appointment = factories.make_appointment(patient, starts_at=starts_at)
    sign_in(client, patient)
    answer_everything(client, appointment)
    room = f'href="/sessions/{appointment.id}"'
    before = client.get("/my/").get_data(as_text=True)
    assert room not in before and "The session room opens at" in before
    with time_machine.travel(starts_at + timedelta(minutes=1), tick=False):
        assert room in client.get("/my/").get_data(as_text=True)


def test_the_patient_home_shows_self_help_suggestions_and_the_safety_plan(client):
    patient = factories.make_patient()
    sign_in(client, patient)
    page = client.get("/my/").get_data(as_text=True)
    assert "/self-help/coping-while-waiting" in page and "/safety-plan" in page


def test_the_patient_home_shows_messages_from_the_service_and_the_community(client):
    patient = factories.make_patient()
    sign_in(client, patient)
    page = client.get("/my/").get_data(as_text=True)
    assert "Messages from the service" in page and "You have no messages." in page
    assert "<strong>8 sessions</strong> left to book" in page
    assert "/community/" in page

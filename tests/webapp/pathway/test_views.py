"""The care pathway pages: who may see and change an episode, the forms with their error
summaries, and the patient's own view of their care."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from tests.conftest import sign_in, submit
from tests.factories import make_appointment, make_episode, make_patient
from webapp.extensions import db
from webapp.models import AuditEvent, ExperienceResponse, Role
from webapp.pathway import queries
from webapp.pathway.episode import EpisodeState

S = EpisodeState


TODAY = datetime.now(UTC).date()


def fresh(row):
    """The row as the database now holds it (each request ends the session it was loaded in)."""
    db.session.remove()
    return db.session.get(type(row), row.id)


def url(episode, suffix=""):
    return f"/care-pathway/episodes/{episode.id}{suffix}"


@pytest.fixture
def mine(client, login_as):
    therapist = login_as(Role.THERAPIST)
    return make_episode(therapist=therapist)


def test_a_therapist_sees_their_caseload_and_their_episode(client, mine):
    page = client.get("/care-pathway/").get_data(as_text=True)
    assert mine.patient.full_name in page and "Waiting for assessment" in page
    response = client.get(url(mine))
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "Not yet (no attended treatment session)" in text
    assert (
        db.session.query(AuditEvent)
        .filter_by(action="patient_record.viewed", patient_id=mine.patient_id)
        .count()
        == 1
    )


@pytest.mark.parametrize("suffix", ["", "/state", "/assessment", "/step", "/discharge"])
def test_another_therapists_episode_is_not_found(client, login_as, suffix):
    login_as(Role.THERAPIST)
    theirs = make_episode()
    assert client.get(url(theirs, suffix)).status_code == 404


def test_another_therapist_cannot_plan_an_ending_discharge_or_code_an_appointment(client, login_as):
    login_as(Role.THERAPIST)
    theirs = make_episode(state=S.IN_TREATMENT)
    appointment = make_appointment(theirs.patient, theirs.therapist, episode_id=theirs.id)
    assert client.get(url(theirs, f"/appointments/{appointment.id}/coding")).status_code == 404
    mine = make_episode(therapist=None)
    response = submit(client, url(theirs, "/ending"), {}, form_page="/care-pathway/")
    assert response.status_code == 404
    response = submit(
        client,
        url(theirs, "/discharge"),
        {"end_code": "46", "ended_on": "2026-03-20", "reason": "x"},
        form_page="/care-pathway/",
    )
    assert response.status_code == 404
    assert db.session.query(ExperienceResponse).count() == 0
    del mine


def test_an_appointment_outside_the_episode_is_not_found(client, mine):
    elsewhere = make_appointment(make_patient(), mine.therapist)
    assert client.get(url(mine, f"/appointments/{elsewhere.id}/coding")).status_code == 404


@pytest.mark.parametrize("role", [Role.PATIENT, Role.COMMISSIONER, Role.MODERATOR, Role.ADMIN])
def test_other_roles_are_refused(client, login_as, role):
    login_as(role)
    episode = make_episode()
    assert client.get("/care-pathway/").status_code == 403
    assert client.get(url(episode)).status_code == 403


def test_signed_out_people_are_sent_to_sign_in(client):
    episode = make_episode()
    response = client.get(url(episode))
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
    assert client.post(url(episode, "/ending")).status_code in (400, 403)


def test_the_clinical_lead_sees_every_episode_but_changes_none(client, login_as):
    login_as(Role.CLINICAL_LEAD)
    episode = make_episode()
    assert episode.patient.full_name in client.get("/care-pathway/").get_data(as_text=True)
    assert client.get(url(episode)).status_code == 200
    assert client.get(url(episode, "/state")).status_code == 403
    assert client.get(url(episode, "/discharge")).status_code == 403


ASSESSMENT_FORM = {
    "assessed_on": "2026-03-02",
    "problem_descriptor": "gad",
    "icd10_code": "F41.1",
    "risk_level": "low",
    "risk_summary": "No thoughts of self-harm.",
    "risk_plan": "Crisis numbers given.",
    "goals": "Worry less about work.",
    "options_explained": "Guided self-help or CBT.",
    "preference": "CBT",
    "preference_met": "no",
    "step_of_care": "3",
}


def test_recording_the_assessment_moves_the_episode_to_assessed(client, mine):
    response = submit(client, url(mine, "/assessment"), ASSESSMENT_FORM)
    assert response.status_code == 302
    mine = fresh(mine)
    assert mine.state is S.ASSESSED and mine.current_step == "3"
    assessment = queries.assessment_for(mine.id)
    assert assessment.preference_met is False and assessment.icd10_code == "F41.1"
    page = client.get(url(mine)).get_data(as_text=True)
    assert "Worry less about work." in page and "F41.1 Generalised anxiety disorder" in page


def test_an_incomplete_assessment_shows_the_error_summary(client, mine):
    page = submit(
        client,
        url(mine, "/assessment"),
        {"assessed_on": "not a date", "problem_descriptor": "ptsd", "icd10_code": "F32"},
    ).get_data(as_text=True)
    assert "There is a problem" in page and "<title>Error:" in page
    assert "Enter the date of the assessment as a real date" in page
    assert "does not match the problem descriptor" in page
    assert "Enter the risk assessment summary" in page


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("risk_summary", "Enter the risk assessment summary"),
        ("risk_plan", "Enter the risk plan"),
        ("goals", "Enter the goals the patient set"),
        ("options_explained", "Enter the treatment options you explained"),
        ("preference", "Enter the patient’s preference"),
    ],
)
def test_spaces_only_assessment_text_is_a_field_error_and_nothing_is_saved(
    client, mine, field, message
):
    page = submit(client, url(mine, "/assessment"), {**ASSESSMENT_FORM, field: "  \n\t "})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "There is a problem" in html
    assert f'href="#{field}"' in html and message in html
    assert queries.assessment_for(mine.id) is None
    assert fresh(mine).state is S.WAITING_FOR_ASSESSMENT


def test_changing_the_state_and_the_step(client, mine):
    mine.state = S.ASSESSED
    db.session.commit()
    assert (
        submit(
            client, url(mine, "/state"), {"to_state": "in_treatment", "note": "Starting CBT"}
        ).status_code
        == 302
    )
    response = submit(
        client,
        url(mine, "/step"),
        {"to_step": "3", "changed_on": "2026-03-10", "reason": "More support"},
    )
    assert response.status_code == 302
    mine = fresh(mine)
    assert mine.state is S.IN_TREATMENT and mine.current_step == "3"
    page = client.get(url(mine)).get_data(as_text=True)
    assert "Starting CBT" in page and "More support" in page


def test_a_state_the_pathway_does_not_allow_is_not_offered(client, mine):
    page = submit(client, url(mine, "/state"), {"to_state": "in_treatment"}).get_data(as_text=True)
    assert "Not a valid choice" in page or "There is a problem" in page
    mine = fresh(mine)
    assert mine.state is S.WAITING_FOR_ASSESSMENT


def test_coding_an_appointment_and_planning_the_ending(client, mine):
    mine.state = S.IN_TREATMENT
    db.session.commit()
    appointment = make_appointment(
        mine.patient,
        mine.therapist,
        starts_at=datetime(2026, 3, 2, 10, tzinfo=UTC),
        episode_id=mine.id,
        attendance_code="5",
    )
    path = url(mine, f"/appointments/{appointment.id}/coding")
    assert (
        submit(client, path, {"appointment_type": "treatment", "step_of_care": "2"}).status_code
        == 302
    )
    appointment = fresh(appointment)
    assert (appointment.appointment_type, appointment.step_of_care) == ("treatment", "2")
    response = submit(client, url(mine, "/ending"), {}, form_page=url(mine))
    assert response.status_code == 302
    assert db.session.query(ExperienceResponse).filter_by(patient_id=mine.patient_id).count() == 1
    assert "was asked for their experience of the service" in client.get(url(mine)).get_data(
        as_text=True
    )


def test_discharge_offers_only_the_end_codes_for_the_state_and_records_the_end(client, mine):
    page = client.get(url(mine, "/discharge")).get_data(as_text=True)
    assert "50 – Not assessed" in page and "46 –" not in page
    refused = submit(
        client, url(mine, "/discharge"), {"end_code": "46", "ended_on": "2026-03-20", "reason": "x"}
    )
    assert "There is a problem" in refused.get_data(as_text=True)
    response = submit(
        client,
        url(mine, "/discharge"),
        {"end_code": "50", "ended_on": TODAY.isoformat(), "reason": "Did not reply"},
    )
    assert response.status_code == 302
    mine = fresh(mine)
    assert mine.state is S.DISCHARGED_WITHOUT_TREATMENT and mine.ended_on == TODAY
    assert mine.end_code == "50"
    assert "Discharged" in client.get("/care-pathway/").get_data(as_text=True)


def test_the_review_prompt_shows_on_the_episode_and_the_caseload(app, client, mine):
    from webapp.models import QuestionnaireResponse

    mine.state = S.IN_TREATMENT
    db.session.commit()
    for day, (phq9, gad7) in enumerate([(15, 12), (14, 11)]):
        appointment = make_appointment(
            mine.patient,
            mine.therapist,
            starts_at=datetime(2026, 3, 2, 10, tzinfo=UTC) + timedelta(days=7 * day),
            episode_id=mine.id,
            attendance_code="5",
            appointment_type="treatment",
            step_of_care="2",
        )
        for code, total in (("phq9", phq9), ("gad7", gad7)):
            db.session.add(
                QuestionnaireResponse(
                    patient_id=mine.patient_id,
                    appointment_id=appointment.id,
                    instrument=code,
                    instrument_version="1",
                    answers={},
                    completed_at=appointment.starts_at,
                    total=total,
                )
            )
    db.session.commit()
    app.config["REVIEW_AFTER_TREATMENT_SESSIONS"] = 2
    try:
        assert "Review suggested" in client.get(url(mine)).get_data(as_text=True)
        assert "Review suggested" in client.get("/care-pathway/").get_data(as_text=True)
    finally:
        app.config["REVIEW_AFTER_TREATMENT_SESSIONS"] = 6
    assert "Review suggested" not in client.get(url(mine)).get_data(as_text=True)


# --- the patient's view ----------------------------------------------------------------------


def test_a_patient_sees_their_state_in_plain_words(client):
    patient = make_patient()
    make_episode(patient=patient, state=S.IN_TREATMENT)
    sign_in(client, patient)
    page = client.get("/my/care").get_data(as_text=True)
    assert "You are having treatment." in page
    assert "What happens next" not in page


def test_after_discharge_a_patient_is_told_what_happens_next(client):
    patient = make_patient(access_ends_at=datetime(2030, 1, 1, tzinfo=UTC))
    make_episode(
        patient=patient,
        state=S.DISCHARGED,
        ended_on=date(2026, 3, 20),
        end_code="46",
        end_reason="Goals met",
    )
    sign_in(client, patient)
    page = client.get("/my/care").get_data(as_text=True)
    assert "Your treatment with us has ended." in page
    assert "self-help" in page and "community" in page and "1 January 2030" in page
    assert "refer yourself again" in page
    assert "Goals met" not in page  # the clinical reason stays with the clinicians
    # The privacy notice again at discharge (issue #13), with the date treatment ended.
    assert "Your information now your treatment has ended (20 March 2026)" in page
    assert "Read the privacy notice again" in page


def test_a_patient_without_an_episode_is_told_so(client, login_as):
    login_as(Role.PATIENT)
    assert "do not have a course of care" in client.get("/my/care").get_data(as_text=True)


def test_staff_cannot_open_the_patients_care_page(client, login_as):
    login_as(Role.THERAPIST)
    assert client.get("/my/care").status_code == 403


def test_a_finished_course_shows_its_outcome_waits_and_step_change(client, mine):
    from webapp.models import QuestionnaireResponse, StepChange

    course = [
        (0, "assessment", "2", 17, 13),
        (7, "treatment", "2", 12, 9),
        (21, "treatment", "3", 6, 4),
    ]
    for day, kind, step, phq9, gad7 in course:
        appointment = make_appointment(
            mine.patient,
            mine.therapist,
            starts_at=mine.opened_at + timedelta(days=day + 1),
            episode_id=mine.id,
            attendance_code="5",
            appointment_type=kind,
            step_of_care=step,
        )
        for code, total in (("phq9", phq9), ("gad7", gad7)):
            db.session.add(
                QuestionnaireResponse(
                    patient_id=mine.patient_id,
                    appointment_id=appointment.id,
                    instrument=code,
                    instrument_version="1",
                    answers={},
                    completed_at=appointment.starts_at,
                    total=total,
                )
            )
    db.session.add(
        StepChange(
            episode_id=mine.id,
            from_step="2",
            to_step="3",
            changed_on=(mine.opened_at + timedelta(days=10)).date(),
            reason="Step up",
        )
    )
    mine.state, mine.ended_on, mine.end_code, mine.end_reason = (
        S.DISCHARGED,
        (mine.opened_at + timedelta(days=25)).date(),
        "46",
        "Goals met",
    )
    db.session.commit()
    page = client.get(url(mine)).get_data(as_text=True)
    assert "Finished a course of treatment" in page and "Recovered: yes" in page
    assert "first 17, last 6" in page and "first 13, last 4" in page
    assert "14 days from the last step 2 session to the first step 3 session" in page
    assert "Mutually agreed completion of treatment" in page
    assert "Discharge</a>" not in page

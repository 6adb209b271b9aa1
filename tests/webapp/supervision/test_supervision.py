"""Supervision against a hand-built world: every figure per therapist and for the service, the
episodes behind them, who may see what (a therapist never sees another's patients or figures),
and the supervision meeting form."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text

from tests.conftest import sign_in, submit
from tests.factories import (
    give_credentials,
    make_appointment,
    make_episode,
    make_patient,
    make_therapist,
    make_user,
)
from webapp.extensions import db
from webapp.models import (
    AppointmentStatus,
    AuditEvent,
    CredentialKind,
    QuestionnaireResponse,
    RiskFlag,
    Role,
    SessionRating,
    SessionRecord,
    SupervisionCase,
    SupervisionMeeting,
    User,
)
from webapp.pathway import queries as pathway_queries
from webapp.pathway.episode import EpisodeState, needs_review
from webapp.retention.services import erase_patient
from webapp.supervision import figures as rules
from webapp.supervision import queries

NOW = datetime.now(UTC).replace(microsecond=0)
TODAY = NOW.date()
REVIEW_AFTER = 2


def context() -> queries.Context:
    return queries.Context(
        window=rules.window(TODAY, 3), now=NOW, review_after=REVIEW_AFTER, warning_days=30
    )


def _session(
    episode,
    therapist,
    days_ago: int,
    code: str,
    *,
    kind: str | None = "treatment",
    scores: tuple[int, int] | None = None,
    record: bool = True,
    late: bool = False,
):
    appointment = make_appointment(
        episode.patient,
        therapist,
        starts_at=NOW - timedelta(days=days_ago),
        status=AppointmentStatus.CLOSED,
        attendance_code=code,
        episode_id=episode.id,
        appointment_type=kind,
    )
    if scores is not None:
        for instrument, total in zip(("phq9", "gad7"), scores, strict=True):
            db.session.add(
                QuestionnaireResponse(
                    patient_id=episode.patient_id,
                    appointment_id=appointment.id,
                    instrument=instrument,
                    instrument_version="1",
                    answers={},
                    completed_at=appointment.starts_at,
                    total=total,
                )
            )
    if record and code in ("5", "6"):
        db.session.add(
            SessionRecord(
                appointment_id=appointment.id,
                therapist_id=therapist.id,
                clinical_notes="Notes.",
                therapy_type="cbt",
                step_of_care="2",
                contact_minutes=50,
                attendance_code=code,
                next_steps="Next.",
                is_late=late,
            )
        )
    db.session.commit()
    return appointment


def _flag(appointment, *, acknowledged: bool = False) -> None:
    response = QuestionnaireResponse(
        patient_id=appointment.patient_id,
        appointment_id=appointment.id,
        instrument="core10" if acknowledged else "cssrs",  # one response per instrument
        instrument_version="1",
        answers={"q9": 2},
    )
    db.session.add(response)
    db.session.flush()
    db.session.add(
        RiskFlag(
            appointment_id=appointment.id,
            patient_id=appointment.patient_id,
            response_id=response.id,
            code="core10_risk" if acknowledged else "phq9_item9",
            description="Thoughts of self-harm",
            acknowledged_at=NOW if acknowledged else None,
        )
    )
    db.session.commit()


def _rating(appointment, total: int) -> None:
    db.session.add(
        SessionRating(
            appointment_id=appointment.id,
            patient_id=appointment.patient_id,
            therapist_id=appointment.therapist_id,
            answers={"a": total},
            total=total,
            is_alliance_concern=total <= 36,
        )
    )
    db.session.commit()


@dataclass
class World:
    alice: User
    bob: User
    a_open: object
    a_recovered: object
    a_unchanged: object
    b_open: object


@pytest.fixture
def world() -> World:
    alice, bob = make_therapist(full_name="Alice Therapist"), make_therapist(full_name="Bob Other")
    give_credentials(alice)
    give_credentials(bob, skip=(CredentialKind.DBS,))
    names = iter(["Ann Open", "Ray Recovered", "Una Unchanged", "Bea Bobs"])

    def episode(therapist, state, **kwargs):
        return make_episode(make_patient(full_name=next(names)), therapist, state=state, **kwargs)

    a_open = episode(alice, EpisodeState.IN_TREATMENT)
    first = _session(a_open, alice, 20, "5", scores=(20, 15))
    _session(a_open, alice, 13, "5", scores=(19, 15), record=False)  # no record: missing
    _session(a_open, alice, 6, "3", kind=None)
    _session(a_open, alice, 3, "2", kind=None)
    _flag(first)
    _flag(first, acknowledged=True)
    _rating(first, 36)
    ended = TODAY - timedelta(days=5)
    a_recovered = episode(alice, EpisodeState.DISCHARGED, ended_on=ended, end_code="46")
    _session(a_recovered, alice, 40, "5", scores=(18, 14))
    _session(a_recovered, alice, 30, "5", scores=(12, 9))
    second = _session(a_recovered, alice, 20, "5", scores=(5, 4), late=True)
    _rating(second, 37)
    a_unchanged = episode(alice, EpisodeState.DISCHARGED, ended_on=ended, end_code="46")
    _session(a_unchanged, alice, 35, "5", scores=(15, 12))
    _session(a_unchanged, alice, 25, "5", scores=(14, 12))
    b_open = episode(bob, EpisodeState.IN_TREATMENT)
    bobs = _session(b_open, bob, 10, "5")
    _session(b_open, alice, 8, "5")  # Alice covered one of Bob's patient's sessions
    _session(b_open, bob, 5, "3", kind=None)
    _flag(bobs)
    _rating(bobs, 30)
    make_appointment(
        a_open.patient, alice, starts_at=NOW - timedelta(days=400), attendance_code="5"
    )  # long before the period: not counted
    return World(alice, bob, a_open, a_recovered, a_unchanged, b_open)


ALICE = {
    "caseload": 1,
    "sessions": 8,
    "dna": 1,
    "dna_base": 9,
    "cancelled": 1,
    "booked": 10,
    "finished": 2,
    "recovered": 1,
    "recovery_base": 2,
    "improved": 1,
    "no_improvement": 1,
    "risk_flags": 1,
    "low_ratings": 1,
    "late_records": 2,
    "credentials": 0,
}
BOB = {
    "caseload": 1,
    "sessions": 1,
    "dna": 1,
    "dna_base": 2,
    "cancelled": 0,
    "booked": 2,
    "finished": 0,
    "recovered": 0,
    "recovery_base": 0,
    "improved": 0,
    "no_improvement": 1,  # two treatment sessions and no scores at all
    "risk_flags": 1,
    "low_ratings": 1,
    "late_records": 0,
    "credentials": 1,  # no DBS check
}


def test_every_figure_per_therapist_and_for_the_service(world):
    counts = queries.counts(context())
    for therapist, expected in ((world.alice, ALICE), (world.bob, BOB)):
        found = counts[therapist.id]
        assert {key: found[key] for key in expected} == expected, therapist.full_name
    service = rules.total(counts.values())
    for key in ALICE:
        if key != "credentials":  # every active therapist's, the demo's none here
            assert service[key] == ALICE[key] + BOB[key], key
    assert counts[world.alice.id].rate("recovered").text == "50% (1 of 2)"
    assert counts[world.bob.id].rate("recovered").text == "No data"
    assert counts[world.alice.id].rate("dna").numerator == 1


def test_the_review_threshold_comes_from_the_setting(world):
    later = queries.Context(window=context().window, now=NOW, review_after=3, warning_days=30)
    assert queries.counts(later)[world.alice.id]["no_improvement"] == 0


def test_the_episodes_behind_each_figure(world):
    lead = make_user(Role.CLINICAL_LEAD)
    behind = queries.episodes_behind("sessions", context(), lead, world.alice.id)
    assert {line.episode.id: line.count for line in behind.lines} == {
        world.a_open.id: 2,
        world.a_recovered.id: 3,
        world.a_unchanged.id: 2,
        world.b_open.id: 1,
    }
    assert behind.not_shown == 0
    recovered = queries.episodes_behind("recovered", context(), lead, world.alice.id)
    assert [line.episode.id for line in recovered.lines] == [world.a_recovered.id]
    review = queries.episodes_behind("no_improvement", context(), lead, None)
    assert {line.episode.id for line in review.lines} == {world.a_open.id, world.b_open.id}
    late = queries.episodes_behind("late_records", context(), lead, world.alice.id)
    assert {line.episode.id for line in late.lines} == {world.a_open.id, world.a_recovered.id}


def test_a_therapist_is_never_shown_another_therapists_patient(world):
    for key in rules.EPISODE_FIGURES:
        for whose in (world.alice.id, None):
            behind = queries.episodes_behind(key, context(), world.alice, whose)
            assert all(line.episode.therapist_id == world.alice.id for line in behind.lines), key
    sessions = queries.episodes_behind("sessions", context(), world.alice, world.alice.id)
    assert sessions.not_shown == 1  # the covered session is counted, its patient not named


def _client_as(app, user):
    client = app.test_client()
    sign_in(client, user)
    return client


def test_a_therapist_sees_only_their_own_pages(app, world):
    client = _client_as(app, world.alice)
    home = client.get("/supervision/")
    assert home.status_code == 302 and home.location.endswith(f"/therapists/{world.alice.id}")
    page = client.get(f"/supervision/therapists/{world.alice.id}").get_data(as_text=True)
    assert "Your supervision figures" in page and "50% (1 of 2)" in page
    for key in rules.EPISODE_FIGURES:
        response = client.get(f"/supervision/therapists/{world.alice.id}/figures/{key}")
        assert response.status_code == 200, key
        assert "Bea Bobs" not in response.get_data(as_text=True), key
    for path in (
        f"/supervision/therapists/{world.bob.id}",
        f"/supervision/therapists/{world.bob.id}/figures/caseload",
        f"/supervision/therapists/{world.bob.id}/meetings",
    ):
        assert client.get(path).status_code == 404, path
    assert client.get("/supervision/service/figures/caseload").status_code == 403
    assert client.get(f"/supervision/therapists/{world.alice.id}/meetings/new").status_code == 403
    assert client.get(f"/supervision/therapists/{world.alice.id}/figures/nonsense").status_code == (
        404
    )


def test_the_clinical_lead_sees_the_service_and_every_therapist(app, world):
    client = _client_as(app, make_user(Role.CLINICAL_LEAD))
    page = client.get("/supervision/?months=1").get_data(as_text=True)
    assert "Alice Therapist" in page and "Bob Other" in page
    assert f"{TODAY:%B %Y}" in page
    figure = client.get(f"/supervision/therapists/{world.alice.id}/figures/sessions")
    assert "Bea Bobs" in figure.get_data(as_text=True)  # the lead may open every episode
    service = client.get("/supervision/service/figures/risk_flags").get_data(as_text=True)
    assert "Ann Open" in service and "Bea Bobs" in service
    assert client.get("/supervision/service/figures/credentials").status_code == 404


@pytest.mark.parametrize(
    "role", [Role.PATIENT, Role.MODERATOR, Role.COMMISSIONER, Role.ADMIN], ids=lambda r: r.value
)
def test_other_roles_are_refused(app, world, role):
    client = _client_as(app, make_patient() if role is Role.PATIENT else make_user(role))
    for path in (
        "/supervision/",
        f"/supervision/therapists/{world.alice.id}",
        f"/supervision/therapists/{world.alice.id}/figures/caseload",
        "/supervision/service/figures/caseload",
        f"/supervision/therapists/{world.alice.id}/meetings",
    ):
        assert client.get(path).status_code == 403, path


# --- supervision meetings -------------------------------------------------------------------


def _meeting_form(world, **changes):
    data = {
        "met_on": (TODAY - timedelta(days=2)).isoformat(),
        "supervisor_id": "",
        "cases": [str(world.a_open.id), str(world.a_recovered.id)],
        "agreed_actions": "Review the formulation.\nBring the scores.",
    }
    data.update(changes)
    return data


def test_the_lead_records_a_meeting_and_it_is_kept_encrypted(app, world):
    lead = make_user(Role.CLINICAL_LEAD)
    client = _client_as(app, lead)
    path = f"/supervision/therapists/{world.alice.id}/meetings/new"
    response = submit(client, path, _meeting_form(world, supervisor_id=str(lead.id)))
    assert response.status_code == 302
    meeting = db.session.scalar(select(SupervisionMeeting))
    assert meeting.therapist_id == world.alice.id and meeting.supervisor_id == lead.id
    assert {case.episode_id for case in meeting.cases} == {world.a_open.id, world.a_recovered.id}
    raw = db.session.execute(text("SELECT agreed_actions FROM supervision_meetings")).scalar()
    assert "formulation" not in raw
    assert db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "supervision.meeting_recorded")
    )
    listing = client.get(f"/supervision/therapists/{world.alice.id}/meetings")
    assert "Review the formulation." in listing.get_data(as_text=True)
    own = _client_as(app, world.alice).get(f"/supervision/therapists/{world.alice.id}")
    assert f"the last on {meeting.met_on:%-d %B %Y}" in own.get_data(as_text=True)
    page = client.get("/supervision/").get_data(as_text=True)
    assert "1 meeting, last on" in page


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"met_on": "tomorrow"}, "today or in the past"),
        ({"met_on": "2026-02-30"}, "Enter the date as year, month and day, like 2027-03-31"),
        ({"met_on": "31/12/2026"}, "Enter the date as year, month and day, like 2027-03-31"),
        ({"met_on": ""}, "Enter the date of the meeting"),
        ({"met_on": (TODAY - timedelta(days=400)).isoformat()}, "within the last year"),
        ({"cases": []}, "at least one case"),
        ({"cases": ["b_open"]}, "this therapist’s own episodes"),
        ({"cases": ["nonsense"]}, "this therapist’s own episodes"),
        ({"agreed_actions": "  "}, "Enter the actions agreed"),
        ({"agreed_actions": "x" * 5001}, "5,000 characters or fewer"),
        ({"supervisor_id": "alice"}, "Select the supervisor"),  # never offered for themself
        ({"supervisor_id": "999999"}, "Select the supervisor"),
    ],
)
def test_a_meeting_form_with_a_problem_is_refused_and_writes_nothing(app, world, changes, message):
    lead = make_user(Role.CLINICAL_LEAD)
    client = _client_as(app, lead)
    if changes.get("cases") == ["b_open"]:
        changes = {"cases": [str(world.b_open.id)]}
    if changes.get("supervisor_id") == "alice":
        changes = {"supervisor_id": str(world.alice.id)}
    if changes.get("met_on") == "tomorrow":  # from the clock now: a run may cross midnight
        changes = {"met_on": (datetime.now(UTC).date() + timedelta(days=1)).isoformat()}
    data = {"supervisor_id": str(lead.id), **changes}
    path = f"/supervision/therapists/{world.alice.id}/meetings/new"
    response = submit(client, path, _meeting_form(world, **data))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "There is a problem" in page
    assert message in page.replace("&#39;", "'")
    assert db.session.scalar(select(SupervisionMeeting)) is None


def test_the_demo_world_has_a_supervision_history(app):
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    meetings = list(db.session.scalars(select(SupervisionMeeting)))
    assert len({meeting.therapist_id for meeting in meetings}) == 2 and len(meetings) >= 4
    assert all(meeting.cases for meeting in meetings)
    for meeting in meetings:
        assert all(case.episode.therapist_id == meeting.therapist_id for case in meeting.cases)
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    assert len(list(db.session.scalars(select(SupervisionMeeting)))) == len(meetings)


def test_a_case_since_moved_to_another_therapist_is_not_named_to_the_first(app, world):
    lead = make_user(Role.CLINICAL_LEAD)
    submit(
        _client_as(app, lead),
        f"/supervision/therapists/{world.alice.id}/meetings/new",
        _meeting_form(world, supervisor_id=str(lead.id)),
    )
    moved = db.session.get(type(world.a_open), world.a_open.id)
    moved.therapist_id = world.bob.id
    db.session.commit()
    page = _client_as(app, world.alice).get(f"/supervision/therapists/{world.alice.id}/meetings")
    text_ = page.get_data(as_text=True)
    assert "Ann Open" not in text_ and "A case now with another therapist" in text_
    assert "Ray Recovered" in text_


def test_each_figure_agrees_with_the_list_behind_it(world):
    lead = make_user(Role.CLINICAL_LEAD)
    counts = queries.counts(context())
    for key in (*rules.EPISODE_FIGURES, *rules.DENOMINATORS.values()):
        for therapist in (world.alice, world.bob):
            behind = queries.episodes_behind(key, context(), lead, therapist.id)
            listed = sum(line.count for line in behind.lines) + behind.not_shown
            assert listed == counts[therapist.id][key], (key, therapist.full_name)


def test_a_long_list_is_paged(app, world, monkeypatch):
    monkeypatch.setattr(queries, "PAGE_SIZE", 2)
    lead = make_user(Role.CLINICAL_LEAD)
    first = queries.episodes_behind("sessions", context(), lead, world.alice.id)
    second = queries.episodes_behind("sessions", context(), lead, world.alice.id, page=2)
    assert (first.pages, first.episodes, len(first.lines), len(second.lines)) == (2, 4, 2, 2)
    assert {line.episode.id for line in first.lines}.isdisjoint(
        line.episode.id for line in second.lines
    )
    assert queries.episodes_behind("sessions", context(), lead, None, page=99).page == 2
    client = _client_as(app, lead)
    page = client.get(f"/supervision/therapists/{world.alice.id}/figures/sessions?page=2")
    text_ = page.get_data(as_text=True)
    assert "page 2 of 2" in text_ and "Previous" in text_
    assert client.get("/supervision/service/figures/sessions?page=x").status_code == 200


# One contact: days ago, attendance code, treatment or not, PHQ-9 and GAD-7 totals (or None).
contact = st.tuples(
    st.integers(1, 60),
    st.sampled_from(["5", "6", "3", "2"]),
    st.booleans(),
    st.one_of(st.none(), st.integers(0, 27)),
    st.one_of(st.none(), st.integers(0, 21)),
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(contacts=st.lists(contact, max_size=6, unique_by=lambda c: c[0]))
def test_no_reliable_improvement_in_sql_is_the_pathways_rule(contacts):
    """The SQL behind "no reliable improvement" agrees with `needs_review` on any episode."""
    therapist = make_therapist()
    episode = make_episode(make_patient(), therapist, state=EpisodeState.IN_TREATMENT)
    for days, code, treatment, phq9, gad7 in contacts:
        appointment = make_appointment(
            episode.patient,
            therapist,
            starts_at=NOW - timedelta(days=days),
            attendance_code=code,
            episode_id=episode.id,
            appointment_type="treatment" if treatment else "assessment",
        )
        for instrument, total in (("phq9", phq9), ("gad7", gad7)):
            if total is not None:
                db.session.add(
                    QuestionnaireResponse(
                        patient_id=episode.patient_id,
                        appointment_id=appointment.id,
                        instrument=instrument,
                        instrument_version="1",
                        answers={},
                        completed_at=appointment.starts_at,
                        total=total,
                    )
                )
        db.session.commit()
    expected = needs_review(pathway_queries.contacts_for(episode.id), after_sessions=REVIEW_AFTER)
    rows = queries.items("no_improvement", context()).subquery()
    found = db.session.scalar(select(func.count()).where(rows.c.episode_id == episode.id))
    assert bool(found) is expected


def test_erasing_a_patient_removes_them_from_the_cases_discussed(world):
    lead = make_user(Role.CLINICAL_LEAD)
    meeting = SupervisionMeeting(
        therapist_id=world.alice.id,
        supervisor_id=lead.id,
        met_on=TODAY,
        agreed_actions="Agreed.",
        cases=[
            SupervisionCase(episode_id=world.a_open.id),
            SupervisionCase(episode_id=world.a_recovered.id),
        ],
    )
    db.session.add(meeting)
    db.session.commit()
    erase_patient(world.a_open.patient_id, now=NOW)
    db.session.expire_all()
    kept = db.session.get(SupervisionMeeting, meeting.id)
    assert [case.episode_id for case in kept.cases] == [world.a_recovered.id]

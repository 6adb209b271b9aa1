"""The access-control matrix: every route, requested as every role and signed out, against the
demo world's records, which belong to other people.

The expectations below are written by hand, one line per route, so a new route fails here until
someone has decided who may use it. A refusal is 403 for a signed-in user and a trip to the
sign-in page (or 401/403 for a form post) for a signed-out one. Where a role may use a route,
another person's record is not found (404), unless the table says the role may see everyone's.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.conftest import CSRF_FIELD, sign_in
from tests.factories import make_patient, make_user
from webapp import models
from webapp.extensions import db
from webapp.models import Role

P, T, M, C, K, A = (
    Role.PATIENT,
    Role.THERAPIST,
    Role.MODERATOR,
    Role.CLINICAL_LEAD,
    Role.COMMISSIONER,
    Role.ADMIN,
)
EVERYONE = "everyone"  # public pages, signed in or not
SIGNED_IN = "signed in"  # any role, never signed out
UNUSED = "unused"  # switched off in this configuration (NHS login, the asset blueprint's own route)

# endpoint -> who may use it. Patients reach their own records only; a therapist their own
# patients; the clinical lead every clinical record; the commissioner aggregates only.
ACCESS: dict[str, Any] = {
    "public.index": EVERYONE,
    "public.accessibility": EVERYONE,
    "public.need_help_now": EVERYONE,
    "public.privacy": EVERYONE,
    "public.contact": EVERYONE,
    "public.health": EVERYONE,
    "public.home_for_role": EVERYONE,  # sends each role to its own home
    "static": EVERYONE,
    "nhsuk_assets.static": UNUSED,
    "auth.sign_in": EVERYONE,
    "auth.forgot_password": EVERYONE,
    "auth.reset_password": EVERYONE,  # the token is the key
    "auth.accept_invitation": EVERYONE,  # the token is the key
    "auth.second_factor": EVERYONE,  # only mid-sign-in; otherwise back to sign in
    "auth.set_up_two_factor": EVERYONE,  # only mid-sign-in
    "auth.nhs_login": UNUSED,
    "auth.nhs_login_callback": UNUSED,
    "auth.sign_out": SIGNED_IN,
    "auth.account": SIGNED_IN,
    "auth.recovery_codes": SIGNED_IN,
    "auth.new_recovery_codes": SIGNED_IN,
    "auth.session_time": SIGNED_IN,  # how long until the sign-out; 401 when signed out
    "auth.stay_signed_in": SIGNED_IN,
    "referral.start": EVERYONE,
    "referral.question": EVERYONE,
    "referral.cannot_refer": EVERYONE,
    "referral.check_answers": EVERYONE,
    "referral.sent": EVERYONE,
    "referral.refer_patient": EVERYONE,  # a practitioner outside the service refers
    "referral.patient_referred": EVERYONE,
    "referral.finish": EVERYONE,  # the token is the key
    "admin.audit_log": {A},
    "admin.users": {A},
    "admin.user": {A: 200},
    "admin.set_active": {A},
    "admin.reset_two_factor": {A},
    "admin.create_user": {A},
    "patient.home": {P},
    "patient.care": {P},
    "booking.appointments": {P},
    "booking.cancel": {P: 404},
    "booking.report_problem": {P: 404},
    "booking.reschedule": {P: 404},
    "booking.confirm_reschedule": {P: 404},
    "booking.therapists": {P},
    "booking.therapist": {P: 200},  # therapists' profiles are there to choose from
    "booking.book": {P},
    "booking.photo": {P, T, C},
    "measures.overview": {P: 404},
    "measures.question_page": {P: 404},
    "measures.experience": {P: 404},
    "measures.scores": {P},
    "measures.therapist_view": {T: 404, C: 404},  # (the lead: only an appointment with a flag)
    "measures.acknowledge": {T: 404, C: None},
    "safety_plan.show": {P},
    "safety_plan.edit": {P},
    "library.index": {P},
    "library.module": {P},
    "library.worksheet_list": {P},
    "library.worksheet": {P: 404},
    "library.delete_worksheet": {P: 404},
    "library.start_worksheet": {P},
    "community.index": {P},
    "community.house_rules": {P},
    "community.join": {P},
    "community.messages": {P},
    "community.report": {P},
    "community.support": {P},
    "community.space": {P},
    "community.new_thread": {P},
    "community.thread": {P},
    "groups.index": {P, T, C},
    "groups.new": {T, C},
    "groups.group": {P: 200, T: 404, C: 200},  # an open group is there for patients to join
    "groups.enrol": {P},
    "groups.accept": {P},
    "groups.leave": {P},
    "groups.invite": {T: 404, C: 200},  # the clinical lead oversees every group
    "groups.mute": {T: 404, C: 302},
    "groups.remove": {T: 404, C: 302},
    "groups.room_page": {P: 404, T: 404, C: 404},  # members and facilitators only
    "groups.attendance": {T: 404, C: 200},
    "groups.cancel_meeting": {T: 404, C: 200},  # the group's facilitators and the clinical lead
    "groups.move_meeting": {T: 404, C: 200},
    "groups.edit_group": {T: 404, C: 200},
    "voice.index": {P},
    "voice.consultation": {P},
    "voice.suggestions": {P},
    "voice.suggest": {P},
    "sessions.index": {P, T},
    "sessions.room_page": {P: 404, T: 404},
    "sessions.notes": {P: 404},
    "sessions.rating": {P: 404},
    "sessions.record": {T: 404},
    "sessions.transcript": {P: 404, T: 404},
    "therapy.dashboard": {T},
    "therapy.cancel": {T: 404},
    "therapy.record_outcome": {T: 404},
    "therapy.report_problem": {T: 404},
    "therapy.reschedule": {T: 404},
    "therapy.availability": {T},
    "therapy.add_exception": {T},
    "therapy.remove_exception": {T: 404},
    "therapy.add_weekly_hours": {T},
    "therapy.remove_weekly_hours": {T: 404},
    "therapy.outcomes": {T},
    "therapy.profile": {T},
    "therapy.upload_photo": {T},
    "referrals.queue": {C},  # the clinical lead triages (DOMAIN.md section 1)
    "referrals.referral": {T: 404, C: 200},  # a therapist reads only their own patients'
    "referrals.decide": {C: 200},
    "pathway.caseload": {T, C},
    "pathway.episode_page": {T: 404, C: 200},  # the clinical lead oversees every episode
    "pathway.code_appointment": {T: 404},
    "pathway.assessment": {T: 404},
    "pathway.discharge": {T: 404},
    "pathway.plan_ending": {T: 404},
    "pathway.change_state": {T: 404},
    "pathway.change_step": {T: 404},
    "supervision.index": {T, C},  # a therapist is sent to their own page
    "supervision.therapist_page": {T: 404, C: 200},  # another therapist's figures: not found
    "supervision.therapist_figure": {T: 404, C: 200},
    "supervision.service_figure": {C},
    "supervision.meetings": {T: 404, C: 200},
    "supervision.new_meeting": {C: 200},
    "clinical.dashboard": {C},
    "clinical.record_outcome": {C: 200},
    "clinical.credentials": {C},
    "clinical.disputes": {C},
    "clinical.dispute": {C},
    "clinical.cancel_booking": {C},
    "clinical.notifications": {C},
    "clinical.outcomes": {C},
    "clinical.patient_sessions": {C: 200},
    "clinical.record_credential": {C: 200},
    "moderation_console.dashboard": {M, C},
    "moderation_console.escalations": {C},
    "moderation_console.escalation": {C},
    "moderation_console.item": {M, C},
    "moderation_console.acknowledge": {M, C},
    "moderation_console.rota": {M, C},
    "moderation_console.mobile": {M, C},
    "moderation_console.remove_shift": {M, C},
    "moderation_console.community": {M, C},
    "moderation_console.community_thread": {M, C},
    "moderation_console.queue_for_review": {M, C},
    "moderation_console.watchwords": {M, C},
    "moderation_console.switch_watchword": {M, C},
    "moderation_console.new_watchword": {M, C},
    "records.index": {P},
    "records.choices": {P},
    "records.contact_details": {P},
    "records.close_account": {P},
    "records.download": {P},
    "records.printable": {P},
    "subject_access.index": {A, C},
    "subject_access.show": {A: 200, C: 200},
    "subject_access.complete": {A, C},
    "subject_access.export": {A, C},
    "subject_access.printable": {A, C},
    "subject_access.new": {A: 200, C: 200},
    "retention.index": {A},
    "retention.run": {A},
    "voice_console.index": {M, C},
    "voice_console.consultation": {M: 200, C: 200},
    "voice_console.close": {M, C},
    "voice_console.edit_consultation": {M, C},
    "voice_console.new_consultation": {M, C},
    "voice_console.suggestion": {M: 200, C: 200},
    "reports.index": {K, C, A},
    "reports.statement": {K},
    "reports.statement_csv": {K},
    "reports.statement_xlsx": {K},
    "reports.report_page": {K, C, A},
    "reports.report_csv": {K, C, A},
    "reports.report_print": {K, C, A},
    "reports.report_xlsx": {K, C, A},
    "reports.extracts_index": {C, A},  # record-level, pseudonymous: never the commissioner
    "reports.extract_csv": {C, A},
    "reports.extract_xlsx": {C, A},
}

IDENTITIES = [None, *Role]


def _first(column: Any) -> Any:
    return db.session.scalar(select(column).order_by(column).limit(1))


def _path_values() -> dict[str, Any]:
    """Ids of the demo world's records: none of them belong to the users the test signs in."""
    return {
        "appointment_id": _first(models.Appointment.id),
        "therapist_id": _first(models.TherapistProfile.user_id),
        "patient_id": _first(models.PatientProfile.user_id),
        "user_id": _first(models.PatientProfile.user_id),
        "referral_id": _first(models.Referral.id),
        "episode_id": _first(models.CareEpisode.id),
        "consultation_id": _first(models.Consultation.id),
        "suggestion_id": _first(models.Suggestion.id),
        "response_id": _first(models.ExperienceResponse.id) or 1,
        "flag_id": _first(models.RiskFlag.id) or 1,
        "worksheet_id": _first(models.SavedWorksheet.id),
        "exception_id": _first(models.AvailabilityException.id) or 1,
        "block_id": _first(models.WeeklyHours.id),
        "post_id": _first(models.Post.id),
        "space_id": _first(models.Space.id),
        "thread_id": _first(models.Thread.id),
        "item_id": _first(models.ModerationItem.id) or 1,
        "shift_id": _first(models.Shift.id) or 1,
        "failure_id": _first(models.TechnicalFailure.id) or 1,
        "request_id": _first(models.SubjectAccessRequest.id),
        "run_id": _first(models.RetentionRun.id) or 1,
        "group_id": _first(models.Group.id),
        "occurrence_id": _first(models.GroupOccurrence.id),
        "enrolment_id": _first(models.GroupEnrolment.id),
        "year": 2026,
        "month": 11,
        "code": "phq9",
        "page": 1,
        "kind": "monthly",
        "number": 11,
        "name": "sessions",
        "slug": "about-you",
        "token": "not-a-real-token-" + "x" * 20,
        "rule_key": "no-such-rule",
        "filename": "app.css",
    }


def _client_for(app: Flask, role: Role | None) -> tuple[FlaskClient, str | None]:
    client = app.test_client()
    if role is Role.PATIENT:
        sign_in(client, make_patient())
    elif role is not None:
        sign_in(client, make_user(role=role))
    page = client.get("/sign-in" if role is None else "/account")
    match = CSRF_FIELD.search(page.get_data(as_text=True))
    page.close()
    return client, match.group(1) if match else None


def _request(client: FlaskClient, rule: Any, path: str, token: str | None) -> Any:
    if "GET" in rule.methods:
        return client.get(path)
    return client.post(path, data={"csrf_token": token})


def _check(endpoint: str, role: Role | None, status: int, location: str) -> str | None:
    """What is wrong with this response, or None."""
    rule = ACCESS[endpoint]
    if status >= 500:
        return "server error"
    if rule in (EVERYONE, UNUSED):
        return "refused a public page" if status in (401, 403) else None
    allowed = role is not None and (rule == SIGNED_IN or role in rule)
    if not allowed:
        if role is None:
            if (status == 302 and "/sign-in" in location) or status in (401, 403):
                return None
            return f"signed out, got {status} {location}"
        return None if status == 403 else f"expected 403, got {status}"
    if status in (401, 403):
        return f"refused ({status}) a role that may use it"
    expected = rule.get(role) if isinstance(rule, dict) else None
    if expected is not None and status != expected:
        return f"another person's record: expected {expected}, got {status}"
    return None


def test_every_menu_link_is_to_a_page_its_role_may_use():
    from webapp.navigation import NAVIGATION

    for role, links in NAVIGATION.items():
        for endpoint, label in links:
            rule = ACCESS[endpoint]
            assert rule in (EVERYONE, SIGNED_IN) or role in rule, f"{role}: {label} ({endpoint})"


def test_every_route_has_a_decision_in_the_matrix(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - set(ACCESS) == set(), "decide who may use these routes"
    assert set(ACCESS) - endpoints == set(), "these routes are gone: remove them from ACCESS"


@pytest.mark.parametrize("role", IDENTITIES, ids=lambda r: r.value if r else "signed-out")
def test_every_route_as_every_role(app, role):
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    values = _path_values()
    client, token = _client_for(app, role)
    problems = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint == "auth.sign_out":
            continue  # signing out mid-walk would change who is asking; tested in auth
        path = re.sub(r"<(?:[^:>]+:)?(\w+)>", lambda match: str(values[match.group(1)]), rule.rule)
        response = _request(client, rule, path, token)
        problem = _check(rule.endpoint, role, response.status_code, response.location or "")
        response.close()
        if problem:
            problems.append(f"{rule.endpoint} {path}: {problem}")
    assert problems == []

"""The report's SQL against a month of known activity (April 2026), each figure computed by hand,
and the same episodes judged again by the pure national definitions."""

from __future__ import annotations

import pytest

from questionnaires.outcomes import classify_episode
from tests.factories import make_appointment, make_group_alert, make_therapist, make_user
from tests.webapp.groups.conftest import first_meeting, make_group
from tests.webapp.reports.builders import at
from webapp.extensions import db
from webapp.models import (
    ActivityEvent,
    CommunityMember,
    ItemKind,
    ModerationItem,
    Post,
    PostStatus,
    Role,
    Space,
    Thread,
)
from webapp.pathway.episode import (
    AppointmentType,
    first_and_last_scores,
    is_finished,
    treatment_sessions,
    waits,
)
from webapp.reports import aggregates
from webapp.reports import figures as f
from webapp.reports.definitions import Period

APRIL = Period.month(2026, 4)
ASSESSMENT = AppointmentType.ASSESSMENT
BOTH = AppointmentType.ASSESSMENT_AND_TREATMENT


def test_referrals_received_are_counted_by_source_and_refusals_apart(month):
    grouped = aggregates.referrals(APRIL)
    assert grouped.total("received") == 3
    assert grouped.by(f.SOURCE, "received")["Self-referral"] == 1
    assert grouped.by(f.SOURCE, "received")["GP"] == 2
    assert grouped.by(f.AGE_BAND, "received")["16 to 17"] == 1
    assert grouped.by(f.GENDER, "received")["Prefer not to say"] == 1
    assert grouped.by(f.HEARD, "received")["A poster or leaflet"] == 1
    assert grouped.total("sought_gp") == 1
    assert aggregates.refusals(APRIL) == {"under_16": 2}


def test_entering_treatment_counts_first_treatment_sessions_in_the_month(month):
    grouped, wait_first_attended = aggregates.entered(APRIL)
    # one_session (3 Apr), assessed (6 Apr: the 20 Mar assessment is not treatment), open (15 Apr)
    assert grouped.total("entered") == 3
    # referral to first attended appointment: 24 (10 Mar->3 Apr), 15 (5->20 Mar), 24 (1->25 Mar)
    assert wait_first_attended == 24


def test_finished_courses_recovery_and_reliable_change_by_hand(month):
    o, _ = aggregates.outcomes(APRIL)
    expected = {
        "ended": 7,  # every episode ended in April
        "one_session": 2,  # one_session, assessed
        "finished": 5,  # recovered, not_caseness, no_final_score, deteriorated, long_wait
        "paired": 4,  # all finished but no_final_score
        "not_caseness": 1,
        "recovery_denominator": 4,  # 5 finished - 1 not at caseness
        "recovered": 1,
        "improved": 2,  # recovered, not_caseness
        "deteriorated": 1,
        "reliably_recovered": 1,
        # received -> first treatment: recovered 27 days, not_caseness 19, no_final_score 20,
        # deteriorated 16, long_wait 151
        "within_6_weeks": 4,
        "within_18_weeks": 4,
        "stepped_up": 1,  # long_wait
    }
    assert {key: o.total(key) for key in expected} == expected
    assert o.by(f.GENDER, "recovered")["Male, including trans man"] == 1
    assert o.by(f.ETHNICITY, "finished") == {
        "White": 3,
        "Mixed": 0,
        "Asian": 1,
        "Black": 1,
        "Other": 0,
        "Not stated": 0,
        "Not answered": 0,
    }
    assert o.by(f.AGE_BAND, "finished")["65 and over"] == 1


def test_median_waits_and_mean_scores_over_finished_courses(month):
    # referral to first treatment: 16, 19, 20, 27, 151 -> 20
    # first to second treatment: 28 (recovered), 41, 35, 35, 32 -> 35
    assert aggregates.outcomes(APRIL)[1] == {
        "referral_to_first_treatment": 20,
        "first_to_second_treatment": 35,
        # mean first and last scores of the 4 paired finished courses
        "phq9_first": (15 + 8 + 10 + 12) / 4,
        "phq9_last": (5 + 2 + 17 + 11) / 4,
        "gad7_first": (12 + 6 + 8 + 9) / 4,
        "gad7_last": (4 + 1 + 9 + 9) / 4,
    }


def test_the_sql_agrees_with_the_pure_national_definitions(month):
    totals = dict.fromkeys(aggregates.OUTCOME_MEASURES, 0)
    for item in month.values():
        ended = item.row.ended_on
        if ended is None or not APRIL.start <= ended < APRIL.end:
            continue
        finished = is_finished(item.contacts, ended)
        first, last = first_and_last_scores(item.contacts)
        result = classify_episode(
            {k: int(v) for k, v in first.items()}, {k: int(v) for k, v in last.items()}, finished
        )
        wait = waits(item.referral.received_at, item.contacts).referral_to_first_treatment
        totals["ended"] += 1
        totals["one_session"] += len(treatment_sessions(item.contacts)) == 1
        totals["finished"] += finished
        totals["paired"] += finished and result.paired
        totals["not_caseness"] += finished and result.paired and not result.at_caseness_start
        totals["recovery_denominator"] += result.in_recovery_denominator
        totals["recovered"] += result.recovered
        totals["improved"] += result.reliable_improvement
        totals["deteriorated"] += result.reliable_deterioration
        totals["reliably_recovered"] += result.reliable_recovery
        totals["within_6_weeks"] += finished and wait is not None and wait <= 42
        totals["within_18_weeks"] += finished and wait is not None and wait <= 126
    sql, _ = aggregates.outcomes(APRIL)
    totals["stepped_up"] = sql.total("stepped_up")
    assert {key: sql.total(key) for key in totals} == totals


def test_attendance_dna_and_cancellations_by_code(month):
    by_code = aggregates.attendance(APRIL).by(f.ATTENDANCE, "appointments")
    assert by_code["Attended on time"] == 7
    assert by_code["Arrived late but seen"] == 1
    assert by_code["Did not attend without warning"] == 1
    assert by_code["Cancelled by or for the patient"] == 1
    assert by_code["Cancelled or postponed by the provider"] == 1
    assert by_code["Arrived late and not seen"] == 1


def test_take_up_counts_people_and_their_attended_sessions(month):
    profile, per_person, sessions = aggregates.take_up(APRIL)
    # attended in April: recovered, not_caseness, one_session, no_final_score, deteriorated,
    # long_wait, assessed (1 each) and open (1: 15 Apr late but seen)
    assert profile.total("people") == 8
    assert per_person == {1: 8}  # deteriorated's 8 April appointment was missed
    assert sessions == 8


def test_someone_with_more_than_six_attended_sessions_counts_every_one(month):
    """The distribution's last band is "6 or more"; the total is not rebuilt from it."""
    patient = make_user(Role.PATIENT)
    therapist = make_therapist()
    for day in range(1, 11):
        make_appointment(
            patient, therapist, starts_at=at(f"2026-06-{day:02d}", 9), attendance_code="5"
        )
    june = Period.month(2026, 6)
    _profile, per_person, sessions = aggregates.take_up(june)
    assert per_person == {6: 1} and sessions == 10
    built = aggregates.build(june, at("2026-07-02", 7))
    assert built.table("take_up").cell("Attended appointments", "value") == "10"


def test_charges_community_and_activity(month):
    assert sorted(aggregates.charges(APRIL)) == [(True, "attended", 1), (True, "patient_dna", 1)]
    member_user = make_user(Role.PATIENT)
    db.session.add(
        CommunityMember(
            user_id=member_user.id, handle="sunny", house_rules_accepted_at=at("2026-01-01")
        )
    )
    space = Space(title="Talk")
    db.session.add(space)
    db.session.flush()
    thread = Thread(
        space_id=space.id, author_id=member_user.id, title="Hello", created_at=at("2026-04-02")
    )
    db.session.add(thread)
    db.session.flush()
    posts = [
        Post(thread_id=thread.id, author_id=member_user.id, body="hi", status=PostStatus.VISIBLE,
             created_at=at("2026-04-02")),
        Post(thread_id=thread.id, author_id=member_user.id, body="help", status=PostStatus.HELD,
             created_at=at("2026-04-03"), is_clinical_risk=True),
        Post(thread_id=thread.id, author_id=member_user.id, body="old", status=PostStatus.VISIBLE,
             created_at=at("2026-03-03")),
    ]  # fmt: skip
    db.session.add_all(posts)
    db.session.flush()
    db.session.add_all(
        [
            ModerationItem(post_id=posts[1].id, kind=ItemKind.ALERT, is_clinical_risk=True,
                           created_at=at("2026-04-03"), acknowledged_at=at("2026-04-03", 10, 6),
                           escalations_sent=1),
            ModerationItem(post_id=posts[0].id, kind=ItemKind.HOLD, created_at=at("2026-04-02")),
        ]
    )  # fmt: skip
    # A group meeting's alert: an alert (acknowledged in 10 minutes), but no post held.
    meeting = first_meeting(make_group(make_user(Role.THERAPIST)))
    make_group_alert(
        meeting.id,
        member_user.id,
        created_at=at("2026-04-05"),
        acknowledged_at=at("2026-04-05", 10, 10),
    )
    for visitor, visit, day, hour, minute, section in (
        ("v1", "k1", "2026-04-06", 10, 0, "library"),
        ("v1", "k1", "2026-04-06", 10, 5, "library"),
        ("v1", "k1", "2026-04-06", 10, 20, "community"),
        ("v2", "k2", "2026-04-07", 11, 0, "patient"),
        ("v1", "k3", "2026-04-08", 12, 0, "library"),
        ("v1", "k3", "2026-04-08", 12, 10, "patient"),
    ):
        db.session.add(
            ActivityEvent(occurred_at=at(day, hour, minute), section=section, role="patient",
                          visitor_key=visitor, visit_key=visit,
                          module="worry-time" if section == "library" else None)
        )  # fmt: skip
    db.session.add(ActivityEvent(occurred_at=at("2026-04-09"), section="public"))
    db.session.add(ActivityEvent(occurred_at=at("2026-03-09"), section="public"))
    db.session.commit()

    community = aggregates.community(APRIL)
    assert community["posts"] == 2 and community["held"] == 2 and community["alerts"] == 2
    assert community["texted"] == 1 and community["acknowledged"] == 2
    assert community["median_minutes_to_acknowledge"] == pytest.approx(8)  # of 6 and 10
    activity = aggregates.activity(APRIL)
    assert activity["page_views"] == 7
    assert (activity["visits"], activity["visitors"], activity["members"]) == (3, 2, 2)
    assert activity["seconds"] == pytest.approx(30 * 60, abs=1)
    assert dict(activity["by_section"])["library"] == 3
    assert dict((tuple(r[:2]), r[2]) for r in activity["by_module"])[("library", "worry-time")] == 3

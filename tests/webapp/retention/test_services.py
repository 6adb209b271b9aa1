"""Applying the retention schedule removes exactly what is due, and says so in its report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests import factories
from tests.webapp.records.world import make_world
from webapp.extensions import db
from webapp.models import (
    AccountClosure,
    ActivityEvent,
    Appointment,
    AuditEvent,
    ChatMessage,
    CommunityMember,
    EscalationFollowUp,
    NotificationAttempt,
    NotificationChannel,
    NotificationKind,
    NotificationStatus,
    Post,
    QuestionnaireResponse,
    Referral,
    ReferralDraft,
    ReferralStatus,
    RetentionRun,
    SessionRecord,
    SubjectAccessRequest,
    TokenPurpose,
    User,
    UserToken,
)
from webapp.records import queries as records_queries
from webapp.retention import services

NOW = datetime.now(UTC).replace(microsecond=0)
SECOND = timedelta(seconds=1)


@pytest.fixture(autouse=True)
def context(app):
    with app.app_context():
        yield


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _items(run: RetentionRun) -> dict[str, int]:
    return {item.kind: item.count for item in run.items}


def test_each_kind_loses_what_is_older_than_its_period_and_keeps_the_boundary(app):
    patient = factories.make_patient()
    appointment = factories.make_appointment(patient)
    activity_cutoff = NOW - timedelta(days=app.config["ACTIVITY_RETENTION_DAYS"])
    db.session.add_all(
        [
            ActivityEvent(occurred_at=activity_cutoff - SECOND, section="library"),
            ActivityEvent(occurred_at=activity_cutoff, section="library"),  # exactly: kept
            UserToken(
                user_id=patient.id,
                purpose=TokenPurpose.PASSWORD_RESET,
                token_hash="a" * 64,
                expires_at=NOW - timedelta(days=31),
            ),
            UserToken(
                user_id=patient.id,
                purpose=TokenPurpose.PASSWORD_RESET,
                token_hash="b" * 64,
                expires_at=NOW - timedelta(days=29),
            ),
            ReferralDraft(key_hash="c" * 64, answers="{}", expires_at=NOW - SECOND),
            ReferralDraft(key_hash="d" * 64, answers="{}", expires_at=NOW + timedelta(hours=1)),
        ]
    )
    for kind, created, status in (
        (NotificationKind.CONFIRMATION, NOW - timedelta(days=800), NotificationStatus.SENT),
        (NotificationKind.REMINDER_24H, NOW - timedelta(days=700), NotificationStatus.SENT),
        (NotificationKind.REMINDER_1H, NOW - timedelta(days=800), NotificationStatus.SCHEDULED),
    ):
        db.session.add(
            NotificationAttempt(
                appointment_id=appointment.id,
                kind=kind,
                channel=NotificationChannel.EMAIL,
                status=status,
                send_at=created,
                created_at=created,
            )
        )
    old = NOW - timedelta(days=91)
    factories.make_referral(status=ReferralStatus.AWAITING_PATIENT, received_at=old)
    factories.make_referral(status=ReferralStatus.AWAITING_PATIENT, received_at=NOW)
    factories.make_referral(
        status=ReferralStatus.DECLINED, decided_at=NOW - timedelta(days=365 * 20 + 10)
    )
    factories.make_referral(status=ReferralStatus.SIGNPOSTED, decided_at=NOW - timedelta(days=10))
    for completed in (NOW - timedelta(days=3 * 366 + 1), NOW - timedelta(days=30)):
        db.session.add(
            SubjectAccessRequest(
                patient_id=patient.id,
                channel="email",
                requester="x",
                received_on=completed.date(),
                due_on=completed.date(),
                completed_at=completed,
            )
        )
    db.session.commit()
    before = {
        m: _count(m)
        for m in (
            ActivityEvent,
            UserToken,
            ReferralDraft,
            NotificationAttempt,
            Referral,
            SubjectAccessRequest,
        )
    }

    run = services.apply_schedule(now=NOW, trigger="command")

    assert _items(run) == {
        "clinical_records": 0,
        "decided_referrals": 1,
        "subject_access_requests": 1,
        "activity_events": 1,
        "notifications": 1,  # the scheduled one is still to be sent
        "unfinished_referrals": 1,
        "used_links": 1,
        "referral_drafts": 1,
    }
    after = {m: _count(m) for m in before}
    assert {m.__name__: before[m] - after[m] for m in before} == {
        "ActivityEvent": 1,
        "UserToken": 1,
        "ReferralDraft": 1,
        "NotificationAttempt": 1,
        "Referral": 2,
        "SubjectAccessRequest": 1,
    }
    assert run.finished_at is not None
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "retention.applied"))
    again = services.apply_schedule(now=NOW, trigger="command")
    assert set(_items(again).values()) == {0}, "a second run finds nothing more due"


def test_a_record_twenty_years_past_its_last_contact_is_erased_and_no_other(app):
    old = make_world("Alpha", starts_at=NOW - timedelta(days=365 * 21))
    old.created_at = NOW - timedelta(days=365 * 21 + 60)
    recent = make_world("Bravo", starts_at=NOW - timedelta(days=365 * 19))
    recent.created_at = NOW - timedelta(days=365 * 19 + 60)
    db.session.commit()
    audit_before = _count(AuditEvent)

    run = services.apply_schedule(now=NOW, trigger="command")

    assert _items(run)["clinical_records"] == 1
    db.session.expire_all()
    erased = db.session.get(User, old.id)
    assert erased.full_name == services.ERASED_NAME and "alpha" not in erased.email
    assert erased.is_active_account is False and erased.password_hash is None
    assert db.session.get(AccountClosure, old.id).erased_at == NOW
    for model, column in (
        (Appointment, Appointment.patient_id),
        (QuestionnaireResponse, QuestionnaireResponse.patient_id),
        (Referral, Referral.patient_id),
    ):
        assert (
            db.session.scalar(select(func.count()).select_from(model).where(column == old.id)) == 0
        )
    assert _count(AuditEvent) > audit_before, "the audit log is kept, and says it happened"
    # the clinical lead's follow-up notes about them go, on their kept posts' items too
    notes = [f.note for f in db.session.scalars(select(EscalationFollowUp))]
    assert notes == ["follow-up about Bravo", "follow-up about Bravo"]
    member = db.session.get(CommunityMember, old.id)
    assert member.handle.startswith("Former member")
    sections = records_queries.export_sections(old.id)
    # Community posts stay, as any closed account's do, under an anonymous handle.
    community = sections.pop("community")
    assert "handleAlpha" not in repr(community)
    assert "Alpha" not in repr(sections), "nothing else of the erased record is left"
    # The other patient's record is whole.
    assert db.session.get(User, recent.id).full_name == "Person Bravo"
    assert (
        db.session.scalar(
            select(SessionRecord).join(Appointment).where(Appointment.patient_id == recent.id)
        ).clinical_notes
        == "clinical note about Bravo"
    )
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(ChatMessage)
            .join(Appointment)
            .where(Appointment.patient_id == recent.id)
        )
        == 2
    )
    assert db.session.scalar(select(Post).where(Post.author_id == recent.id)).body == (
        "post body of Bravo"
    )


def test_an_open_care_episode_keeps_an_old_record(app):
    old = make_world("Alpha", starts_at=NOW - timedelta(days=365 * 21))
    old.created_at = NOW - timedelta(days=365 * 22)
    from webapp.models import CareEpisode

    episode = db.session.scalar(select(CareEpisode).where(CareEpisode.patient_id == old.id))
    episode.ended_on = None
    db.session.commit()
    run = services.apply_schedule(now=NOW, trigger="command")
    assert _items(run)["clinical_records"] == 0


def test_a_group_meeting_attended_recently_keeps_an_old_record(app):
    """A group meeting the patient was recorded at is a contact, as an appointment is."""
    from webapp.models import GroupAttendance, GroupOccurrence

    old = make_world("Alpha", starts_at=NOW - timedelta(days=365 * 21))
    old.created_at = NOW - timedelta(days=365 * 22)
    attended = db.session.scalar(
        select(GroupOccurrence)
        .join(GroupAttendance, GroupAttendance.occurrence_id == GroupOccurrence.id)
        .where(GroupAttendance.patient_id == old.id)
    )
    attended.starts_at = NOW - timedelta(days=365)
    attended.ends_at = attended.starts_at + timedelta(hours=1)
    db.session.commit()
    assert services.last_contact(old.id) == attended.starts_at
    run = services.apply_schedule(now=NOW, trigger="command")
    assert _items(run)["clinical_records"] == 0


@pytest.mark.parametrize("batch", [1, 2])
def test_deletion_goes_in_batches_and_counts_every_row(app, batch):
    app.config["RETENTION_BATCH"] = batch
    try:
        db.session.add_all(
            ActivityEvent(occurred_at=NOW - timedelta(days=500), section="x") for _ in range(5)
        )
        db.session.commit()
        assert (
            services.delete_in_batches(
                ActivityEvent, ActivityEvent.occurred_at < NOW - timedelta(days=450)
            )
            == 5
        )
    finally:
        app.config["RETENTION_BATCH"] = 500


def test_the_command_prints_the_report(app):
    result = app.test_cli_runner().invoke(args=["apply-retention"])
    assert result.exit_code == 0, result.output
    assert "activity_events: 0 deleted" in result.output


def test_every_table_tied_to_an_appointment_is_erased_with_it():
    """A new table pointing at appointments must be added to `erase_patient` (or this list)."""
    from webapp.models import Base

    tied = {
        table.name
        for table in Base.metadata.sorted_tables
        for key in table.foreign_keys
        if key.column.table.name == "appointments"
    }
    assert tied == {
        "appointments",  # rescheduled_to: cleared first
        "chat_messages",
        "attendance_events",
        "session_records",
        "session_record_versions",
        "patient_session_notes",
        "session_ratings",
        "risk_flags",
        "questionnaire_responses",
        "notification_attempts",
        "allowance_movements",
        "technical_failures",
    }


def test_the_nightly_job_applies_the_schedule_at_half_past_two():
    from webapp.retention.jobs import apply_retention_nightly

    assert apply_retention_nightly.s().validate_datetime(datetime(2026, 12, 7, 2, 30))  # noqa: DTZ001 - Huey's crontab reads wall-clock values
    assert not apply_retention_nightly.s().validate_datetime(datetime(2026, 12, 7, 3, 30))  # noqa: DTZ001
    apply_retention_nightly()
    run = db.session.scalar(select(RetentionRun).order_by(RetentionRun.id.desc()))
    assert run.trigger == "schedule" and run.finished_at is not None

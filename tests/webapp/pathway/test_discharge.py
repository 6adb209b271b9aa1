"""Discharge is refused while anything is left open: an end date after today, sessions still
booked, or a risk flag nobody has acknowledged. A refused discharge changes nothing. After
discharge the patient cannot book into nothing: booking says how to come back."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.conftest import submit
from tests.factories import (
    make_appointment,
    make_bookable_therapist,
    make_episode,
    make_referral,
    make_user,
)
from tests.webapp.booking.conftest import NOW
from webapp.booking import services as booking
from webapp.extensions import db
from webapp.models import (
    Appointment,
    AppointmentStatus,
    AuditEvent,
    CareEpisode,
    EpisodeChange,
    QuestionnaireResponse,
    RiskFlag,
    Role,
)
from webapp.pathway import queries, services
from webapp.pathway.episode import EpisodeState
from webapp.pathway.services import PathwayError
from webapp.referral import services as referral_services

S = EpisodeState


def raise_flag(appointment: Appointment, description: str = "PHQ-9 item 9 above 0") -> RiskFlag:
    response = QuestionnaireResponse(
        patient_id=appointment.patient_id,
        appointment_id=appointment.id,
        instrument="phq9",
        instrument_version="1",
        answers={},
        completed_at=appointment.starts_at - timedelta(hours=1),
        total=12,
    )
    db.session.add(response)
    db.session.flush()
    flag = RiskFlag(
        appointment_id=appointment.id,
        patient_id=appointment.patient_id,
        response_id=response.id,
        code="phq9_item9",
        description=description,
        raised_at=appointment.starts_at - timedelta(hours=1),
    )
    db.session.add(flag)
    db.session.commit()
    return flag


def snapshot(episode: CareEpisode) -> tuple[object, ...]:
    """Everything a discharge would change, so a refusal can be shown to change nothing."""
    db.session.expire_all()
    row = db.session.get(CareEpisode, episode.id)
    return (
        row.state,
        row.ended_on,
        row.end_code,
        row.end_reason,
        db.session.scalar(
            select(func.count())
            .select_from(EpisodeChange)
            .where(EpisodeChange.episode_id == row.id)
        ),
        db.session.scalar(select(func.count()).select_from(AuditEvent)),
    )


class TestTheService:
    pytestmark = pytest.mark.usefixtures("clock", "app_context")

    def discharge(self, episode: CareEpisode, *, ended_on: date, now: datetime = NOW) -> None:
        services.discharge(
            episode,
            "12",
            reason="Advice given",
            ended_on=ended_on,
            actor=episode.therapist,
            now=now,
        )

    def test_an_end_date_after_today_is_refused(self):
        episode = make_episode(state=S.ASSESSED)
        before = snapshot(episode)
        with pytest.raises(PathwayError, match="today or in the past"):
            self.discharge(episode, ended_on=date(2030, 6, 1))
        with pytest.raises(PathwayError, match="today or in the past"):
            self.discharge(episode, ended_on=NOW.date() + timedelta(days=1))
        assert snapshot(episode) == before

    def test_today_is_the_day_in_london_not_in_utc(self):
        # 23:30 UTC on 30 June is 00:30 on 1 July in London (summer time).
        late = datetime(2026, 6, 30, 23, 30, tzinfo=UTC)
        episode = make_episode(state=S.ASSESSED, opened_at=datetime(2026, 6, 1, tzinfo=UTC))
        with pytest.raises(PathwayError, match="today or in the past"):
            self.discharge(episode, ended_on=date(2026, 7, 2), now=late)
        self.discharge(episode, ended_on=date(2026, 7, 1), now=late)
        assert db.session.get(CareEpisode, episode.id).ended_on == date(2026, 7, 1)

    def test_sessions_still_booked_are_listed_and_refuse_the_discharge(self):
        episode = make_episode(state=S.ASSESSED)
        other = make_bookable_therapist(full_name="Dr Other Person")
        soon = make_appointment(
            episode.patient,
            episode.therapist,
            starts_at=datetime(2026, 3, 24, 10, tzinfo=UTC),
            episode_id=episode.id,
        )
        make_appointment(  # with another therapist, outside the episode (booked before the fix)
            episode.patient, other, starts_at=datetime(2026, 4, 7, 14, tzinfo=UTC)
        )
        make_appointment(  # past: not a future booking
            episode.patient,
            episode.therapist,
            starts_at=datetime(2026, 3, 10, 10, tzinfo=UTC),
            episode_id=episode.id,
            attendance_code="5",
        )
        make_appointment(  # cancelled: nothing left to cancel
            episode.patient,
            episode.therapist,
            starts_at=datetime(2026, 3, 30, 10, tzinfo=UTC),
            episode_id=episode.id,
            status=AppointmentStatus.CANCELLED,
            attendance_code="2",
        )
        before = snapshot(episode)
        with pytest.raises(PathwayError) as refused:
            self.discharge(episode, ended_on=date(2026, 3, 20))
        message = str(refused.value)
        assert "2 sessions are still booked" in message and "Cancel them" in message
        assert "Tuesday 24 March 2026, 10:00am (UK time)" in message
        assert "Tuesday 7 April 2026, 3:00pm (UK time) with Dr Other Person" in message
        assert "30 March" not in message and "10 March" not in message
        assert snapshot(episode) == before
        booking.cancel_appointment(soon.id, actor=episode.therapist, reason="Ending", now=NOW)
        with pytest.raises(PathwayError, match="1 session is still booked"):
            self.discharge(episode, ended_on=date(2026, 3, 20))

    def test_an_unacknowledged_risk_flag_refuses_the_discharge_and_is_named(self):
        episode = make_episode(state=S.ASSESSED)
        seen = make_appointment(
            episode.patient,
            episode.therapist,
            starts_at=datetime(2026, 3, 16, 10, tzinfo=UTC),
            episode_id=episode.id,
            attendance_code="5",
        )
        flag = raise_flag(seen, "Thoughts of being better off dead or of self-harm (PHQ-9 item 9)")
        before = snapshot(episode)
        with pytest.raises(PathwayError) as refused:
            self.discharge(episode, ended_on=date(2026, 3, 20))
        message = str(refused.value)
        assert "risk flag" in message and "acknowledge" in message.lower()
        assert "Thoughts of being better off dead or of self-harm (PHQ-9 item 9)" in message
        assert "Monday 16 March 2026" in message
        assert snapshot(episode) == before
        flag.acknowledged_at, flag.acknowledged_by_id = NOW, episode.therapist_id
        db.session.commit()
        self.discharge(episode, ended_on=date(2026, 3, 20))
        assert db.session.get(CareEpisode, episode.id).state is S.DISCHARGED_WITHOUT_TREATMENT

    def test_every_reason_to_refuse_is_given_at_once(self):
        episode = make_episode(state=S.ASSESSED)
        past = make_appointment(
            episode.patient,
            episode.therapist,
            starts_at=datetime(2026, 3, 16, 10, tzinfo=UTC),
            episode_id=episode.id,
            attendance_code="5",
        )
        raise_flag(past)
        make_appointment(
            episode.patient,
            episode.therapist,
            starts_at=datetime(2026, 3, 24, 10, tzinfo=UTC),
            episode_id=episode.id,
        )
        with pytest.raises(PathwayError) as refused:
            self.discharge(episode, ended_on=date(2026, 3, 20))
        assert len(refused.value.problems) == 2


class TestBookingAfterDischarge:
    pytestmark = pytest.mark.usefixtures("clock", "app_context")

    def test_a_discharged_patient_cannot_book_and_is_told_how_to_come_back(self, app):
        episode = make_episode(state=S.ASSESSED)
        services.discharge(
            episode,
            "12",
            reason="Advice given",
            ended_on=date(2026, 3, 20),
            actor=episode.therapist,
            now=NOW,
        )
        therapist = make_bookable_therapist()
        count = db.session.scalar(select(func.count()).select_from(Appointment))
        with pytest.raises(booking.BookingError) as refused:
            booking.book_appointment(
                episode.patient_id, therapist.id, NOW + timedelta(days=1, hours=2), now=NOW
            )
        assert "treatment with us has ended" in str(refused.value)
        assert "refer yourself again" in str(refused.value) and "GP" in str(refused.value)
        assert db.session.scalar(select(func.count()).select_from(Appointment)) == count

        # Referred again and accepted: a new episode, which the next booking joins.
        again = make_referral(email=episode.patient.email, received_at=NOW)
        with app.test_request_context():
            referral_services.add_to_existing_patient(  # the "same person" decision
                again, episode.patient_id, actor=make_user(Role.CLINICAL_LEAD), now=NOW
            )
        second = queries.open_episode_for_patient(episode.patient_id)
        appointment = booking.book_appointment(
            episode.patient_id, therapist.id, NOW + timedelta(days=1, hours=2), now=NOW
        )
        assert appointment.episode_id == second.id != episode.id


# --- the page --------------------------------------------------------------------------------


def url(episode: CareEpisode, suffix: str = "") -> str:
    return f"/care-pathway/episodes/{episode.id}{suffix}"


@pytest.fixture
def mine(client, login_as):
    therapist = login_as(Role.THERAPIST)
    return make_episode(therapist=therapist, state=S.ASSESSED)


def test_the_page_refuses_an_end_date_after_today_on_the_field(client, mine):
    tomorrow = datetime.now(UTC).date() + timedelta(days=2)
    before = snapshot(mine)
    page = submit(
        client,
        url(mine, "/discharge"),
        {"end_code": "12", "ended_on": tomorrow.isoformat(), "reason": "Advice given"},
    ).get_data(as_text=True)
    assert "There is a problem" in page
    assert 'href="#ended_on"' in page
    assert "The date of discharge must be today or in the past" in page
    assert snapshot(mine) == before


def test_the_page_lists_what_must_be_done_first(client, mine):
    starts = (datetime.now(UTC) + timedelta(days=3)).replace(
        hour=11, minute=0, second=0, microsecond=0
    )
    make_appointment(mine.patient, mine.therapist, starts_at=starts, episode_id=mine.id)
    before = snapshot(mine)
    page = submit(
        client,
        url(mine, "/discharge"),
        {"end_code": "12", "ended_on": datetime.now(UTC).date().isoformat(), "reason": "Done"},
    ).get_data(as_text=True)
    assert (
        "There is a problem" in page and "1 session is still booked" in page and "Cancel it" in page
    )
    assert snapshot(mine) == before

"""Rows for the report tests, inserted directly (the pathway's own services are not used), with
the same facts kept as pure `Contact`s so the tests can judge each episode by the national
definitions in Python and compare with the SQL."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from tests.factories import make_referral, make_therapist, make_user
from webapp.booking.slots import SESSION_LENGTH
from webapp.extensions import db
from webapp.models import (
    Appointment,
    AppointmentStatus,
    CareEpisode,
    QuestionnaireResponse,
    Referral,
    ReferralStatus,
    RefusalCount,
    Role,
    StepChange,
    User,
)
from webapp.pathway.episode import AppointmentType, Contact, EpisodeState


def at(day: date | str, hour: int = 10, minute: int = 0) -> datetime:
    if isinstance(day, str):
        day = date.fromisoformat(day)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


@dataclass
class Episode:
    row: CareEpisode
    referral: Referral
    patient: User
    therapist: User
    contacts: list[Contact] = field(default_factory=list)

    def contact(
        self,
        day: str,
        code: str = "5",
        kind: AppointmentType | None = AppointmentType.TREATMENT,
        *,
        phq9: int | None = None,
        gad7: int | None = None,
        charged: bool | None = None,
        charge_reason: str | None = None,
    ) -> Appointment:
        starts_at = at(day)
        appointment = Appointment(
            patient_id=self.patient.id,
            therapist_id=self.therapist.id,
            starts_at=starts_at,
            ends_at=starts_at + SESSION_LENGTH,
            status=AppointmentStatus.CLOSED if code != "0" else AppointmentStatus.BOOKED,
            attendance_code=code,
            episode_id=self.row.id,
            appointment_type=kind.value if kind else None,
            step_of_care="2",
            charged=charged,
            charge_reason=charge_reason,
        )
        db.session.add(appointment)
        db.session.flush()
        scores = {}
        for instrument, total in (("phq9", phq9), ("gad7", gad7)):
            if total is None:
                continue
            scores[instrument] = float(total)
            db.session.add(
                QuestionnaireResponse(
                    patient_id=self.patient.id,
                    appointment_id=appointment.id,
                    instrument=instrument,
                    instrument_version="1",
                    answers={},
                    completed_at=starts_at - timedelta(hours=1),
                    total=total,
                )
            )
        db.session.commit()
        self.contacts.append(Contact(starts_at, code, kind, scores))
        return appointment

    def end(self, day: str, code: str = "46") -> None:
        self.row.ended_on = date.fromisoformat(day)
        self.row.end_code = code
        self.row.state = EpisodeState.DISCHARGED
        db.session.commit()


def referral(received: str, **overrides: object) -> Referral:
    values: dict[str, object] = {"received_at": at(received, 9), "status": ReferralStatus.ACCEPTED}
    values.update(overrides)
    return make_referral(**values)


def episode(therapist: User, received: str, **overrides: object) -> Episode:
    patient = make_user(Role.PATIENT)
    row = referral(received, patient_id=patient.id, **overrides)
    care = CareEpisode(
        referral_id=row.id,
        patient_id=patient.id,
        therapist_id=therapist.id,
        state=EpisodeState.IN_TREATMENT,
        opened_at=at(received, 12),
        current_step="2",
    )
    db.session.add(care)
    db.session.commit()
    return Episode(care, row, patient, therapist)


def april() -> dict[str, Episode]:
    """Episodes ending or starting treatment in April 2026, and April's other activity."""
    therapist = make_therapist()
    e: dict[str, Episode] = {}

    # Recovered: at caseness, both measures below cut-off at the end, reliable falls on both.
    e["recovered"] = episode(therapist, "2026-01-05", gender="1", date_of_birth=date(1990, 6, 1))
    e["recovered"].contact("2026-02-01", kind=BOTH, phq9=15, gad7=12)
    e["recovered"].contact("2026-03-01", phq9=8, gad7=5)
    e["recovered"].contact("2026-04-01", phq9=5, gad7=4, charged=True, charge_reason="attended")
    e["recovered"].end("2026-04-10")

    # Not at caseness at the start: out of the recovery denominator, yet reliably improved.
    e["not_caseness"] = episode(therapist, "2026-02-01", ethnicity="N")
    e["not_caseness"].contact("2026-02-20", phq9=8, gad7=6)
    e["not_caseness"].contact("2026-04-02", phq9=2, gad7=1)
    e["not_caseness"].end("2026-04-12")

    # One treatment session only: ended, not finished.
    e["one_session"] = episode(therapist, "2026-03-10")
    e["one_session"].contact("2026-04-03", phq9=20, gad7=15)
    e["one_session"].end("2026-04-20", code="47")

    # No final score: finished, unpaired, so in the recovery denominator and not recovered.
    e["no_final_score"] = episode(therapist, "2026-02-10", ethnicity="H")
    e["no_final_score"].contact("2026-03-02", phq9=14, gad7=10)
    e["no_final_score"].contact("2026-04-06")
    e["no_final_score"].end("2026-04-15")

    # Deteriorated; the questionnaire before a missed appointment is not a score.
    e["deteriorated"] = episode(therapist, "2026-02-15")
    e["deteriorated"].contact("2026-03-03", phq9=10, gad7=8)
    e["deteriorated"].contact("2026-04-07", phq9=17, gad7=9)
    e["deteriorated"].contact("2026-04-08", code="3", phq9=2, gad7=2, charged=True,
                              charge_reason="patient_dna")  # fmt: skip
    e["deteriorated"].end("2026-04-21")

    # A long wait: 151 days to the first treatment session; still at caseness at the end.
    e["long_wait"] = episode(therapist, "2025-10-01", date_of_birth=date(1950, 1, 1))
    e["long_wait"].contact("2026-03-01", phq9=12, gad7=9)
    e["long_wait"].contact("2026-04-02", phq9=11, gad7=9)
    e["long_wait"].end("2026-04-25")
    db.session.add(
        StepChange(episode_id=e["long_wait"].row.id, from_step="2", to_step="3",
                   changed_on=date(2026, 3, 15))
    )  # fmt: skip

    # Assessment only then one treatment session: the assessment is not a treatment session.
    e["assessed"] = episode(therapist, "2026-03-05")
    e["assessed"].contact("2026-03-20", kind=ASSESSMENT, phq9=16, gad7=11)
    e["assessed"].contact("2026-04-06", phq9=12, gad7=9)
    e["assessed"].end("2026-04-28", code="48")

    # Open, entering treatment in April; a second session after April.
    e["open"] = episode(therapist, "2026-03-01")
    e["open"].contact("2026-03-25", kind=ASSESSMENT)
    e["open"].contact("2026-04-15", code="6")
    e["open"].contact("2026-04-16", code="2", kind=None)
    e["open"].contact("2026-04-17", code="4", kind=None)
    e["open"].contact("2026-04-18", code="7", kind=None)
    e["open"].contact("2026-05-02")

    # Ended in March: outside April.
    e["march"] = episode(therapist, "2025-12-01")
    e["march"].contact("2026-01-05", phq9=15, gad7=12)
    e["march"].contact("2026-02-05", phq9=3, gad7=2)
    e["march"].end("2026-03-31")

    # Referrals received in April with no episode yet, one aged 16.
    referral("2026-04-02", source_code="B1", date_of_birth=date(2009, 5, 1), heard_about="poster")
    referral("2026-04-03", source_code="A1", sought_help_gp=True)
    referral("2026-04-30", source_code="A1", gender="Z")
    referral("2026-05-01", source_code="A1")  # May
    db.session.add_all(
        [
            RefusalCount(day=date(2026, 4, 4), reason="under_16", source_code="B1", count=2),
            RefusalCount(day=date(2026, 3, 4), reason="under_16", source_code="B1", count=9),
        ]
    )
    db.session.commit()
    return e


ASSESSMENT = AppointmentType.ASSESSMENT
BOTH = AppointmentType.ASSESSMENT_AND_TREATMENT

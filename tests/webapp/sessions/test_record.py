"""The therapist's session record over time: an amendment keeps the earlier version and the
first saving time (so an on-time record stays on time), a save from a page that showed an
older version is refused and changes nothing, spaces are not a record, and the page says
only what applies about lateness."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.conftest import csrf_token
from tests.webapp.sessions.conftest import STARTS_AT
from webapp import london_datetime
from webapp.extensions import db
from webapp.models import Appointment, AuditEvent, SessionRecord, SessionRecordVersion
from webapp.sessions import services

RECORD = {
    "clinical_notes": "Worked on a sleep diary; mood a little better.",
    "therapy_type": "cbt",
    "appointment_type": "treatment",
    "step_of_care": "2",
    "contact_minutes": "50",
    "attendance_code": "5",
    "next_steps": "Keep the diary; review in a week.",
}
ON_TIME = STARTS_AT + timedelta(minutes=55)  # within the 10 minutes after the 50
NEXT_DAY = STARTS_AT + timedelta(days=1)
SHOWN = re.compile(
    r'name="version_shown"[^>]*value="([^"]*)"|value="([^"]*)"[^>]*name="version_shown"'
)


def record_url(pair) -> str:
    return f"/sessions/{pair.appointment.id}/record"


class Tab:
    """A record page as it was when opened: its CSRF token and the version it showed."""

    def __init__(self, client, path: str) -> None:
        self.client, self.path = client, path
        page = client.get(path).get_data(as_text=True)
        found = SHOWN.search(page)
        assert found, "the record form carries the version it shows"
        self.shown = found.group(1) if found.group(1) is not None else found.group(2)
        self.token = csrf_token(client, path)

    def save(self, **changes: str):
        data = {**RECORD, **changes, "version_shown": self.shown, "csrf_token": self.token}
        return self.client.post(self.path, data=data)


def the_record() -> SessionRecord:
    db.session.expire_all()
    record = db.session.scalar(select(SessionRecord))
    assert record is not None
    return record


def counts() -> tuple[int, int, int]:
    db.session.expire_all()
    return (
        db.session.scalar(select(func.count(SessionRecord.id))) or 0,
        db.session.scalar(select(func.count(SessionRecordVersion.id))) or 0,
        db.session.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.action.like("session.record%"))
        )
        or 0,
    )


def save_on_time(pair, **changes: str) -> None:
    pair.move_to(ON_TIME)
    assert Tab(pair.therapist_client, record_url(pair)).save(**changes).status_code == 302


# --- amendments keep history -------------------------------------------------------------------


def test_an_amendment_next_day_keeps_the_earlier_version_and_the_record_stays_on_time(pair):
    save_on_time(pair)
    pair.move_to(NEXT_DAY)
    response = Tab(pair.therapist_client, record_url(pair)).save(
        clinical_notes="Corrected: worked on a sleep diary and a worry log."
    )
    assert response.status_code == 302
    record = the_record()
    assert record.clinical_notes == "Corrected: worked on a sleep diary and a worry log."
    assert record.recorded_at == ON_TIME and not record.is_late  # as first recorded
    assert (record.version, record.amended_at, record.amended_by_id) == (
        2,
        NEXT_DAY,
        pair.therapist.id,
    )
    (earlier,) = db.session.scalars(select(SessionRecordVersion)).all()
    assert earlier.appointment_id == pair.appointment.id and earlier.version == 1
    assert earlier.clinical_notes == RECORD["clinical_notes"]
    assert earlier.next_steps == RECORD["next_steps"]
    assert (earlier.saved_at, earlier.saved_by_id) == (ON_TIME, pair.therapist.id)
    assert (earlier.replaced_at, earlier.replaced_by_id) == (NEXT_DAY, pair.therapist.id)
    assert earlier.appointment_type == "treatment" and earlier.attendance_code == "5"
    audit = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action.like("session.record%")).order_by(AuditEvent.id)
    ).all()
    assert [(a.action, a.detail) for a in audit] == [
        ("session.record_saved", {"late": False, "version": 1}),
        ("session.record_amended", {"late": False, "version": 2, "changed": ["clinical_notes"]}),
    ]
    page = pair.therapist_client.get(record_url(pair)).get_data(as_text=True)
    assert "Earlier versions" in page
    assert RECORD["clinical_notes"] in page  # the earlier note, on the page
    assert london_datetime(NEXT_DAY) in page and pair.therapist.full_name in page


def test_the_earlier_notes_are_encrypted_at_rest(pair):
    save_on_time(pair)
    pair.move_to(NEXT_DAY)
    Tab(pair.therapist_client, record_url(pair)).save(clinical_notes="A later note.")
    stored = db.session.execute(
        select(SessionRecordVersion.__table__.c.clinical_notes)
    ).scalar_one()
    raw = (
        db.session.connection()
        .exec_driver_sql("SELECT clinical_notes FROM session_record_versions")
        .scalar_one()
    )
    assert stored == RECORD["clinical_notes"] and RECORD["clinical_notes"] not in raw


def test_a_record_first_saved_late_stays_late_after_an_amendment(pair):
    pair.move_to(STARTS_AT + timedelta(minutes=75))
    Tab(pair.therapist_client, record_url(pair)).save()
    pair.move_to(NEXT_DAY)
    Tab(pair.therapist_client, record_url(pair)).save(next_steps="Review in two weeks.")
    record = the_record()
    assert record.is_late and record.recorded_at == STARTS_AT + timedelta(minutes=75)


def test_saving_the_same_record_again_makes_no_version(pair):
    save_on_time(pair)
    pair.move_to(NEXT_DAY)
    assert Tab(pair.therapist_client, record_url(pair)).save().status_code == 302
    assert counts() == (1, 0, 1)
    assert the_record().version == 1


# --- a page that showed an older version -------------------------------------------------------


def test_a_first_save_from_a_page_opened_before_another_save_is_refused(pair):
    pair.move_to(ON_TIME)
    first, second = (Tab(pair.therapist_client, record_url(pair)) for _ in range(2))
    assert first.save().status_code == 302
    before = counts()
    page = second.save(clinical_notes="Typed in the other tab.")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "There is a problem" in html
    assert f"{pair.therapist.full_name} saved this record at {london_datetime(ON_TIME)}" in html
    assert "Nothing was saved" in html
    assert "Typed in the other tab." in html  # what they typed is kept on the form
    assert counts() == before
    assert the_record().clinical_notes == RECORD["clinical_notes"]


def test_an_amendment_from_a_page_showing_an_older_version_is_refused_and_changes_nothing(pair):
    save_on_time(pair)
    pair.move_to(NEXT_DAY)
    old_tab = Tab(pair.therapist_client, record_url(pair))
    assert old_tab.shown == "1"
    later = NEXT_DAY + timedelta(minutes=20)
    pair.clock.move_to(later)  # the same sign-in (a fresh one would void the old tab's token)
    assert (
        Tab(pair.therapist_client, record_url(pair)).save(next_steps="Refer on.").status_code == 302
    )
    appointment = db.session.get(Appointment, pair.appointment.id)
    before = (counts(), appointment.attendance_code, appointment.outcome, appointment.charged)
    page = old_tab.save(clinical_notes="From the old tab.", attendance_code="3")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "There is a problem" in html
    assert f"{pair.therapist.full_name} changed this record at {london_datetime(later)}" in html
    assert "From the old tab." in html
    record = the_record()
    assert (record.version, record.next_steps, record.clinical_notes) == (
        2,
        "Refer on.",
        RECORD["clinical_notes"],
    )
    db.session.expire_all()
    appointment = db.session.get(Appointment, pair.appointment.id)
    after = (counts(), appointment.attendance_code, appointment.outcome, appointment.charged)
    assert after == before  # the charge was not touched either
    # The refused page now shows the version saved since, so saving from it is a knowing
    # amendment of that version (which is kept).
    assert SHOWN.search(html) and "2" in (SHOWN.search(html).groups())
    assert "Refer on." in html  # the version they would replace, shown to read


def test_a_save_with_no_version_from_the_page_is_refused_once_a_record_exists(pair):
    save_on_time(pair)
    pair.move_to(NEXT_DAY)
    token = csrf_token(pair.therapist_client, record_url(pair))
    for shown in ({}, {"version_shown": "x"}, {"version_shown": "0"}):
        page = pair.therapist_client.post(
            record_url(pair),
            data={**RECORD, "clinical_notes": "Other", "csrf_token": token, **shown},
        )
        assert page.status_code == 200 and "Nothing was saved" in page.get_data(as_text=True)
    assert counts() == (1, 0, 1) and the_record().clinical_notes == RECORD["clinical_notes"]


def test_the_service_refuses_a_stale_version_inside_its_transaction(app, pair):
    save_on_time(pair)
    with app.test_request_context():
        _save_stale(pair)
    assert the_record().version == 2


def _save_stale(pair) -> None:
    appointment = db.session.get(Appointment, pair.appointment.id)
    values = {**RECORD, "contact_minutes": 50, "clinical_notes": "Another"}
    for shown in ("", "2"):  # a page that showed no record, or a version that never was
        with pytest.raises(services.RecordChanged) as refused:
            services.save_record(appointment, pair.therapist, values, now=NEXT_DAY, shown=shown)
        assert refused.value.version == 1
    assert counts() == (1, 0, 1)
    services.save_record(appointment, pair.therapist, values, now=NEXT_DAY, shown="1")


# --- spaces are not a record -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "blank", "message"),
    [
        ("clinical_notes", "   ", "Enter brief clinical notes"),
        ("clinical_notes", "\n\t \r\n", "Enter brief clinical notes"),
        ("next_steps", "   ", "Enter the next steps"),
    ],
)
def test_spaces_only_text_is_refused_with_a_field_error_and_nothing_is_saved(
    pair, field, blank, message
):
    pair.move_to(ON_TIME)
    tab = Tab(pair.therapist_client, record_url(pair))
    before = db.session.get(Appointment, pair.appointment.id)
    coded = (before.attendance_code, before.outcome, before.appointment_type)
    page = tab.save(**{field: blank})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "There is a problem" in html
    assert f'href="#{field}"' in html and message in html
    assert counts() == (0, 0, 0)
    appointment = db.session.get(Appointment, pair.appointment.id)
    assert (appointment.attendance_code, appointment.outcome, appointment.appointment_type) == coded
    assert coded == ("0", None, None)  # still a future appointment's code, never coded


def test_an_amendment_to_spaces_is_refused_and_the_record_is_unchanged(pair):
    save_on_time(pair)
    pair.move_to(NEXT_DAY)
    page = Tab(pair.therapist_client, record_url(pair)).save(clinical_notes="  ", next_steps=" ")
    assert "Enter brief clinical notes" in page.get_data(as_text=True)
    assert counts() == (1, 0, 1) and the_record().clinical_notes == RECORD["clinical_notes"]


def test_the_service_checks_the_text_itself_and_saves_it_trimmed(app, pair):
    pair.move_to(ON_TIME)
    with app.test_request_context():
        _save_with_text(pair)
    assert the_record().next_steps == "Review."


def _save_with_text(pair) -> None:
    appointment = db.session.get(Appointment, pair.appointment.id)
    values = {**RECORD, "contact_minutes": 50}
    with pytest.raises(services.RecordRefused, match="Enter brief clinical notes") as refused:
        services.save_record(
            appointment,
            pair.therapist,
            {**values, "clinical_notes": " \n "},
            now=ON_TIME,
            shown="",
        )
    assert refused.value.field == "clinical_notes"
    assert counts() == (0, 0, 0)
    services.save_record(
        appointment, pair.therapist, {**values, "next_steps": "  Review.  "}, now=ON_TIME, shown=""
    )


# --- what the page says about lateness ---------------------------------------------------------


def test_the_page_says_marked_late_only_for_a_record_not_yet_saved_after_the_10_minutes(pair):
    pair.move_to(STARTS_AT + timedelta(minutes=75))
    assert "will be marked late" in pair.therapist_client.get(record_url(pair)).get_data(
        as_text=True
    )


def test_a_record_filed_on_time_is_not_said_to_be_late_when_amended_later(pair):
    save_on_time(pair)
    pair.move_to(NEXT_DAY)
    page = pair.therapist_client.get(record_url(pair)).get_data(as_text=True)
    assert "will be marked late" not in page
    assert f"First saved on {london_datetime(ON_TIME)}, on time." in page
    assert "An amendment does not make it late" in page


def test_a_late_record_says_so_when_amended(pair):
    pair.move_to(STARTS_AT + timedelta(minutes=75))
    Tab(pair.therapist_client, record_url(pair)).save()
    pair.move_to(NEXT_DAY)
    page = pair.therapist_client.get(record_url(pair)).get_data(as_text=True)
    assert "will be marked late" not in page
    first = london_datetime(STARTS_AT + timedelta(minutes=75))
    assert f"First saved on {first}, after the 10 minutes for the record." in page

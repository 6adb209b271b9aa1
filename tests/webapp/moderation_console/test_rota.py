"""The rota: shifts in UK time stored in UTC, the right role for each kind of shift, and the
clinical lead's on-call mobile."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from tests import factories
from tests.conftest import csrf_token
from webapp.extensions import db
from webapp.models import AuditEvent, Role, Shift, ShiftKind, StaffContact

PATH = "/moderation/rota"


def _add(client, **data):
    return client.post(PATH, data={"csrf_token": csrf_token(client, PATH), **data})


def test_a_shift_is_added_in_uk_time_and_stored_in_utc(signed_in):
    moderator = factories.make_user(Role.MODERATOR, full_name="Jo Rota")
    client = signed_in(moderator)
    response = _add(
        client,
        user_id=str(moderator.id),
        kind="moderator",
        starts_at="2030-07-01T09:00",
        ends_at="2030-07-01T17:00",
    )
    assert response.status_code == 302
    shift = db.session.scalar(select(Shift))
    assert shift.kind is ShiftKind.MODERATOR
    assert shift.starts_at == datetime(2030, 7, 1, 8, 0, tzinfo=UTC)  # BST is UTC+1


def test_a_shift_for_the_wrong_role_or_backwards_is_refused_and_kept(signed_in):
    moderator = factories.make_user(Role.MODERATOR)
    client = signed_in(moderator)
    page = _add(
        client,
        user_id=str(moderator.id),
        kind="clinical_on_call",
        starts_at="2030-07-01T09:00",
        ends_at="2030-07-01T17:00",
    )
    assert "a clinical lead for on-call" in page.get_data(as_text=True)
    page = _add(
        client,
        user_id=str(moderator.id),
        kind="moderator",
        starts_at="2030-07-01T17:00",
        ends_at="2030-07-01T09:00",
    )
    text = page.get_data(as_text=True)
    assert "must end after it starts" in text and "2030-07-01T17:00" in text
    assert db.session.scalar(select(Shift)) is None


def test_the_clinical_lead_saves_an_on_call_mobile(signed_in):
    lead = factories.make_user(Role.CLINICAL_LEAD)
    client = signed_in(lead)
    client.post(f"{PATH}/mobile", data={"csrf_token": csrf_token(client, PATH), "mobile": "07700"})
    assert db.session.get(StaffContact, lead.id) is None
    client.post(
        f"{PATH}/mobile", data={"csrf_token": csrf_token(client, PATH), "mobile": "+447700900555"}
    )
    assert db.session.get(StaffContact, lead.id).mobile_e164 == "+447700900555"


def _shift(client, person, kind="moderator", starts="2030-07-01T09:00", ends="2030-07-01T17:00"):
    return _add(client, user_id=str(person.id), kind=kind, starts_at=starts, ends_at=ends)


def test_past_overlapping_too_long_and_skipped_times_are_refused_and_nothing_added(signed_in):
    moderator = factories.make_user(Role.MODERATOR, full_name="Jo Rota")
    client = signed_in(moderator)
    assert _shift(client, moderator).status_code == 302
    for starts, ends, message in (
        ("2020-01-01T09:00", "2020-01-01T17:00", "That shift is already over"),
        ("2030-07-01T16:00", "2030-07-01T20:00", "Jo Rota already has a moderator shift then"),
        ("2030-07-02T09:00", "2030-07-03T10:00", "can last at most 24 hours"),
        ("2030-03-31T01:30", "2030-03-31T03:00", "That time does not exist in the UK"),
    ):
        page = _shift(client, moderator, starts=starts, ends=ends)
        text = page.get_data(as_text=True)
        assert page.status_code == 200 and message in text, message
        assert starts in text  # what was typed is kept
    assert len(db.session.scalars(select(Shift)).all()) == 1
    lead = factories.make_user(Role.CLINICAL_LEAD)
    weekend = _shift(
        client, lead, kind="clinical_on_call", starts="2030-07-05T17:00", ends="2030-07-08T09:00"
    )
    assert weekend.status_code == 302  # on-call may cover a weekend


def test_a_shift_to_come_is_removed_and_one_under_way_ends_now(signed_in):
    moderator = factories.make_user(Role.MODERATOR)
    client = signed_in(moderator)
    now = datetime.now(UTC)
    under_way = Shift(
        user_id=moderator.id,
        kind=ShiftKind.MODERATOR,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=3),
    )
    to_come = Shift(
        user_id=moderator.id,
        kind=ShiftKind.MODERATOR,
        starts_at=now + timedelta(days=1),
        ends_at=now + timedelta(days=1, hours=8),
    )
    db.session.add_all([under_way, to_come])
    db.session.commit()
    page = client.get(PATH).get_data(as_text=True)
    assert ">End now<" in page and ">Remove<" in page
    for shift in (to_come, under_way):
        path = f"{PATH}/shifts/{shift.id}/remove"
        response = client.post(path, data={"csrf_token": csrf_token(client, PATH)})
        assert response.status_code == 302
    db.session.expire_all()
    (left,) = db.session.scalars(select(Shift)).all()
    assert left.id == under_way.id and left.ends_at <= datetime.now(UTC)
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.action == "moderation.shift_removed")
    ).all()
    assert len(actions) == 2
    again = client.post(
        f"{PATH}/shifts/{under_way.id}/remove", data={"csrf_token": csrf_token(client, PATH)}
    )
    assert "That shift is over" in client.get(again.location).get_data(as_text=True)


def test_a_uk_mobile_is_taken_as_typed_and_a_bad_one_is_shown_on_its_field(signed_in):
    lead = factories.make_user(Role.CLINICAL_LEAD)
    client = signed_in(lead)
    page = client.post(
        f"{PATH}/mobile", data={"csrf_token": csrf_token(client, PATH), "mobile": "01632 960000"}
    )
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Enter a UK mobile number" in text
    assert 'value="01632 960000"' in text and "nhsuk-error-summary" in text
    client.post(
        f"{PATH}/mobile", data={"csrf_token": csrf_token(client, PATH), "mobile": "07700 900 555"}
    )
    assert db.session.get(StaffContact, lead.id).mobile_e164 == "+447700900555"

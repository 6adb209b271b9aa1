"""The rota: shifts in UK time stored in UTC, the right role for each kind of shift, and the
clinical lead's on-call mobile."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from tests import factories
from tests.conftest import csrf_token
from webapp.extensions import db
from webapp.models import Role, Shift, ShiftKind, StaffContact

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

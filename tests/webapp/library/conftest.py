"""Patients with and without a current access period."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from tests import factories
from tests.conftest import sign_in
from webapp.extensions import db
from webapp.models import PatientProfile, Role, User


def give_access(user: User, *, starts: timedelta, ends: timedelta) -> PatientProfile:
    """A profile whose access period runs from now+starts to now+ends."""
    now = datetime.now(UTC)
    profile = PatientProfile(
        user_id=user.id,
        date_of_birth=date(1990, 5, 17),
        postcode="LS1 4AP",
        access_starts_at=now + starts,
        access_ends_at=now + ends,
    )
    db.session.add(profile)
    db.session.commit()
    return profile


def make_patient_with_access(**kwargs) -> User:
    patient = factories.make_user(Role.PATIENT, **kwargs)
    give_access(patient, starts=-timedelta(days=10), ends=timedelta(days=355))
    return patient


@pytest.fixture
def patient(client) -> User:
    """A patient in their access period, signed in."""
    user = make_patient_with_access()
    sign_in(client, user)
    return user

"""The admin sees the schedule and each run's report; nobody else does."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from webapp.models import Role
from webapp.retention import services


def test_the_admin_sees_the_schedule_and_a_runs_report(app, client, login_as):
    login_as(Role.ADMIN)
    with app.app_context():
        run = services.apply_schedule(now=datetime.now(UTC), trigger="command")
    page = client.get("/admin/retention").get_data(as_text=True)
    assert "Records Management Code of Practice 2021" in page and "20 years" in page
    report = client.get(f"/admin/retention/runs/{run.id}")
    assert report.status_code == 200
    assert "Activity tracking" in report.get_data(as_text=True)
    assert client.get("/admin/retention/runs/999999").status_code == 404


@pytest.mark.parametrize(
    "role",
    [Role.PATIENT, Role.THERAPIST, Role.MODERATOR, Role.CLINICAL_LEAD, Role.COMMISSIONER],
)
def test_others_are_refused(client, login_as, role):
    login_as(role)
    assert client.get("/admin/retention").status_code == 403

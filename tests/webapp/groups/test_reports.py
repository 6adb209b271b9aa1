"""Group sessions in the monthly report (delivered, members per session) and in the dataset
extract (one row per member's group contact, pseudonymous)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from tests import factories
from tests.webapp.groups.conftest import STARTS_AT
from tests.webapp.sessions.conftest import fast_sign_in
from webapp.groups import services
from webapp.models import Role
from webapp.reports import aggregates
from webapp.reports.definitions import Period

JUNE = Period.month(2029, 6)


@pytest.fixture
def recorded(app, world):
    """The first two meetings recorded: the first delivered (two attended), the second not."""
    with app.app_context():
        ids = [m.id for m in world.members]
        services.record_attendance(
            world.facilitator,
            world.meeting,
            {ids[0]: "5", ids[1]: "6", ids[2]: "3"},
            now=STARTS_AT + timedelta(hours=1),
        )
        second = services.queries.occurrences(world.group.id)[1]
        services.record_attendance(
            world.facilitator, second, {i: "2" for i in ids}, now=STARTS_AT + timedelta(days=8)
        )
    return world


def test_the_monthly_report_counts_delivered_group_sessions_and_members(app, recorded):
    with app.app_context():
        assert aggregates.groups(JUNE) == {"delivered": 1, "members": 2}
        assert aggregates.groups(Period.month(2029, 7)) == {"delivered": 0, "members": 0}
        built = aggregates.build(JUNE, STARTS_AT + timedelta(days=40))
    table = built.table("group_sessions")
    assert table.cell("Group sessions delivered", "value") == "*"  # 1: suppressed
    assert table.cell("Members per group session (mean)", "value") == "*"


def test_the_extract_has_a_pseudonymous_row_per_group_contact(app, recorded):
    client = app.test_client()
    fast_sign_in(client, factories.make_user(Role.CLINICAL_LEAD))
    response = client.get("/reports/extracts/2029/6/group-contacts/csv")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(body)))
    assert sorted(r["attendance_code"] for r in rows) == ["2", "2", "2", "3", "5", "6"]
    assert {r["contact_minutes"] for r in rows} == {"60"}
    assert sorted(r["group_session_delivered"] for r in rows) == ["N", "N", "N", "Y", "Y", "Y"]
    assert "Realname" not in body and "calm-river" not in body


def test_the_commissioners_statement_counts_delivered_group_sessions_once(app, recorded):
    from webapp.reports import queries
    from webapp.reports.statement import table

    commissioner = factories.make_user(Role.COMMISSIONER)
    with app.app_context():
        statement = queries.statement(commissioner.id, 2029, 6)
    rate = app.config["GROUP_SESSION_RATE_PENCE"]
    assert (statement.group_sessions, statement.group_pence) == (1, rate)
    assert ["Group sessions delivered (charged)", "", 1] in table(statement)
    client = app.test_client()
    fast_sign_in(client, commissioner)
    page = client.get("/reports/statements/2029/6").get_data(as_text=True)
    assert f"1 (£{rate / 100:.2f})" in page

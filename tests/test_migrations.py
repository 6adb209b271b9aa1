"""Migrations: numbered in order, HEAD says the newest, and upgrading an empty database
gives exactly the models' schema (on SQLite, and on PostgreSQL in the PostgreSQL run)."""

from __future__ import annotations

import os
import re

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from webapp.config import normalise_database_url
from webapp.extensions import make_engine
from webapp.migrate import MIGRATIONS_DIR, alembic_config, head_revision, upgrade
from webapp.models import Base

VERSIONS = sorted((MIGRATIONS_DIR / "versions").glob("*.py"))


def test_migrations_are_numbered_in_order_with_head_last():
    numbers = [path.name[:4] for path in VERSIONS]
    assert all(re.fullmatch(r"\d{4}_[a-z0-9_]+\.py", path.name) for path in VERSIONS)
    assert numbers == [f"{n:04d}" for n in range(1, len(VERSIONS) + 1)]
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert script.get_heads() == [head_revision()] == [numbers[-1]]
    for path in VERSIONS:
        revision = script.get_revision(path.name[:4])
        expected_down = None if path.name[:4] == "0001" else f"{int(path.name[:4]) - 1:04d}"
        assert revision.down_revision == expected_down


@pytest.fixture
def empty_database_url(tmp_path):
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    url = normalise_database_url(url)
    schema = f"migrations_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    admin = make_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    yield f"{url}?options=-csearch_path%3D{schema}"
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


def test_upgrading_an_empty_database_gives_the_models_schema(empty_database_url):
    upgrade(empty_database_url)
    engine = make_engine(empty_database_url)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert differences == []


def test_the_audit_log_refuses_updates_and_deletes_in_the_database(empty_database_url):
    upgrade(empty_database_url)
    engine = make_engine(empty_database_url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO audit_events (occurred_at, action, detail) "
                "VALUES (CURRENT_TIMESTAMP, 'test.event', '{}')"
            )
        )
    for statement in ("UPDATE audit_events SET action = 'changed'", "DELETE FROM audit_events"):
        with pytest.raises(Exception, match="append-only"), engine.begin() as connection:
            connection.execute(text(statement))
    engine.dispose()


def test_session_records_step_of_care_becomes_the_national_code(empty_database_url):
    """0020: "step2"/"step3" (what the record form stored) become "2"/"3", and back on a
    downgrade. (Rows written straight in, foreign keys unchecked: only the column matters.)"""
    upgrade(empty_database_url, "0019")
    engine = make_engine(empty_database_url)
    postgres = engine.dialect.name == "postgresql"
    raw = engine.raw_connection()  # (SQLite's pragma only takes outside a transaction)
    cursor = raw.cursor()
    cursor.execute(
        "SET session_replication_role = replica" if postgres else "PRAGMA foreign_keys=OFF"
    )
    cursor.execute(
        "INSERT INTO session_records (id, appointment_id, therapist_id, clinical_notes,"
        " therapy_type, step_of_care, contact_minutes, attendance_code, next_steps, recorded_at,"
        " is_late) VALUES"
        " (1, 1, 1, 'x', 'cbt', 'step2', 50, '5', 'x', CURRENT_TIMESTAMP, false),"
        " (2, 2, 1, 'x', 'cbt', 'step3', 50, '5', 'x', CURRENT_TIMESTAMP, false),"
        " (3, 3, 1, 'x', 'cbt', 'step2', 50, '5', 'x', CURRENT_TIMESTAMP, false)"
    )
    cursor.execute("RESET session_replication_role" if postgres else "PRAGMA foreign_keys=ON")
    raw.commit()
    raw.close()
    steps = "SELECT step_of_care FROM session_records ORDER BY id"
    upgrade(empty_database_url, "0020")
    with engine.connect() as connection:
        assert connection.execute(text(steps)).scalars().all() == ["2", "3", "2"]
    command.downgrade(alembic_config(empty_database_url), "0019")
    with engine.connect() as connection:
        assert connection.execute(text(steps)).scalars().all() == ["step2", "step3", "step2"]
    engine.dispose()


def _insert_without_keys(engine, *statements: str) -> None:
    """Rows for a migration to work on, without the rows their foreign keys name."""
    postgres = engine.dialect.name == "postgresql"
    raw = engine.raw_connection()
    cursor = raw.cursor()
    cursor.execute(
        "SET session_replication_role = replica" if postgres else "PRAGMA foreign_keys=OFF"
    )
    for statement in statements:
        cursor.execute(statement)
    cursor.execute("RESET session_replication_role" if postgres else "PRAGMA foreign_keys=ON")
    raw.commit()
    raw.close()


def test_closed_accounts_give_up_the_group_places_they_still_held(empty_database_url):
    """0021: places, waits, offers and invitations of accounts already closed become "left";
    open accounts' places, and places already given up, are as they were."""
    upgrade(empty_database_url, "0020")
    engine = make_engine(empty_database_url)
    _insert_without_keys(
        engine,
        "INSERT INTO users (id, email, full_name, role, is_active_account, session_token,"
        " created_at, failed_sign_ins) VALUES"
        " (1, 'open@example.org', 'Open', 'patient', true, 'a', CURRENT_TIMESTAMP, 0),"
        " (2, 'closed@example.org', 'Closed', 'patient', false, 'b', CURRENT_TIMESTAMP, 0)",
        "INSERT INTO group_enrolments (id, group_id, patient_id, status, requested_at,"
        " changed_at, is_muted) VALUES"
        " (1, 1, 1, 'enrolled', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, false),"
        " (2, 1, 2, 'enrolled', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, false),"
        " (3, 2, 2, 'waiting', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, false),"
        " (4, 3, 2, 'removed', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, false)",
    )
    upgrade(empty_database_url, "0021")
    with engine.connect() as connection:
        statuses = connection.execute(text("SELECT status FROM group_enrolments ORDER BY id"))
        assert statuses.scalars().all() == ["enrolled", "left", "left", "removed"]
    engine.dispose()


def test_attendance_recorded_before_instances_keeps_no_instance(empty_database_url):
    """0022: events already recorded have no instance (read as before); new ones may name one,
    and the instances' lives have a table; down again, both go."""
    upgrade(empty_database_url, "0021")
    engine = make_engine(empty_database_url)
    _insert_without_keys(
        engine,
        "INSERT INTO attendance_events (id, appointment_id, user_id, party, kind, connection, at)"
        " VALUES (1, 1, 1, 'patient', 'join', 'sid-1', CURRENT_TIMESTAMP)",
    )
    upgrade(empty_database_url, "0022")
    with engine.begin() as connection:
        assert connection.execute(text("SELECT instance FROM attendance_events")).all() == [(None,)]
        connection.execute(
            text(
                "INSERT INTO server_instances (id, host, started_at, beat_at)"
                " VALUES ('abc', 'web-1', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
        # (the event's appointment and user were never made: SQLite's copy of the table on
        # the way down checks its keys)
        connection.execute(text("DELETE FROM attendance_events"))
    command.downgrade(alembic_config(empty_database_url), "0021")
    with engine.connect() as connection:
        columns = connection.execute(text("SELECT * FROM attendance_events")).keys()
        assert "instance" not in columns
    engine.dispose()


def test_escalations_before_follow_up_was_recorded_wait_for_it(empty_database_url):
    """0023: follow-ups have a table, so escalations already stored have none and wait for
    one; down again, the table goes."""
    upgrade(empty_database_url, "0022")
    upgrade(empty_database_url, "0023")
    engine = make_engine(empty_database_url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT * FROM escalation_follow_ups")).all() == []
    command.downgrade(alembic_config(empty_database_url), "0022")
    with engine.connect() as connection:
        assert "escalation_follow_ups" not in inspect(connection).get_table_names()
    engine.dispose()


def test_risk_flags_from_before_levels_have_none_and_one_raised_again_stops_a_downgrade(
    empty_database_url,
):
    """0024: a stored flag has no level; two flags of one code on one appointment are allowed
    at different levels, and then going down is refused rather than deleting either."""
    upgrade(empty_database_url, "0023")
    engine = make_engine(empty_database_url)
    with engine.begin() as connection:  # (SQLite copies the table, checking its keys)
        for statement in (
            "INSERT INTO users (id, email, full_name, role, is_active_account, session_token,"
            " created_at, failed_sign_ins) VALUES"
            " (1, 'p@example.org', 'P', 'patient', true, 'a', CURRENT_TIMESTAMP, 0),"
            " (2, 't@example.org', 'T', 'therapist', true, 'b', CURRENT_TIMESTAMP, 0)",
            "INSERT INTO appointments (id, patient_id, therapist_id, starts_at, ends_at, status,"
            " attendance_code, created_at, reschedule_count) VALUES (1, 1, 2, CURRENT_TIMESTAMP,"
            " CURRENT_TIMESTAMP, 'booked', '0', CURRENT_TIMESTAMP, 0)",
            "INSERT INTO questionnaire_responses (id, patient_id, appointment_id, instrument,"
            " instrument_version, answers, started_at, updated_at, risk_flags) VALUES"
            " (1, 1, 1, 'phq9', '1', '{}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, '[]')",
            "INSERT INTO risk_flags (id, appointment_id, patient_id, response_id, code,"
            " description, raised_at) VALUES (1, 1, 1, 1, 'phq9_item9', 'q9', CURRENT_TIMESTAMP)",
        ):
            connection.execute(text(statement))
    upgrade(empty_database_url, "0024")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT level FROM risk_flags")).scalars().all() == [None]
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO risk_flags (id, appointment_id, patient_id, response_id, code,"
                " description, level, raised_at)"
                " VALUES (2, 1, 1, 1, 'phq9_item9', 'q9', 3, CURRENT_TIMESTAMP)"
            )
        )
    with pytest.raises(RuntimeError, match="1 appointments have a risk flag raised again"):
        command.downgrade(alembic_config(empty_database_url), "0023")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM risk_flags")).scalar() == 2
    engine.dispose()


def test_assessments_keep_versions_and_the_step_they_set_is_marked(empty_database_url):
    """0025: assessments gain a table of the versions they replace, empty at first; of each
    episode's step changes, the earliest made by the assessment (reason
    "Assessment") is marked as the one it set, and no other; down again, both go."""
    upgrade(empty_database_url, "0024")
    engine = make_engine(empty_database_url)
    _insert_without_keys(
        engine,
        "INSERT INTO step_changes (id, episode_id, from_step, to_step, changed_on, reason,"
        " recorded_at) VALUES"
        " (1, 1, NULL, '2', '2026-03-02', 'Assessment', CURRENT_TIMESTAMP),"
        " (2, 1, '2', '3', '2026-03-10', 'No change at step 2', CURRENT_TIMESTAMP),"
        " (3, 1, '3', '2', '2026-03-02', 'Assessment', CURRENT_TIMESTAMP),"
        " (4, 2, NULL, '3', '2026-03-05', 'Stepped up before assessment', CURRENT_TIMESTAMP)",
    )
    upgrade(empty_database_url, "0025")
    with engine.begin() as connection:
        marked = connection.execute(
            text("SELECT id, set_by_assessment FROM step_changes ORDER BY id")
        ).all()
        assert [(id_, bool(flag)) for id_, flag in marked] == [
            (1, True),
            (2, False),
            (3, False),
            (4, False),
        ]
        assert connection.execute(text("SELECT * FROM episode_assessment_versions")).all() == []
        # (the changes' episodes were never made: SQLite's copy of the table on the way down
        # checks its keys)
        connection.execute(text("DELETE FROM step_changes"))
    command.downgrade(alembic_config(empty_database_url), "0024")
    with engine.connect() as connection:
        assert "episode_assessment_versions" not in inspect(connection).get_table_names()
        columns = connection.execute(text("SELECT * FROM step_changes")).keys()
        assert "set_by_assessment" not in columns
    engine.dispose()


def test_session_records_already_saved_are_their_first_version(empty_database_url):
    """0026: a record already stored is version 1, never amended, with no earlier versions;
    amendments then keep theirs in a table. Down again, the columns and the table go."""
    upgrade(empty_database_url, "0025")
    engine = make_engine(empty_database_url)
    _insert_without_keys(  # (the keys are made: SQLite's copy of the table checks them)
        engine,
        "INSERT INTO users (id, email, full_name, role, is_active_account, session_token,"
        " created_at, failed_sign_ins) VALUES"
        " (1, 'therapist@example.org', 'Therapist', 'therapist', true, 'a', CURRENT_TIMESTAMP, 0)",
        "INSERT INTO appointments (id, patient_id, therapist_id, starts_at, ends_at, status,"
        " attendance_code, created_at, reschedule_count) VALUES (1, 1, 1, CURRENT_TIMESTAMP,"
        " CURRENT_TIMESTAMP, 'booked', '5', CURRENT_TIMESTAMP, 0)",
        "INSERT INTO session_records (id, appointment_id, therapist_id, clinical_notes,"
        " therapy_type, step_of_care, contact_minutes, attendance_code, next_steps, recorded_at,"
        " is_late) VALUES (1, 1, 1, 'x', 'cbt', '2', 50, '5', 'x', CURRENT_TIMESTAMP, false)",
    )
    upgrade(empty_database_url, "0026")
    with engine.connect() as connection:
        saved = "SELECT version, amended_at, amended_by_id FROM session_records"
        assert connection.execute(text(saved)).all() == [(1, None, None)]
        assert connection.execute(text("SELECT * FROM session_record_versions")).all() == []
    command.downgrade(alembic_config(empty_database_url), "0025")
    with engine.connect() as connection:
        assert "session_record_versions" not in inspect(connection).get_table_names()
        columns = {c["name"] for c in inspect(connection).get_columns("session_records")}
        assert not {"version", "amended_at", "amended_by_id"} & columns
        assert connection.execute(text("SELECT id FROM session_records")).all() == [(1,)]
    engine.dispose()

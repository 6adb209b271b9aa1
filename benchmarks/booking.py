"""How long listing a month of free slots takes for 200 therapists.

Builds a fresh database (an SQLite file in a temporary folder by default, or a schema of its own
in the PostgreSQL named by --database-url, dropped afterwards) holding 200 credentialed
therapists with weekly hours (five 8-hour days), a week's leave for one in ten, one-off extra
hours for one in five, and about a third of their month already booked. Then it times
`webapp.booking.queries.slots_by_therapist` over 28 days for all of them (what the therapist list
needs for "next available"), and the whole therapist list a patient sees.

    .venv/bin/python benchmarks/booking.py
    .venv/bin/python benchmarks/booking.py --database-url postgresql://127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time as clock
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, text

from benchmarks import world
from webapp import create_app
from webapp.booking import queries
from webapp.booking.slots import SESSION_LENGTH
from webapp.config import TestConfig
from webapp.extensions import db
from webapp.migrate import upgrade
from webapp.models import (
    Appointment,
    AvailabilityException,
    Credential,
    CredentialKind,
    ExceptionKind,
    PatientProfile,
    Role,
    TherapistProfile,
    User,
    WeeklyHours,
)

NOW = datetime(2026, 3, 16, 7, 0, tzinfo=UTC)  # a Monday; the clocks change within the month
SCHEMA = "bench_booking"


def seed(therapists: int, seed_value: int) -> list[int]:
    rng = random.Random(seed_value)
    session = db.session()
    people = [
        {"email": f"t{n}@bench.example", "full_name": f"Therapist {n}", "role": Role.THERAPIST}
        for n in range(therapists)
    ] + [
        {"email": f"p{n}@bench.example", "full_name": f"Patient {n}", "role": Role.PATIENT}
        for n in range(therapists)
    ]
    session.execute(insert(User), people)
    ids = dict(session.execute(text("SELECT email, id FROM users")).all())
    therapist_ids = [ids[f"t{n}@bench.example"] for n in range(therapists)]
    patient_ids = [ids[f"p{n}@bench.example"] for n in range(therapists)]
    session.execute(
        insert(TherapistProfile),
        [
            {
                "user_id": t,
                "display_name": f"Therapist {n}",
                "languages": ["English"],
                "approaches": ["CBT"],
                "pronouns": "",
                "gender": "",
                "step_of_care": "step3",
                "biography": "",
            }
            for n, t in enumerate(therapist_ids)
        ],
    )
    session.execute(
        insert(PatientProfile),
        [
            {
                "user_id": p,
                "date_of_birth": date(1990, 1, 1),
                "postcode": "LS1 4AP",
                "gp_practice": "",
                "sms_reminders": True,
                "email_reminders": True,
                "accessibility_needs": "",
                "language": "English",
                "needs_interpreter": False,
                "timezone": "Europe/London",
                "access_starts_at": NOW - timedelta(days=30),
                "access_ends_at": NOW + timedelta(days=365),
            }
            for p in patient_ids
        ],
    )
    session.execute(
        insert(Credential),
        [
            {
                "therapist_id": t,
                "kind": kind,
                "body": "",
                "reference": "x",
                "expires_on": date(2030, 1, 1),
                "recorded_at": NOW,
            }
            for t in therapist_ids
            for kind in CredentialKind
        ],
    )
    weekly, exceptions, bookings = [], [], []
    for n, (therapist_id, patient_id) in enumerate(zip(therapist_ids, patient_ids, strict=True)):
        days = rng.sample(range(7), 5)
        for weekday in days:
            weekly.append(
                {
                    "therapist_id": therapist_id,
                    "weekday": weekday,
                    "starts_at": time(9),
                    "ends_at": time(17),
                }
            )
        if n % 10 == 0:
            start = NOW + timedelta(days=rng.randrange(28))
            exceptions.append(
                {
                    "therapist_id": therapist_id,
                    "kind": ExceptionKind.LEAVE,
                    "starts_at": start,
                    "ends_at": start + timedelta(days=7),
                }
            )
        if n % 5 == 0:
            start = (NOW + timedelta(days=rng.randrange(28))).replace(hour=18)
            exceptions.append(
                {
                    "therapist_id": therapist_id,
                    "kind": ExceptionKind.EXTRA,
                    "starts_at": start,
                    "ends_at": start + timedelta(hours=3),
                }
            )
        # About a third of the month's slots are booked (each patient with one therapist).
        for day in range(28):
            moment = NOW + timedelta(days=day)
            if moment.weekday() not in days:
                continue
            for hour in range(9, 17):
                if rng.random() < 0.33:
                    local = datetime.combine(moment.date(), time(hour), tzinfo=queries.LONDON)
                    starts = local.astimezone(UTC)
                    bookings.append(
                        {
                            "patient_id": patient_id,
                            "therapist_id": therapist_id,
                            "starts_at": starts,
                            "ends_at": starts + SESSION_LENGTH,
                            "status": "booked",
                            "attendance_code": "0",
                            "created_at": NOW,
                            "reschedule_count": 0,
                        }
                    )
    session.execute(insert(WeeklyHours), weekly)
    session.execute(insert(AvailabilityException), exceptions)
    session.execute(insert(Appointment), bookings)
    session.commit()
    print(
        f"seeded {therapists} therapists, {len(weekly)} weekly blocks, "
        f"{len(exceptions)} exceptions, {len(bookings)} bookings"
    )
    return therapist_ids


def timed(function, repeats: int) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    results, durations = None, []
    for _ in range(repeats):
        started = clock.perf_counter()
        results = function()
        durations.append(clock.perf_counter() - started)
        db.session.expire_all()
    return statistics.median(durations), results


def run(url: str, therapists: int, repeats: int) -> None:
    upgrade(url)
    config = type("BenchConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url})
    app = create_app(config)
    with app.test_request_context():
        ids = seed(therapists, seed_value=5)
        end = NOW + timedelta(days=28)

        def month_of_slots() -> dict[int, list[datetime]]:
            return queries.slots_by_therapist(ids, window_start=NOW, window_end=end, now=NOW)

        def therapist_list() -> list[queries.TherapistCard]:
            return queries.therapists_for_patient(0, queries.TherapistFilters(), now=NOW)

        seconds, slots = timed(month_of_slots, repeats)
        total = sum(len(v) for v in slots.values())  # type: ignore[union-attr]
        print(
            f"month of slots for {len(ids)} therapists: {seconds * 1000:.0f} ms "
            f"(median of {repeats}; {total} free slots)"
        )
        seconds, cards = timed(therapist_list, repeats)
        print(f"therapist list page query ({len(cards)} cards): {seconds * 1000:.0f} ms")  # type: ignore[arg-type]
    assert db.engine is not None
    db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="PostgreSQL URL (default: a temporary SQLite file)")
    parser.add_argument("--therapists", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    if not args.database_url:
        with tempfile.TemporaryDirectory() as folder:
            print("SQLite")
            run(f"sqlite:///{Path(folder) / 'bench.db'}", args.therapists, args.repeats)
        return
    with world.own_schema(args.database_url, SCHEMA) as schema_url:
        print("PostgreSQL")
        run(schema_url, args.therapists, args.repeats)


if __name__ == "__main__":
    main()

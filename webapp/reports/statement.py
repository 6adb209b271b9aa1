"""The commissioner's monthly statement as values, and its CSV and XLSX files.

Pure: values in, values out; the database read is `webapp.reports.queries.statement`. Every text
cell written to a file passes through `safe_cell` (formula injection). The statement names
sessions only by appointment id: never a patient (DOMAIN.md section 1, commissioners see no
identifiable records). Its counts are exact, not suppressed: it is a bill between provider and
commissioner, not a published aggregate (DOMAIN.md section 4's small-number rule is for those).

Months are calendar months in UTC: a session belongs to the month its booked start falls in,
and a ledger movement to the month it was recorded in.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime

import xlsxwriter

from webapp.charging import REASONS
from webapp.exports import safe_cell
from webapp.reports.definitions import provisional_note

REASON_TEXT = {reason.code: reason.text for reason in REASONS}
OUTCOME_LABELS = {
    "attended": "Attended",
    "patient_cancelled": "Cancelled by the patient",
    "provider_cancelled": "Cancelled by the provider",
    "patient_dna": "Patient did not attend",
    "therapist_dna": "Therapist did not attend",
    "tech_failure_provider": "Technical failure (therapist or provider)",
    "tech_failure_patient": "Technical failure (patient)",
}


@dataclass(frozen=True, slots=True)
class SessionLine:
    appointment_id: int
    starts_at: datetime
    outcome: str
    charged: bool
    reason_code: str


@dataclass(frozen=True, slots=True)
class ReasonTotal:
    reason_code: str
    charged: bool
    sessions: int

    @property
    def text(self) -> str:
        return REASON_TEXT.get(self.reason_code, self.reason_code)


@dataclass(frozen=True, slots=True)
class Statement:
    year: int
    month: int
    sessions: tuple[SessionLine, ...]
    by_reason: tuple[ReasonTotal, ...]
    funded: int  # sessions granted in the month (referrals and extra grants)
    used: int  # sessions drawn by bookings in the month
    returned: int  # funding given back in the month, net of reversals
    # Group meetings in the month that were delivered: each one unit charged to the
    # commissioner (issue #15), never to a patient nor drawn from anyone's allowance.
    group_sessions: int = 0
    group_pence: int = 0
    # The day figures run to, while the month is not over (None once it is): a statement of a
    # month still running is provisional, and says so wherever it goes.
    to_date: date | None = None

    @property
    def charged(self) -> int:
        return sum(t.sessions for t in self.by_reason if t.charged)

    @property
    def not_charged(self) -> int:
        return sum(t.sessions for t in self.by_reason if not t.charged)

    @property
    def title(self) -> str:
        month = f"{datetime(self.year, self.month, 1, tzinfo=UTC):%B %Y}"
        return month + (provisional_note(self.to_date) if self.to_date else "")


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    """The UTC start of the month and of the next; ValueError for a month that does not exist."""
    if not 2000 <= year <= 2100 or not 1 <= month <= 12:
        raise ValueError(f"no such statement month: {year}-{month}")
    start = datetime(year, month, 1, tzinfo=UTC)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
    return start, end


def table(statement: Statement) -> list[list[object]]:
    """The statement as rows of cells, headings first, guarded for spreadsheets."""
    rows: list[list[object]] = [
        [f"Statement for {statement.title}"],
        [],
        ["Appointment", "Date (UTC)", "Outcome", "Charged", "Reason"],
    ]
    for line in statement.sessions:
        rows.append(
            [
                line.appointment_id,
                line.starts_at.strftime("%Y-%m-%d %H:%M"),
                OUTCOME_LABELS.get(line.outcome, line.outcome),
                "Yes" if line.charged else "No",
                REASON_TEXT.get(line.reason_code, line.reason_code),
            ]
        )
    rows += [[], ["Reason", "Charged", "Sessions"]]
    for total in statement.by_reason:
        rows.append([total.text, "Yes" if total.charged else "No", total.sessions])
    rows += [
        ["Total charged", "", statement.charged],
        ["Total not charged", "", statement.not_charged],
        [],
        ["Sessions funded", "", statement.funded],
        ["Sessions used", "", statement.used],
        ["Sessions returned", "", statement.returned],
        [],
        ["Group sessions delivered (charged)", "", statement.group_sessions],
        ["Group sessions charge (pence)", "", statement.group_pence],
    ]
    return [[safe_cell(cell) for cell in row] for row in rows]


def to_csv(statement: Statement) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerows(table(statement))
    return buffer.getvalue()


def to_xlsx(statement: Statement) -> bytes:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False})
    sheet = workbook.add_worksheet("Statement")
    for row_number, row in enumerate(table(statement)):
        for column, cell in enumerate(row):
            if isinstance(cell, int):
                sheet.write_number(row_number, column, cell)
            else:
                sheet.write_string(row_number, column, str(cell))
    sheet.set_column(0, 0, 14)
    sheet.set_column(1, 1, 18)
    sheet.set_column(2, 2, 40)
    sheet.set_column(4, 4, 60)
    workbook.close()
    return buffer.getvalue()

"""The shape of a patient's data export: one JSON document with every section, and a zip
holding it with a plain-text README (UK GDPR article 15: a copy "in a commonly used electronic
form").

Pure: values in, values out; no Flask, no database. `webapp.records.queries.export_sections`
gathers the rows; this module checks that every section is there, orders them, turns dates into
ISO 8601 text and packs the archive.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from webapp.referral.codes import DEMOGRAPHICS, HEARD_ABOUT, ISSUE_TYPES, SOURCES
from webapp.reports.definitions import ATTENDANCE_LABELS

FORMAT_VERSION = "1"
JSON_NAME = "your-data.json"
README_NAME = "README.txt"
# Zip entries carry a fixed time, so the same data always makes the same archive.
ZIP_TIME = (2026, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    description: str


SECTIONS: tuple[Section, ...] = (
    Section("account", "Your account", "Your name, email address and sign-in dates."),
    Section(
        "profile",
        "Your details",
        "Date of birth, postcode, GP practice, mobile number, language and access period.",
    ),
    Section("referrals", "Your referral", "Every answer you (or who referred you) gave."),
    Section(
        "care_episodes",
        "Your course of care",
        "Its state, step of care, and when and why it ended, with each dated change.",
    ),
    Section("consent", "What you agreed to", "Your consent and every dated change to it."),
    Section(
        "questionnaires",
        "Your questionnaire answers",
        "Every answer to every questionnaire, with its score.",
    ),
    Section("experience", "Your feedback", "Your answers about your experience of the service."),
    Section("risk_flags", "Safety checks", "Answers that a clinician was asked to look at."),
    Section("appointments", "Your appointments", "Booked, attended, cancelled and moved."),
    Section(
        "session_records",
        "Your therapists' session records",
        "What your therapist recorded after each session, including their clinical notes.",
    ),
    Section(
        "session_record_versions",
        "Earlier versions of your session records",
        "What a session record said before your therapist changed it, who changed it and when.",
    ),
    Section("session_notes", "Your own notes", "The notes you wrote about your sessions."),
    Section("session_ratings", "Your session ratings", "Your Session Rating Scale answers."),
    Section(
        "chat_transcripts",
        "Your session transcripts",
        "Every message in your sessions: yours and your therapist's.",
    ),
    Section("attendance", "Joining your sessions", "When you joined and left each session room."),
    Section("technical_problems", "Problems you reported", "Technical problems you told us of."),
    Section("sessions_funded", "Your sessions", "The sessions funded for you and their use."),
    Section("notifications", "Messages we sent", "Reminders and confirmations, by email or text."),
    Section("self_help", "Your worksheets", "The self-help worksheets you saved."),
    Section("safety_plan", "Your safety plan", "Your safety plan as you last saved it."),
    Section(
        "community",
        "The community",
        "Your handle, the threads and posts you wrote, your reactions, reports you made and "
        "messages moderators sent you, your poll answers and suggestions. Other members' posts "
        "are not included.",
    ),
    Section(
        "groups",
        "Your group sessions",
        "The groups you joined, were invited to or asked to join, your attendance at each "
        "meeting, and the messages you wrote in group rooms. Other members' messages are not "
        "included.",
    ),
    Section(
        "supervision",
        "Clinical supervision",
        "When your care was discussed in your therapist's clinical supervision, and with whom. "
        "What was agreed there covers other people's care too and is not included: ask us if "
        "you want it.",
    ),
    Section(
        "record_access",
        "Who looked at your record",
        "Every time someone opened your record or changed something about you, and who.",
    ),
    Section("access_requests", "Your requests for your data", "Including this one."),
    Section("account_closure", "Closing your account", "If you closed your account."),
)
SECTION_KEYS = tuple(section.key for section in SECTIONS)

Row = Mapping[str, Any]


def _plain(value: Any) -> Any:
    """Dates and times as ISO 8601 text; everything else as JSON has it."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("export times must be aware (UTC)")
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise ValueError(f"cannot export a value of type {type(value).__name__}")


def document(
    *, subject: str, generated_at: datetime, sections: Mapping[str, Sequence[Row]]
) -> dict[str, Any]:
    """The whole export as plain JSON values, sections in the order of SECTIONS.

    Every section must be given (an empty list says there is nothing of that kind), and no
    other: a section nobody described would reach the patient without a heading."""
    missing = [key for key in SECTION_KEYS if key not in sections]
    unknown = sorted(set(sections) - set(SECTION_KEYS))
    if missing or unknown:
        raise ValueError(f"export sections missing {missing} or unknown {unknown}")
    return {
        "format_version": FORMAT_VERSION,
        "subject": subject,
        "generated_at": _plain(generated_at),
        "sections": {key: [_plain(dict(row)) for row in sections[key]] for key in SECTION_KEYS},
    }


def to_json(doc: Mapping[str, Any]) -> str:
    return json.dumps(doc, ensure_ascii=False, indent=2)


def readme(doc: Mapping[str, Any], service_name: str) -> str:
    lines = [
        f"A copy of the information {service_name} holds about {doc['subject']}",
        f"Made on {doc['generated_at']} (UTC).",
        "",
        f"{JSON_NAME} holds everything, one section for each kind of information.",
        "Times are in UTC (ISO 8601). Codes (such as attendance codes) are the NHS's own.",
        "",
        "Sections:",
    ]
    for section in SECTIONS:
        count = len(doc["sections"][section.key])
        lines.append(f"- {section.key} ({count}): {section.title}. {section.description}")
    lines += [
        "",
        "Keep this file safe: it holds health information about you.",
        "If something is wrong, you can ask us to correct it.",
        "",
    ]
    return "\n".join(lines)


def zip_archive(doc: Mapping[str, Any], service_name: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, text in ((README_NAME, readme(doc, service_name)), (JSON_NAME, to_json(doc))):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, text.encode("utf-8"))
    return buffer.getvalue()


# --- the printable page: the same data in words a person reads ---------------------------------

LONDON = ZoneInfo("Europe/London")
# Field names that do not read as plain English once their underscores are spaces.
FIELD_LABELS = {
    "mobile_e164": "Mobile number",
    "gp_practice": "GP practice",
    "nhs_number": "NHS number",
    "is_active_account": "Account open",
    "attendance_code": "Attendance",
    "issue_type": "Main problem",
    "issue_details": "About the problem",
    "instrument": "Questionnaire",
    "instrument_version": "Questionnaire version",
    "sms_reminders": "Text reminders",
    "email_reminders": "Email reminders",
    "is_held": "Held for moderators",
    "is_muted": "Muted",
    "current_step": "Step of care",
    "from_step": "Step of care before",
    "end_code": "How treatment ended",
    "by_role": "By",
    "from": "From",
}
# Stored codes with the national dataset's words for them (DOMAIN.md section 5).
CODE_WORDS: Mapping[str, Mapping[str, str]] = {
    "attendance_code": ATTENDANCE_LABELS,
    "issue_type": ISSUE_TYPES,
    "source": SOURCES,
    "heard_about": HEARD_ABOUT,
    **DEMOGRAPHICS,
}
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_WORD_CODE = re.compile(r"[a-z]+(_[a-z]+)+")
_STATE_KEYS = ("state", "status", "kind", "type", "role", "channel", "what", "outcome", "reason")


def field_label(key: str) -> str:
    """What a field is called on the printable page."""
    return FIELD_LABELS.get(key) or key.removeprefix("is_").replace("_", " ").capitalize()


def field_text(key: str, value: object) -> str | None:
    """A stored value as a person reads it (UK time, code words), or None to show it as it is.
    The JSON in the zip keeps the stored values, for other services to read."""
    if not isinstance(value, str):
        return None
    words = CODE_WORDS.get(key, {}).get(value)
    if words is not None:
        return f"{words} ({value})"
    if _TIMESTAMP.match(value):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return None
        local = moment.astimezone(LONDON) if moment.tzinfo else moment
        hour = local.strftime("%I").lstrip("0")
        return f"{local.day} {local:%B %Y}, {hour}:{local:%M}{local.strftime('%p').lower()}"
    if _DATE.fullmatch(value):
        day = date.fromisoformat(value)
        return f"{day.day} {day:%B %Y}"
    if key.endswith(_STATE_KEYS) and _WORD_CODE.fullmatch(value):  # such as "in_treatment"
        return value.replace("_", " ")  # (never what a person wrote: only the system's states)
    return None

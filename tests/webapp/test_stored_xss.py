"""Stored XSS: whatever a person types is shown inert, everywhere it is shown, to everyone who
can see it.

Rather than a list of fields, every text column of every table gets the payloads (a page
script, an `onerror` image, an `onload` SVG, `javascript:` links, a spreadsheet formula), in
every row of the demo world that holds text there, encrypted columns and the text inside JSON
included. Only columns listed in NOT_PEOPLES_TEXT (codes, hashes, tokens, formats checked on the
way in) are left alone, so a new text column is covered the moment it exists. Then every page
each demo account reaches (printable pages too) is parsed as a browser would (html5lib), with
every CSV and XLSX download and the data-export zips, the moderators' live queue and the chat
messages as Socket.IO sends them: no script the site did not write, no `on...` attribute, no
`javascript:` address, no formula in a spreadsheet.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import zipfile
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
import sqlalchemy as sa
from bleach._vendor import html5lib
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from moderation import Action, Kind, Tier
from tests.factories import make_group_alert
from tests.webapp.test_form_fuzzing import CSRF, _shape, _sign_in
from webapp.demo import demo_email
from webapp.extensions import db, socketio
from webapp.models import (
    Appointment,
    Base,
    ChatMessage,
    CommunityMember,
    FailureAffected,
    FailureFault,
    FailureReport,
    FailureStatus,
    GroupOccurrence,
    ModeratorMessage,
    QuestionnaireResponse,
    RiskFlag,
    TechnicalFailure,
    User,
    WatchwordRule,
)
from webapp.models.base import EncryptedText

ACCOUNTS = ["patient", "priya.nair", "moderator", "clinical.lead", "commissioner", "admin"]
PAGES_PER_ACCOUNT = 40
NOT_PAGES = re.compile(r"/static/|/assets/|/sign-out|/photo$")
DOWNLOAD = re.compile(r"/(csv|xlsx|json|ics)$|\.(csv|xlsx|ics)$")
POSTED_DOWNLOAD = re.compile(r"/(download|printable|export)$")  # read-only forms with no fields
LINK = re.compile(r'href="(/[^"#]*)"')
FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)
ACTION = re.compile(r'action="([^"]*)"')
FIELD = re.compile(r"<(?:input|textarea|select)\b(?![^>]*type=\"(?:hidden|submit)\")", re.I)

# Text that is not what people type: codes and states the app chooses, hashes, tokens, the
# activity log's own keys, and formats checked on the way in (phone numbers, time zones).
NOT_PEOPLES_TEXT = {
    *(f"activity_events.{c}" for c in ("section", "module", "role", "visitor_key", "visit_key")),
    "referral_refusal_counts.reason",
    "referral_refusal_counts.source_code",
    "retention_runs.trigger",
    "users.password_hash",
    "users.session_token",
    "users.nhs_login_sub",
    "users.totp_secret",
    "account_closures.community_choice",
    "audit_events.actor_role",
    "audit_events.action",
    "audit_events.subject_type",
    "audit_events.ip_address",
    "consent_records.kind",
    "consent_records.source",
    "consent_records.privacy_notice_version",
    "experience_responses.instrument",
    "experience_responses.instrument_version",
    "patient_profiles.mobile_e164",
    "patient_profiles.timezone",
    "recovery_codes.code_hash",
    "referrals.reference",
    "referrals.source_code",
    "referrals.mobile_e164",
    "referrals.issue_type",
    *(
        f"referrals.{c}"
        for c in (
            "gender",
            "ethnicity",
            "sexual_orientation",
            "disability",
            "religion",
            "long_term_condition",
            "living_status",
            "employment_status",
            "heard_about",
            "privacy_notice_version",
        )
    ),
    "retention_run_items.kind",
    "retention_run_items.action",
    "saved_worksheets.code",
    "staff_contacts.mobile_e164",
    "subject_access_requests.channel",
    "therapist_photos.content_type",
    "therapist_profiles.step_of_care",
    "user_tokens.token_hash",
    "watchword_rules.tier",
    "watchword_rules.action",
    "watchword_rules.kind",
    "care_episodes.current_step",
    "care_episodes.end_code",
    "referral_drafts.key_hash",
    *(
        f"appointments.{c}"
        for c in (
            "attendance_code",
            "outcome",
            "cancelled_by_role",
            "charge_reason",
            "appointment_type",
            "step_of_care",
        )
    ),
    "episode_assessments.problem_descriptor",
    "episode_assessments.icd10_code",
    "episode_assessments.risk_level",
    "episode_assessment_versions.problem_descriptor",
    "episode_assessment_versions.icd10_code",
    "episode_assessment_versions.risk_level",
    "step_changes.from_step",
    "step_changes.to_step",
    "allowance_movements.reason_code",
    "attendance_events.party",
    "attendance_events.connection",
    "chat_messages.client_id",  # the page's own id for a message, never shown
    "group_messages.client_id",  # likewise in the group room
    "group_messages.rule_ids",
    "group_attendance.code",  # a national attendance code, chosen from a list
    "groups.local_time",  # "HH:MM", checked on the way in
    "moderation_items.verdict",
    "notification_attempts.task_id",
    "notification_attempts.provider_id",
    "questionnaire_responses.instrument",
    "questionnaire_responses.instrument_version",
    "questionnaire_responses.severity",
    "session_records.therapy_type",
    "session_records.step_of_care",
    "session_records.attendance_code",
    "session_records.proposed_outcome",
    "session_record_versions.therapy_type",
    "session_record_versions.appointment_type",
    "session_record_versions.step_of_care",
    "session_record_versions.attendance_code",
    "failure_reports.reported_by_role",
    "risk_flags.code",
    # JSON holding codes and numbers, not people's words:
    "audit_events.detail",
    "moderation_items.rule_ids",
    "questionnaire_responses.answers",
    "questionnaire_responses.risk_flags",
    "experience_responses.answers",
    "session_ratings.answers",
}
# Text columns whose text is JSON (people's words in its string values).
JSON_IN_TEXT = {"saved_worksheets.answers", "referral_drafts.answers"}

PIECES = [
    '=HYPERLINK("http://evil.example/{n}","x")',
    "<svg onload=alert({n})>",
    '"><img src=x onerror=alert({n})>',
    "'><a href=javascript:alert({n})>x</a>",
    "<script>alert({n})</script>",
    "javascript:alert({n})",
]
SHORTEST = "<b onx={n}>"
MARKER = re.compile(r"alert\((\d+)\)|onx=(\d+)|evil\.example/(\d+)")


def payload(n: int, room: int | None) -> str:
    """As many pieces as fit in `room` characters (all of them in a Text column)."""
    text = ""
    for piece in PIECES:
        candidate = text + piece.format(n=n)
        if room is None or len(candidate) <= room:
            text = candidate
    return text or SHORTEST.format(n=n)[: room or None]


def _name(column: sa.Column[Any]) -> str:
    return f"{column.table.name}.{column.name}"


def text_columns() -> list[sa.Column[Any]]:
    columns = []
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, sa.Enum) or column.primary_key:
                continue
            if isinstance(column.type, EncryptedText | sa.JSON | sa.String):
                columns.append(column)
    return columns


def _unique(column: sa.Column[Any]) -> bool:
    table = column.table
    return (
        bool(column.unique)
        or any(
            getattr(constraint, "columns", None) is not None
            and column.name in constraint.columns
            and isinstance(constraint, sa.UniqueConstraint)
            for constraint in table.constraints
        )
        or any(index.unique and column.name in index.columns for index in table.indexes)
    )


def _poison(value: Any, text: str) -> Any:
    """Every string in a JSON value made into `text` (keys kept: they are the app's)."""
    if isinstance(value, str):
        return text
    if isinstance(value, list):
        return [_poison(item, text) for item in value]
    if isinstance(value, dict):
        return {key: _poison(item, text) for key, item in value.items()}
    return value


# Append-only tables cannot be written over: their text arrives as people send it (the
# accounts' browsers send a payload as their User-Agent, which sign-ins record).
APPEND_ONLY = {"audit_events"}


def markers() -> dict[int, sa.Column[Any]]:
    """Each column of people's text, numbered: its payloads carry the number."""
    columns = (c for c in text_columns() if _name(c) not in NOT_PEOPLES_TEXT)
    return dict(enumerate(columns, start=1))


def add_what_the_demo_world_lacks() -> None:
    """A row in the tables of people's text that the demo world leaves empty (a risk flag, a
    moderator's message, a reported technical failure, a watchword rule), so their pages are
    read too. The payloads replace the text written here."""
    moderator = db.session.scalar(select(User).where(User.email == demo_email("moderator")))
    response = db.session.scalar(
        select(QuestionnaireResponse)
        .where(QuestionnaireResponse.appointment_id.is_not(None))
        .order_by(QuestionnaireResponse.id)
    )
    member = db.session.scalar(select(CommunityMember).order_by(CommunityMember.user_id))
    appointment = db.session.scalar(
        select(Appointment)
        .where(~Appointment.id.in_(select(TechnicalFailure.appointment_id)))
        .order_by(Appointment.starts_at)
    )
    assert moderator and response and member and appointment
    failure = TechnicalFailure(appointment_id=appointment.id, status=FailureStatus.OPEN)
    db.session.add_all(
        [
            RiskFlag(
                appointment_id=response.appointment_id,
                patient_id=response.patient_id,
                response_id=response.id,
                code="phq9_item9",
                description="text",
            ),
            ModeratorMessage(member_id=member.user_id, sender_id=moderator.id, body="text"),
            failure,
            WatchwordRule(
                id="xss-test",
                tier=Tier.HOUSE_RULES.value,
                action=Action.FLAG.value,
                kind=Kind.REGEX.value,
                pattern="text",
                description="text",
            ),
        ]
    )
    db.session.flush()
    # A group meeting's risk alert: its card in the queue and its page in the console.
    meeting = db.session.scalar(select(GroupOccurrence).order_by(GroupOccurrence.id))
    assert meeting
    make_group_alert(meeting.id, member.user_id)
    db.session.add(
        FailureReport(
            failure_id=failure.id,
            reported_by_id=appointment.patient_id,
            reported_by_role="patient",
            what_happened="text",
            affected=FailureAffected.PATIENT,
            fault=FailureFault.UNKNOWN,
        )
    )
    db.session.commit()


def inject() -> None:
    """The payloads into every row of every column of people's text."""
    for n, column in markers().items():
        table, name = column.table, _name(column)
        if table.name in APPEND_ONLY:
            continue
        (key,) = table.primary_key.columns
        length = getattr(column.type, "length", None)
        if isinstance(column.type, sa.JSON) or name in JSON_IN_TEXT:
            text = payload(n, None)
            rows = db.session.execute(select(key, column).where(column.is_not(None))).all()
            for pk, value in rows:
                poisoned = _poison(json.loads(value) if name in JSON_IN_TEXT else value, text)
                new = json.dumps(poisoned) if name in JSON_IN_TEXT else poisoned
                db.session.execute(update(table).where(key == pk).values({column.name: new}))
        elif _unique(column):
            for pk in db.session.scalars(select(key).where(column.is_not(None))).all():
                suffix = f" {pk}"
                room = None if length is None else length - len(suffix)
                db.session.execute(
                    update(table).where(key == pk).values({column.name: payload(n, room) + suffix})
                )
        else:
            # Where the demo world has no text in a column, every row gets some: the pages
            # that would show it are then read too.
            held = db.session.scalar(select(func.count()).where(column.is_not(None)))
            rows = update(table).where(column.is_not(None)) if held else update(table)
            db.session.execute(rows.values({column.name: payload(n, length)}))
    db.session.commit()


# --- what counts as live markup ----------------------------------------------------------------

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster"}


def live_markup(page: str) -> list[str]:
    """Script the site did not write: a script element without the page's nonce, any event
    handler attribute, a javascript: (or vbscript:, data:text/html) address."""
    found = []
    tree = html5lib.parse(page, treebuilder="etree", namespaceHTMLElements=False)
    for element in tree.iter():
        tag = element.tag if isinstance(element.tag, str) else ""
        local = tag.rsplit("}", 1)[-1]
        if local == "script" and not element.get("nonce"):
            found.append(f"<script> {(element.text or '')[:60]!r}")
        for attribute, value in element.attrib.items():
            name = attribute.rsplit("}", 1)[-1].lower()
            if name.startswith("on"):
                found.append(f"<{local} {name}={value[:60]!r}>")
            address = re.sub(r"[\s\x00-\x1f]", "", html.unescape(value)).lower()
            if name in URL_ATTRIBUTES and address.startswith(
                ("javascript:", "vbscript:", "data:text/html")
            ):
                found.append(f"<{local} {name}={value[:60]!r}>")
    return found


FORMULA = ("=", "+", "-", "@", "\t", "\r")


def live_csv(body: str) -> list[str]:
    """A cell a spreadsheet would run as a formula: one starting =, +, -, @ holding a payload."""
    return [
        f"formula cell {cell[:60]!r}"
        for row in csv.reader(io.StringIO(body))
        for cell in row
        if cell.startswith(FORMULA) and MARKER.search(cell)
    ]


def live_xlsx(body: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(body)) as book:
        return [
            f"formula in {name}"
            for name in book.namelist()
            if name.startswith("xl/worksheets/") and "<f>" in book.read(name).decode()
        ]


def live_zip(body: bytes) -> list[str]:
    found = []
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        for name in archive.namelist():
            data = archive.read(name)
            if name.endswith((".html", ".htm")):
                found += [f"{name}: {x}" for x in live_markup(data.decode())]
            elif name.endswith(".csv"):
                found += [f"{name}: {x}" for x in live_csv(data.decode("utf-8-sig"))]
            elif name.endswith(".xlsx"):
                found += [f"{name}: {x}" for x in live_xlsx(data)]
    return found


def seen(text: str) -> set[int]:
    return {int(next(g for g in match if g)) for match in MARKER.findall(text)}


# --- reading everything each account can -------------------------------------------------------


def _body(response: Any) -> tuple[str, bytes]:
    data = response.get_data()
    response.close()
    return response.mimetype or "", data


def check_response(response: Any) -> tuple[list[str], set[int]]:
    """(live markup found, markers seen) in one page or download."""
    mimetype, data = _body(response)
    if mimetype == "text/html":
        text = data.decode()
        return live_markup(text), seen(html.unescape(text))
    if mimetype == "text/csv":
        text = data.decode("utf-8-sig")
        return live_csv(text), seen(text)
    if mimetype.endswith("spreadsheetml.sheet"):
        with zipfile.ZipFile(io.BytesIO(data)) as book:
            text = " ".join(book.read(n).decode() for n in book.namelist() if n.endswith(".xml"))
        return live_xlsx(data), seen(html.unescape(text))
    if mimetype == "application/zip":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            text = " ".join(archive.read(n).decode(errors="replace") for n in archive.namelist())
        return live_zip(data), seen(text)
    return [], seen(data.decode(errors="replace"))


def read_everything(client: FlaskClient) -> Iterator[tuple[str, Any]]:
    """Every page reachable from the account's home (one of each shape), each download linked
    from them, and each read-only download form on them, posted."""
    home = client.get("/home").location or "/"
    queue, pages = [urlsplit(home).path], set()
    while queue and len(pages) < PAGES_PER_ACCOUNT:
        path = queue.pop(0)
        if _shape(path) in pages or NOT_PAGES.search(path):
            continue
        pages.add(_shape(path))
        response = client.get(path)
        if DOWNLOAD.search(path) or response.mimetype != "text/html":
            yield path, response
            continue
        page = response.get_data(as_text=True)
        yield path, response
        if response.status_code != 200:
            continue
        for attributes, body in FORM.findall(page):
            action = ACTION.search(attributes)
            token = CSRF.search(body)
            posted = action and POSTED_DOWNLOAD.search(action.group(1))
            if posted and token and not FIELD.search(body):
                target = urljoin(path, html.unescape(action.group(1)))
                yield target, client.post(target, data={"csrf_token": token.group(1)})
        queue.extend(link for link in LINK.findall(page) if not NOT_PAGES.search(link))


def test_no_column_is_listed_that_does_not_exist():
    names = {_name(column) for column in text_columns()}
    assert sorted((NOT_PEOPLES_TEXT | JSON_IN_TEXT) - names) == []


def test_the_checks_find_live_markup():
    """The detectors themselves: each payload, unescaped, is caught; escaped, it is not."""
    for n, piece in enumerate(PIECES[1:5], start=1):
        raw = f"<html><body><p>{piece.format(n=n)}</p></body></html>"
        assert live_markup(raw), piece
        assert not live_markup(f"<p>{html.escape(piece.format(n=n))}</p>")
    assert live_csv('name\n"=HYPERLINK(""http://evil.example/3"",""x"")"\n')
    assert not live_csv('name\n"\'=HYPERLINK(""http://evil.example/3"")"\n')
    assert payload(7, 10) == "<b onx=7>" and len(payload(7, 40)) <= 40


@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_peoples_text_is_inert_on_every_page_download_and_socket(app: Flask) -> None:
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    numbered = {n: _name(column) for n, column in markers().items()}
    (user_agent,) = (n for n, name in numbered.items() if name == "audit_events.user_agent")
    clients = {}
    for account in ACCOUNTS:
        clients[account] = app.test_client()
        clients[account].environ_base["HTTP_USER_AGENT"] = payload(user_agent, 255)
        _sign_in(clients[account], account)  # before the names and emails change
    add_what_the_demo_world_lacks()
    inject()
    problems: list[str] = []
    rendered: set[int] = set()
    reached: dict[str, int] = {}
    for account, client in clients.items():
        for path, response in read_everything(client):
            kind = (response.mimetype or "").rsplit("/", 1)[-1].rsplit(".", 1)[-1]
            reached[kind] = reached.get(kind, 0) + 1
            if response.status_code >= 500:
                problems.append(f"{account} {path}: {response.status_code}")
            found, marks = check_response(response)
            problems += [f"{account} {path}: {x}" for x in found]
            rendered |= marks

    # The moderators' live queue and chat messages, as Socket.IO sends them.
    moderator = clients["moderator"]
    token = CSRF.search(moderator.get("/account").get_data(as_text=True))
    assert token
    socket = socketio.test_client(
        app,
        namespace="/moderation",
        flask_test_client=moderator,
        headers={"Origin": "http://localhost"},
        auth={"csrf_token": token.group(1)},
    )
    assert socket.is_connected("/moderation")
    for event in socket.get_received("/moderation"):
        for item in event["args"][0]:
            for key in ("html", "reason_html"):
                problems += [f"/moderation queue {key}: {x}" for x in live_markup(item[key])]
                rendered |= seen(html.unescape(item[key]))
    socket.disconnect("/moderation")
    from webapp.sessions.sockets import message_payload

    with app.app_context():
        for message in db.session.scalars(select(ChatMessage)):
            chat_html = message_payload(message, 0)["html"]
            problems += [f"/chat message: {x}" for x in live_markup(chat_html)]
            rendered |= seen(html.unescape(chat_html))

    print(
        f"\n{len(numbered)} columns of people's text; {len(rendered & set(numbered))} seen on "
        f"{reached} pages and downloads and on the sockets; never shown: "
        f"{sorted(numbered[n] for n in set(numbered) - rendered)}"
    )
    assert problems == []
    # Not a test that cannot fail: most of the columns were shown somewhere, escaped.
    assert len(rendered & set(numbered)) >= len(numbered) // 2

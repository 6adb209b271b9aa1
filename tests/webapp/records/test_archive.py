"""The export's shape: every section, in order, dates as text, a zip with a README."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from webapp.records import archive

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


def empty() -> dict[str, list[dict[str, object]]]:
    return {key: [] for key in archive.SECTION_KEYS}


def test_sections_are_described_once_each():
    assert len(set(archive.SECTION_KEYS)) == len(archive.SECTIONS)
    assert all(section.title and section.description for section in archive.SECTIONS)


def test_a_missing_or_unknown_section_is_refused():
    sections = empty()
    del sections["chat_transcripts"]
    with pytest.raises(ValueError, match="chat_transcripts"):
        archive.document(subject="A", generated_at=NOW, sections=sections)
    with pytest.raises(ValueError, match="surprise"):
        archive.document(subject="A", generated_at=NOW, sections=empty() | {"surprise": []})


def test_dates_and_times_become_iso_text_and_naive_times_are_refused():
    sections = empty() | {"appointments": [{"at": NOW, "on": date(2026, 1, 2), "n": [1, None]}]}
    doc = archive.document(subject="A", generated_at=NOW, sections=sections)
    assert doc["sections"]["appointments"] == [
        {"at": "2026-12-06T09:00:00+00:00", "on": "2026-01-02", "n": [1, None]}
    ]
    with pytest.raises(ValueError, match="aware"):
        archive.document(
            subject="A",
            generated_at=NOW,
            sections=empty() | {"appointments": [{"at": datetime(2026, 1, 1)}]},  # noqa: DTZ001
        )
    with pytest.raises(ValueError, match="type"):
        archive.document(
            subject="A", generated_at=NOW, sections=empty() | {"profile": [{"x": {1}}]}
        )


texts = st.text(max_size=40)
rows = st.lists(st.dictionaries(st.text(min_size=1, max_size=10), texts, max_size=4), max_size=3)


@given(texts, rows)
def test_the_zip_round_trips_any_text(subject, chat):
    doc = archive.document(
        subject=subject, generated_at=NOW, sections=empty() | {"chat_transcripts": chat}
    )
    data = archive.zip_archive(doc, "Service")
    with zipfile.ZipFile(io.BytesIO(data)) as packed:
        assert packed.namelist() == [archive.README_NAME, archive.JSON_NAME]
        assert json.loads(packed.read(archive.JSON_NAME)) == doc
        readme = packed.read(archive.README_NAME).decode("utf-8")
    assert f"chat_transcripts ({len(chat)})" in readme
    assert archive.zip_archive(doc, "Service") == data  # the same data, the same bytes


@pytest.mark.parametrize(
    ("key", "value", "shown"),
    [
        ("attendance_code", "5", "Attended on time (5)"),
        ("issue_type", "low_mood", None),  # replaced below by the code list's own words
        ("starts_at", "2026-11-22T10:00:00+00:00", "22 November 2026, 10:00am"),
        ("starts_at", "2026-07-01T10:00:00+00:00", "1 July 2026, 11:00am"),  # BST
        ("due_on", "2027-01-06", "6 January 2027"),
        ("state", "in_treatment", "in treatment"),
        ("body", "Keep the diary", None),
        ("body", "see_my_gp", None),  # what a person wrote is never reworded
        ("contact_minutes", 50, None),
    ],
)
def test_the_printable_page_reads_stored_values_as_words(key, value, shown):
    if key == "issue_type":
        shown = f"{archive.CODE_WORDS['issue_type'][value]} ({value})"
    assert archive.field_text(key, value) == shown


def test_field_labels_read_as_english():
    assert archive.field_label("mobile_e164") == "Mobile number"
    assert archive.field_label("is_muted") == "Muted"
    assert archive.field_label("opened_at") == "Opened at"

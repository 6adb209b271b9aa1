"""Journey 3 (issue #11): a commissioner signs in (password and security code), opens the monthly
report, sees its tables and charts, and downloads it as a spreadsheet, which holds the report's
sections as sheets with the same figures as the page.

The commissioner (Chris Patel) and the month's activity come from the demo world; everything the
commissioner does goes through the browser, at a desktop's width.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from tests.browser import AXE, needs_chromium
from tests.webapp.journeys.journey import Journey
from webapp.demo import demo_email

pytestmark = [
    *needs_chromium,
    # The threaded server's file responses are closed by the browser hanging up, not by us.
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
    pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed (make setup)"),
]

LONDON = ZoneInfo("Europe/London")

# Every row of every report table as the page shows it: [table title, row header, cells...].
PAGE_ROWS = """() => [...document.querySelectorAll('.app-report-table')].flatMap(table =>
    [...table.querySelectorAll('tbody tr')].map(row => [
        table.querySelector('h3').textContent.trim(),
        ...[...row.children].map(cell => cell.textContent.trim()),
    ]))"""


def test_a_commissioner_opens_the_monthly_report_and_downloads_it_as_a_spreadsheet(
    journey: Journey, tmp_path: Path
):
    commissioner = journey.person("commissioner", width=1280, downloads=True)
    commissioner.sign_in(demo_email("commissioner"), totp=True)
    commissioner.follow_menu("Reports")
    commissioner.heading("Reports")

    month = datetime.now(LONDON).strftime("%B %Y")
    commissioner.follow(f"Monthly report for {month}")
    commissioner.heading(f"Monthly report: {month}")
    page = commissioner.page
    sections = page.locator("nav[aria-label='Sections of this report'] a").all_inner_texts()
    assert len(sections) >= 5, sections
    assert page.locator(".app-report-table table").count() >= 10
    charts = page.locator("figure.app-report-chart img")
    assert charts.count() >= 1
    assert (charts.first.get_attribute("src") or "").startswith("data:image/")
    rows = page.evaluate(PAGE_ROWS)
    # The demo month has activity: some published figure is a real count, not all hidden.
    counted = [row for row in rows if any(cell.isdigit() and cell != "0" for cell in row[2:])]
    assert counted, rows[:10]

    with page.expect_download() as download:
        page.get_by_role("link", name="Download as a spreadsheet (XLSX)").click()
    saved = tmp_path / download.value.suggested_filename
    assert saved.suffix == ".xlsx"
    download.value.save_as(saved)
    workbook = openpyxl.load_workbook(saved)

    assert [title[:31] for title in sections] == workbook.sheetnames[: len(sections)]
    assert workbook.sheetnames[-1] == "About"
    sheet_rows = [
        [str(value) for value in row if value is not None]
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
    ]
    # Every counted row of the page is a row of the spreadsheet, figure for figure.
    for _table, *row in counted:
        assert row in sheet_rows, row
    journey.finish()

"""The report pages: who may see them, what they show, and their downloads."""

from __future__ import annotations

import base64
import io
import re
import zipfile
from datetime import UTC, date, datetime

import pytest

from webapp.models import Role

APRIL = "/reports/monthly/2026/4"


def test_the_commissioner_sees_the_monthly_report_with_charts_beside_tables(
    client, login_as, month
):
    login_as(Role.COMMISSIONER)
    page = client.get(APRIL)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<h1>Monthly report: April 2026</h1>" in html
    assert 'id="table-headline"' in html and 'id="table-by_ethnicity"' in html
    uris = re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', html)
    assert uris
    svg = base64.b64decode(uris[0]).decode()
    assert svg.startswith('<svg role="img"') and "<title>" in svg and "<desc>" in svg
    for patient in month.values():
        assert patient.referral.full_name not in html


@pytest.mark.parametrize("role", [Role.CLINICAL_LEAD, Role.ADMIN])
def test_the_clinical_lead_and_admins_see_reports_but_not_statements(client, login_as, role):
    login_as(role)
    assert client.get("/reports/quarterly/2026/2").status_code == 200
    assert client.get("/reports/statements/2026/4").status_code == 403


@pytest.mark.parametrize("role", [Role.PATIENT, Role.THERAPIST, Role.MODERATOR])
def test_patients_therapists_and_moderators_are_refused(client, login_as, role):
    login_as(role)
    for path in (APRIL, f"{APRIL}/csv", f"{APRIL}/xlsx", f"{APRIL}/print", "/reports/"):
        assert client.get(path).status_code == 403, path


def test_someone_signed_out_is_refused(client):
    assert client.get(APRIL).status_code in (302, 401)


def test_an_impossible_period_is_not_found(client, login_as):
    login_as(Role.COMMISSIONER)
    assert client.get("/reports/monthly/2026/13").status_code == 404
    assert client.get("/reports/quarterly/2026/5").status_code == 404


def test_a_period_not_yet_begun_is_not_found_and_one_under_way_is_reported(client, login_as):
    """A future month's report would be all zeros, and could be taken for a real one."""
    login_as(Role.COMMISSIONER)
    today = datetime.now(UTC).date()
    following = date(today.year + (today.month == 12), today.month % 12 + 1, 1)
    for path in (
        f"/reports/monthly/{following.year}/{following.month}",
        f"/reports/monthly/{following.year}/{following.month}/csv",
        f"/reports/quarterly/{today.year + 1}/1",
        f"/reports/statements/{following.year}/{following.month}",
    ):
        assert client.get(path).status_code == 404, path
    assert client.get(f"/reports/monthly/{today.year}/{today.month}").status_code == 200


def test_a_period_under_way_says_it_is_provisional_on_the_page_and_in_every_download(
    client, login_as
):
    login_as(Role.COMMISSIONER)
    today = datetime.now(UTC).date()
    note = f"(provisional: to {today.day} {today:%B %Y}, the period is not over)"
    quarter = (today.month - 1) // 3 + 1
    for path in (
        f"/reports/monthly/{today.year}/{today.month}",
        f"/reports/monthly/{today.year}/{today.month}/csv",
        f"/reports/quarterly/{today.year}/{quarter}",
        f"/reports/statements/{today.year}/{today.month}",
        f"/reports/statements/{today.year}/{today.month}/csv",
    ):
        assert note in client.get(path).get_data(as_text=True), path
    xlsx = client.get(f"/reports/monthly/{today.year}/{today.month}/xlsx")
    with zipfile.ZipFile(io.BytesIO(xlsx.data)) as book:
        assert "provisional" in book.read("xl/sharedStrings.xml").decode()
    assert "provisional" not in client.get(APRIL).get_data(as_text=True)  # a month that is over


def test_downloads_csv_xlsx_and_a_printable_page(client, login_as, month):
    login_as(Role.COMMISSIONER)
    csv = client.get(f"{APRIL}/csv")
    assert csv.mimetype == "text/csv" and "attachment" in csv.headers["Content-Disposition"]
    assert "Finished a course of treatment,5,5," in csv.get_data(as_text=True)
    xlsx = client.get(f"{APRIL}/xlsx")
    with zipfile.ZipFile(io.BytesIO(xlsx.data)) as book:
        assert 'name="National measures"' in book.read("xl/workbook.xml").decode()
        sheets = [book.read(name).decode() for name in book.namelist() if "worksheets/" in name]
    # figures are numbers a spreadsheet can sum ("*" and words stay text)
    assert any(re.search(r'<c r="[A-Z]+\d+"( s="\d+")?><v>5</v>', sheet) for sheet in sheets)
    printable = client.get(f"{APRIL}/print").get_data(as_text=True)
    assert "Printable page" not in printable and "Back to the report" in printable


def test_the_index_links_reports_and_only_the_commissioner_gets_statements(client, login_as):
    login_as(Role.CLINICAL_LEAD)
    page = client.get("/reports/").get_data(as_text=True)
    assert "/reports/monthly/" in page and "/reports/quarterly/" in page
    assert "/reports/statements/" not in page

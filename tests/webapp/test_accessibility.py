"""Every page each demo account can reach, checked by axe-core (WCAG 2.2 A and AA) and for
sideways scrolling on a 320-pixel-wide screen, in Debian's chromium.

The pages are found by following links from each role's home page, so a new page is checked as
soon as something links to it. Pages of one shape (/booking/therapists/1 and /2) are checked
once. axe-core comes from npm (package.json) and is injected into each page for the check only.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urldefrag, urlsplit

import pyotp
import pytest

from tests.browser import (
    AXE,
    axe_violations,
    keep_screenshot,
    launch,
    live_server,
    needs_chromium,
)
from webapp.demo import DEMO_PASSWORD, demo_email, demo_totp_secret

pytestmark = [
    *needs_chromium,
    # The threaded server's file responses are closed by the browser hanging up, not by us.
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
    pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed (make setup)"),
]

PAGES_PER_ACCOUNT = 40
# Links that change state, download a file or leave the site are not pages to check.
NOT_PAGES = re.compile(r"/sign-out|/csv$|/xlsx$|/json$|/photo$|/static/|/assets/|/download")

ACCOUNTS = {
    "signed-out": None,
    "patient": "patient",
    "therapist": "priya.nair",
    "moderator": "moderator",
    "clinical-lead": "clinical.lead",
    "commissioner": "commissioner",
    "admin": "admin",
}


def _sign_in(page: Any, base: str, local_part: str) -> None:
    email = demo_email(local_part)
    page.goto(base + "/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    if "/sign-in/security-code" in page.url:
        page.get_by_label("Security code").fill(pyotp.TOTP(demo_totp_secret(email)).now())
        page.get_by_role("button", name="Continue").click()
    assert "/sign-in" not in page.url, f"{email} could not sign in"


def _shape(url: str) -> str:
    return re.sub(r"/\d+", "/N", urlsplit(url).path)


def _links(page: Any, base: str) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(link => link.href)")
    found = []
    for href in hrefs:
        url = urldefrag(href).url
        if url.startswith(base) and not NOT_PAGES.search(urlsplit(url).path):
            found.append(url)
    return found


def _check(page: Any) -> list[str]:
    problems = axe_violations(page)
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > 320:
        problems.append(f"scrolls sideways at 320px ({width}px wide)")
    return problems


def _walk(
    page: Any, base: str, account: str, checked: set[str]
) -> tuple[set[str], dict[str, list[str]]]:
    """Follow links breadth-first from the account's home page, skipping pages an earlier account
    has checked (shared pages differ only in the header); problems by page."""
    problems: dict[str, list[str]] = {}
    if ACCOUNTS[account]:
        _sign_in(page, base, ACCOUNTS[account])
    queue, seen = [page.url if ACCOUNTS[account] else base + "/"], set()
    while queue and len(seen) < PAGES_PER_ACCOUNT:
        url = queue.pop(0)
        if _shape(url) in seen or (seen and _shape(url) in checked):
            continue
        seen.add(_shape(url))
        checked.add(_shape(url))
        response = page.goto(url)
        if response is None or response.status >= 400 or not page.url.startswith(base):
            continue
        if page_problems := _check(page):
            problems[f"{account} {_shape(page.url)}"] = page_problems
        queue.extend(_links(page, base))
    return seen, problems


def test_every_page_each_role_reaches_passes_axe_at_320_pixels(app, engine, tmp_path, request):
    from playwright.sync_api import sync_playwright

    problems: dict[str, list[str]] = {}
    reached: dict[str, int] = {}
    checked: set[str] = set()
    with live_server(app, engine, tmp_path, demo=True) as base, sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            for account in ACCOUNTS:
                # bypass_csp lets the test inject axe; the site's own CSP is tested elsewhere.
                context = browser.new_context(
                    viewport={"width": 320, "height": 720}, bypass_csp=True
                )
                page = context.new_page()
                page.set_default_timeout(20_000)
                try:
                    seen, found = _walk(page, base, account, checked)
                except BaseException:
                    keep_screenshot(page, f"{request.node.name}-{account}")
                    raise
                reached[account] = len(seen)
                problems.update(found)
                context.close()
        finally:
            browser.close()
    assert all(count >= 2 for count in reached.values()), reached
    assert not problems, "\n".join(f"{where}: {found}" for where, found in sorted(problems.items()))

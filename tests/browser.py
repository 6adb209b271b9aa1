"""Browser tests' shared parts: the app served from a thread on its own SQLite file, and Debian's
chromium launched through Playwright with nothing allowed off the machine.

Never `playwright install`: it downloads a browser, and the tests use Debian's.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine
from werkzeug.serving import WSGIRequestHandler, make_server

from webapp import create_app
from webapp.config import PROJECT_ROOT, TestConfig
from webapp.extensions import db
from webapp.jobs import bind_app
from webapp.migrate import upgrade

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"

needs_chromium = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed"),
]


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args: object, **kwargs: object) -> None:
        pass


@dataclass(frozen=True)
class Served:
    url: str
    app: Flask  # the served app, for its recording email and SMS outboxes


def _not_ready(environ: Any, start_response: Any) -> list[bytes]:
    start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
    return [b"starting"]


@contextmanager
def serve(
    suite_app: Flask,
    suite_engine: Engine,
    tmp_path: Path,
    *,
    demo: bool = False,
    settings: Mapping[str, object] | None = None,
) -> Iterator[Served]:
    """The app on a temporary SQLite file (with the demo world if asked), served from a thread,
    with `settings` over TestConfig; the suite's app and database are put back afterwards.

    The werkzeug server serves Socket.IO too (WebSocket through `werkzeug.socket`, else
    long-polling), and SITE_URL is the server's own address, so the handshake's Origin check
    passes as it would in production."""
    server = make_server("127.0.0.1", 0, _not_ready, threaded=True, request_handler=_Quiet)
    site = f"http://127.0.0.1:{server.server_port}"
    url = f"sqlite:///{tmp_path / 'browser.db'}"
    config = type(
        "BrowserConfig",
        (TestConfig,),
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SERVER_NAME": None,
            "SITE_URL": site,
            "PUBLIC_FORM_RATE_LIMIT": "200 per minute",
            "EMAIL_OUTBOX_DIR": tmp_path / "outbox",
            **(settings or {}),
        },
    )
    try:
        browser_app = create_app(config)
        with browser_app.app_context():
            upgrade(url)
        if demo:
            result = browser_app.test_cli_runner().invoke(args=["seed-demo"])
            assert result.exit_code == 0, result.output
        server.app = browser_app
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield Served(site, browser_app)
        finally:
            server.shutdown()
            thread.join(timeout=5)
    finally:
        server.server_close()
        assert db.engine is not None
        db.engine.dispose()
        db.engine = suite_engine  # the suite's database and app again
        db.bind(suite_engine)
        bind_app(suite_app)


@contextmanager
def live_server(
    suite_app: Flask, suite_engine: Engine, tmp_path: Path, *, demo: bool = False
) -> Iterator[str]:
    """`serve`, for tests that need only the address."""
    with serve(suite_app, suite_engine, tmp_path, demo=demo) as served:
        yield served.url


def launch(playwright: Any) -> Any:
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM),
        headless=True,
        # Nothing leaves the machine: other hosts (the NHS.UK font host) fail at once.
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        ],
    )


def keep_screenshot(page: Any, name: str) -> None:
    """A failing journey's last screen, kept as a test artefact."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


SCREENSHOT_WIDTHS = (360, 1280)


def keep_screenshots(pages: Iterable[tuple[str, Any]], name: str) -> None:
    """Each open page of a failing journey at a phone's and a desktop's width, as artefacts
    (test-artifacts/NAME-WHO-360.png and -1280.png). Best effort: a page that cannot be drawn
    (closed, crashed) is skipped, so the journey's own error is the one reported."""
    for who, page in pages:
        try:
            height = page.viewport_size["height"] if page.viewport_size else 800
            for width in SCREENSHOT_WIDTHS:
                page.set_viewport_size({"width": width, "height": height})
                keep_screenshot(page, f"{name}-{who}-{width}")
        except Exception:  # noqa: S112 - the journey's failure matters, not this one
            continue


WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def axe_violations(page: Any) -> list[str]:
    """axe-core's WCAG 2.2 A and AA violations on the page as it is now, one line each. The page's
    context needs bypass_csp=True for the script to be injected."""
    page.add_script_tag(path=str(AXE))
    # resultTypes: only violations are collected in full, which makes each run much quicker.
    result = page.evaluate(
        "tags => axe.run(document,"
        " {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        WCAG_TAGS,
    )
    problems = []
    for violation in result["violations"]:
        targets = [", ".join(node["target"]) for node in violation["nodes"][:3]]
        problems.append(f"{violation['id']} ({violation['impact']}): {targets}")
    return problems

"""Browser tests' shared parts: the app served from a thread on its own SQLite file, and Debian's
chromium launched through Playwright with nothing allowed off the machine.

Never `playwright install`: it downloads a browser, and the tests use Debian's.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
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


@contextmanager
def live_server(
    suite_app: Flask, suite_engine: Engine, tmp_path: Path, *, demo: bool = False
) -> Iterator[str]:
    """The app on a temporary SQLite file (with the demo world if asked), served from a thread;
    the suite's app and database are put back afterwards."""
    url = f"sqlite:///{tmp_path / 'browser.db'}"
    config = type(
        "BrowserConfig",
        (TestConfig,),
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SERVER_NAME": None,
            "PUBLIC_FORM_RATE_LIMIT": "200 per minute",
            "EMAIL_OUTBOX_DIR": tmp_path / "outbox",
        },
    )
    browser_app = create_app(config)
    with browser_app.app_context():
        upgrade(url)
    if demo:
        result = browser_app.test_cli_runner().invoke(args=["seed-demo"])
        assert result.exit_code == 0, result.output
    server = make_server("127.0.0.1", 0, browser_app, threaded=True, request_handler=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        assert db.engine is not None
        db.engine.dispose()
        db.engine = suite_engine  # the suite's database and app again
        db.bind(suite_engine)
        bind_app(suite_app)


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

"""Background jobs with Huey: SQLite by default, Redis when REDIS_URL is set.

Run the consumer with `huey_consumer webapp.jobs.huey -k greenlet -w 50` (Redis) or
`huey_consumer webapp.jobs.huey` (SQLite). Tasks are named, thin and idempotent, take ids, and
run inside an application context (`app_task`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from huey import Huey, RedisHuey, SqliteHuey

from webapp.config import INSTANCE_DIR

F = TypeVar("F", bound=Callable[..., Any])


def _make_huey() -> Huey:
    redis_url = os.environ.get("REDIS_URL")
    if redis_url:
        return RedisHuey("talking-therapies", url=redis_url)
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("talking-therapies", filename=str(INSTANCE_DIR / "jobs.db"))


huey = _make_huey()
_app: Any = None


def bind_app(app: Any) -> None:
    """create_app binds itself, so tasks run with the same configuration and extensions."""
    global _app
    _app = app
    huey.immediate = bool(app.config["HUEY_IMMEDIATE"])


def _application() -> Any:
    if _app is None:  # in the consumer process nothing has created the app yet
        from webapp import create_app

        bind_app(create_app())
    return _app


def app_task(**task_options: Any) -> Callable[[F], F]:
    """`@app_task(retries=3, retry_delay=60)`: a Huey task run inside an app context."""

    def decorate(function: F) -> F:
        @wraps(function)
        def in_app_context(*args: Any, **kwargs: Any) -> Any:
            from flask import has_app_context

            if has_app_context():
                return function(*args, **kwargs)
            with _application().app_context():
                return function(*args, **kwargs)

        return huey.task(name=function.__name__, **task_options)(in_app_context)  # type: ignore[no-any-return]

    return decorate

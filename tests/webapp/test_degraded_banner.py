"""Staff see on every page what is not working fully while Redis is down; patients do not;
and the look at Redis is taken at most every CHECK_EVERY_SECONDS per instance."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from webapp import health
from webapp.models import Role

BANNER = 'id="degraded-service"'
DOWN = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture(autouse=True)
def fresh_look(app: Any) -> Iterator[None]:
    app.extensions.pop("service_health", None)
    yield
    app.extensions.pop("service_health", None)


@pytest.fixture
def redis_down(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "REDIS_URL", DOWN)


@pytest.mark.parametrize(
    ("role", "page"),
    [
        (Role.THERAPIST, "/therapist/"),
        (Role.MODERATOR, "/moderation/"),
        (Role.CLINICAL_LEAD, "/clinical/"),
        (Role.ADMIN, "/admin/users"),
    ],
)
def test_staff_are_told_what_is_degraded_on_their_pages(login_as, client, redis_down, role, page):
    login_as(role)
    response = client.get(page)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert BANNER in html
    assert "Some of the service is not working fully" in html
    assert "booking confirmations and reminders are not queued" in html


def test_patients_and_visitors_are_not_shown_the_operators_details(login_as, client, redis_down):
    assert BANNER not in client.get("/").get_data(as_text=True)
    login_as(Role.PATIENT)
    response = client.get("/my/")
    assert response.status_code == 200
    assert BANNER not in response.get_data(as_text=True)


def test_no_banner_while_redis_answers(login_as, client, app, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setattr(health, "redis_reachable", lambda url: True)
    login_as(Role.THERAPIST)
    assert BANNER not in client.get("/therapist/").get_data(as_text=True)


def test_redis_is_looked_at_once_per_interval_and_its_return_is_noticed(
    login_as, client, app, monkeypatch
):
    monkeypatch.setitem(app.config, "REDIS_URL", DOWN)
    looks: list[str] = []
    answers = {"reachable": False}

    def reachable(url: str) -> bool:
        looks.append(url)
        return answers["reachable"]

    clock = {"now": 1000.0}
    monkeypatch.setattr(health, "redis_reachable", reachable)
    monkeypatch.setattr(health.time, "monotonic", lambda: clock["now"])
    login_as(Role.THERAPIST)

    for _ in range(3):
        assert BANNER in client.get("/therapist/").get_data(as_text=True)
    assert len(looks) == 1  # one round trip for three pages

    answers["reachable"] = True
    clock["now"] += health.CHECK_EVERY_SECONDS - 0.1
    assert BANNER in client.get("/therapist/").get_data(as_text=True)  # not looked again yet
    clock["now"] += 0.1
    assert BANNER not in client.get("/therapist/").get_data(as_text=True)
    assert len(looks) == 2

"""Every rate limit holds: each trips at its configured threshold, says so plainly, and lets the
person in again once its window has passed; the limits kept in Redis hold across instances.

The limits: sign-in, the security code and two-factor set-up (SIGN_IN_RATE_LIMIT, per address);
every other public form: password reset, invitations, starting, sending or finishing a referral,
practitioner referral (PUBLIC_FORM_RATE_LIMIT, per address); the self-referral's question pages
(REFERRAL_RATE_LIMIT, per address: about 20 of them a referral, and people on one mobile
network or Wi-Fi share an address); community posts, replies and suggestions
(POSTING_RATE_LIMIT, per person); session-room messages (webapp/sessions/rate.py, per person
and room). (The per-account lockout after wrong passwords or security codes is tested in
tests/webapp/auth/test_views.py.) A public form (one anyone may use, in the access matrix)
with no limit fails `test_every_public_form_is_rate_limited`.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis
import time_machine
from flask import Flask, url_for
from flask.testing import FlaskClient
from limits import parse
from sqlalchemy import func, select

from tests.conftest import csrf_token
from tests.webapp.community.conftest import make_member, make_space, post_reply, post_thread
from tests.webapp.sessions.conftest import fast_sign_in
from tests.webapp.test_access_matrix import ACCESS, EVERYONE
from webapp.extensions import db, limiter
from webapp.models import Post
from webapp.security import POSTING_FALLBACK, POSTING_TOO_FAST
from webapp.sessions import rate

# This suite's own database numbers, one per test worker (13 to 15), since the tests that use
# it flush it: two workers sharing one wiped each other's counts mid-test.
REDIS_URL = (
    f"redis://127.0.0.1:6379/{13 + int(os.environ.get('PYTEST_XDIST_WORKER', 'gw0')[2:]) % 3}"
)
NOW = datetime(2030, 3, 4, 10, 0, tzinfo=UTC)
TOO_MANY = "You have tried too many times"

# endpoint -> the setting that limits it
LIMITS = {
    "auth.sign_in": "SIGN_IN_RATE_LIMIT",
    "auth.second_factor": "SIGN_IN_RATE_LIMIT",
    "auth.set_up_two_factor": "SIGN_IN_RATE_LIMIT",
    "auth.forgot_password": "PUBLIC_FORM_RATE_LIMIT",
    "auth.reset_password": "PUBLIC_FORM_RATE_LIMIT",
    "auth.accept_invitation": "PUBLIC_FORM_RATE_LIMIT",
    "referral.start": "PUBLIC_FORM_RATE_LIMIT",
    "referral.question": "REFERRAL_RATE_LIMIT",
    "referral.check_answers": "PUBLIC_FORM_RATE_LIMIT",
    "referral.refer_patient": "PUBLIC_FORM_RATE_LIMIT",
    "referral.finish": "PUBLIC_FORM_RATE_LIMIT",
}
PATH_VALUES = {"token": "not-a-real-token", "slug": "postcode"}


def _threshold(app: Flask, setting: str) -> int:
    return parse(app.config[setting]).amount


def _path(app: Flask, endpoint: str) -> str:
    rule = next(rule for rule in app.url_map.iter_rules() if rule.endpoint == endpoint)
    with app.test_request_context():
        return url_for(endpoint, **{name: PATH_VALUES[name] for name in rule.arguments})


def test_every_public_form_is_rate_limited(app):
    """Anything anyone may post to, signed in or not, has a limit (and a test below)."""
    public_posts = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "POST" in (rule.methods or ()) and ACCESS.get(rule.endpoint) == EVERYONE
    }
    assert public_posts, "the access matrix names no public forms"
    assert sorted(public_posts - set(LIMITS)) == []
    marked = " ".join(limiter.limit_manager._decorated_limits)
    for endpoint in LIMITS:
        view = app.view_functions[endpoint]
        assert f"{view.__module__}.{view.__name__}" in marked, f"{endpoint} has no limit"


@pytest.mark.parametrize("endpoint", sorted(LIMITS))
def test_each_public_limit_trips_at_its_threshold_says_so_and_resets(app, endpoint):
    threshold = _threshold(app, LIMITS[endpoint])
    with time_machine.travel(NOW, tick=False) as clock:
        client = app.test_client()
        token = csrf_token(client, "/sign-in")
        path = _path(app, endpoint)

        def post(client: FlaskClient = client) -> Any:
            return client.post(path, data={"csrf_token": token, "email": "a@example.com"})

        statuses = [post().status_code for _ in range(threshold)]
        assert 429 not in statuses, statuses
        refused = post()
        assert refused.status_code == 429
        page = refused.get_data(as_text=True)
        if endpoint.startswith("referral."):  # no accounts here: the referral's own wording
            assert "Wait a minute, then send this page again" in page
            assert "keep accounts safe" not in page
        else:
            assert TOO_MANY in page and "Wait a minute, then try again" in page
        # Per address: someone else is not held up by it.
        elsewhere = app.test_client()
        elsewhere.environ_base["REMOTE_ADDR"] = "192.0.2.7"
        elsewhere_token = csrf_token(elsewhere, "/sign-in")
        assert elsewhere.post(path, data={"csrf_token": elsewhere_token}).status_code != 429
        clock.shift(timedelta(seconds=61))
        assert post().status_code != 429


def test_a_few_people_referring_themselves_from_one_address_are_not_held_up(app):
    """Three people on one mobile network, each answering a self-referral's 20 or so question
    pages within the same minute: faster than anyone reads, and nobody is refused."""
    with time_machine.travel(NOW, tick=False):
        people = [app.test_client() for _ in range(3)]  # one address: 127.0.0.1
        tokens = []
        for person in people:
            token = csrf_token(person, "/refer-yourself")
            assert person.post("/refer-yourself", data={"csrf_token": token}).status_code == 302
            tokens.append(token)
        for _page in range(20):
            for person, token in zip(people, tokens, strict=True):
                answered = person.post(
                    "/refer-yourself/postcode", data={"csrf_token": token, "postcode": "LS1 4AP"}
                )
                assert answered.status_code != 429


def test_a_refused_referral_page_gives_back_what_was_typed(app):
    threshold = _threshold(app, "REFERRAL_RATE_LIMIT")
    with time_machine.travel(NOW, tick=False):
        client = app.test_client()
        token = csrf_token(client, "/refer-yourself")
        client.post("/refer-yourself", data={"csrf_token": token})
        for _ in range(threshold):
            client.post("/refer-yourself/postcode", data={"csrf_token": token, "postcode": "x"})
        refused = client.post(
            "/refer-yourself/name",
            data={"csrf_token": token, "full_name": "Sam O'Neill", "email": "sam@example.com"},
        )
    page = refused.get_data(as_text=True)
    assert refused.status_code == 429
    assert re.search(
        r">\s*Full name\s*</label>\s*<textarea[^>]*readonly[^>]*>Sam O&#39;Neill<", page
    )
    assert "sam@example.com" in page and token not in page
    assert "Your answers to the earlier questions are kept" in page


def _signed_in(app: Flask, user: Any) -> FlaskClient:
    client = app.test_client()
    fast_sign_in(client, user)
    return client


def _posts() -> int:
    return db.session.scalar(select(func.count()).select_from(Post)) or 0


def test_posting_trips_at_its_threshold_keeps_what_was_typed_and_resets(app):
    threshold = _threshold(app, "POSTING_RATE_LIMIT")
    space = make_space()
    with time_machine.travel(NOW, tick=False) as clock:
        author, other = make_member("calm-heron"), make_member("quiet-otter")
        client = _signed_in(app, author)
        post_thread(client, space.id, "Small steps", "Today I went for a walk.")
        thread_id = db.session.scalar(select(Post.thread_id))
        for n in range(threshold - 1):
            assert post_reply(client, thread_id, f"Reply {n}").status_code == 302
        before = _posts()
        refused = post_reply(client, thread_id, "One reply too many")
        page = refused.get_data(as_text=True)
        assert "nhsuk-error-summary" in page and POSTING_TOO_FAST in page
        assert "One reply too many" in page  # what was typed is kept
        assert _posts() == before
        refused = post_thread(client, space.id, "Another", "A new thread is a post too")
        assert POSTING_TOO_FAST in refused.get_data(as_text=True) and _posts() == before
        # Per person: another member posts on.
        assert post_reply(_signed_in(app, other), thread_id, "Well done").status_code == 302
        clock.shift(timedelta(seconds=61))
        fast_sign_in(client, author)
        assert post_reply(client, thread_id, "A minute later").status_code == 302


def test_a_suggestion_counts_as_posting(app):
    threshold = _threshold(app, "POSTING_RATE_LIMIT")
    space = make_space()
    with time_machine.travel(NOW, tick=False):
        client = _signed_in(app, make_member("calm-heron"))
        for n in range(threshold):
            post_thread(client, space.id, f"Thread {n}", "Something on my mind.")
        token = csrf_token(client, "/community/voice/suggestions/new")
        refused = client.post(
            "/community/voice/suggestions/new",
            data={"csrf_token": token, "title": "Evening groups", "body": "Please."},
        )
        assert POSTING_TOO_FAST in refused.get_data(as_text=True)


# --- limits kept in Redis hold across instances ------------------------------------------------


@pytest.fixture
def shared_redis() -> Iterator[redis.Redis]:
    connection = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        connection.ping()
    except redis.ConnectionError as error:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"Redis is not running: {error}")
    connection.flushdb()
    yield connection
    connection.flushdb()
    connection.close()


@pytest.fixture
def limits_in(app: Flask) -> Iterator[Any]:
    """`limits_in(uri)` starts an instance's limiter afresh on `uri` (as a new process would:
    nothing carried over in memory); the suite's own memory limiter comes back afterwards."""

    def start(uri: str) -> None:
        app.config["RATELIMIT_STORAGE_URI"] = uri
        app.extensions.pop(POSTING_FALLBACK, None)
        limiter.init_app(app)

    yield start
    app.config["RATELIMIT_STORAGE_URI"] = "memory://"
    app.extensions.pop(POSTING_FALLBACK, None)
    limiter.init_app(app)


def _sign_in_attempts(app: Flask, count: int) -> list[int]:
    client = app.test_client()
    token = csrf_token(client, "/sign-in")
    data = {"csrf_token": token, "email": "a@example.com", "password": "not-the-password"}
    return [client.post("/sign-in", data=data).status_code for _ in range(count)]


@pytest.mark.usefixtures("shared_redis")
def test_the_sign_in_limit_in_redis_holds_across_instances(app, limits_in):
    threshold = _threshold(app, "SIGN_IN_RATE_LIMIT")
    first = threshold // 2
    limits_in(REDIS_URL)  # instance A
    assert 429 not in _sign_in_attempts(app, first)
    limits_in(REDIS_URL)  # instance B, sharing A's Redis
    statuses = _sign_in_attempts(app, threshold - first + 1)
    assert 429 not in statuses[:-1] and statuses[-1] == 429
    # Kept in each instance's memory instead, the same attempts would not have tripped it:
    limits_in("memory://")
    assert 429 not in _sign_in_attempts(app, first)
    limits_in("memory://")
    assert 429 not in _sign_in_attempts(app, threshold - first + 1)


@pytest.mark.usefixtures("shared_redis")
def test_the_posting_limit_in_redis_holds_across_instances(app, limits_in):
    threshold = _threshold(app, "POSTING_RATE_LIMIT")
    space = make_space()
    client = _signed_in(app, make_member("calm-heron"))
    limits_in(REDIS_URL)
    for n in range(threshold // 2):
        post_thread(client, space.id, f"Thread {n}", "Something on my mind.")
    limits_in(REDIS_URL)
    for n in range(threshold - threshold // 2):
        post_thread(client, space.id, f"More {n}", "Something else on my mind.")
    refused = post_thread(client, space.id, "Once more", "And again.")
    assert POSTING_TOO_FAST in refused.get_data(as_text=True)


def test_posting_goes_on_and_stays_limited_while_the_limits_redis_is_down(app, limits_in):
    """The load run's Redis fault found every post a 500 (what was typed lost): posting counts
    through the limiter's storage itself, where Flask-Limiter's own memory fallback (for the
    routes it guards) does not reach. It now counts in the instance's memory meanwhile."""
    threshold = _threshold(app, "POSTING_RATE_LIMIT")
    space = make_space()
    client = _signed_in(app, make_member("calm-heron"))
    limits_in("redis://127.0.0.1:1/0")  # nothing listens there
    for n in range(threshold):
        posted = post_thread(client, space.id, f"Thread {n}", "Something on my mind.")
        assert posted.status_code == 302
    refused = post_thread(client, space.id, "Once more", "And again.")
    assert POSTING_TOO_FAST in refused.get_data(as_text=True)
    assert "And again." in refused.get_data(as_text=True)  # what was typed is kept


def test_the_chat_message_limit_in_redis_holds_across_instances(shared_redis):
    """Two instances configured alike (SOCKETIO_MESSAGE_QUEUE naming one Redis) count one
    person's messages together, and forget them once the window has passed."""
    channel = f"test-rate-{secrets.token_hex(4)}"
    instances = []
    for _ in range(2):
        instance = Flask(__name__)
        instance.config.update(SOCKETIO_MESSAGE_QUEUE=REDIS_URL, SOCKETIO_CHANNEL=channel)
        instances.append(rate.for_app(instance))
    a, b = instances
    assert isinstance(a, rate.RedisMessageRate) and a is not b
    limit = a.limit
    moments = [NOW + timedelta(milliseconds=100 * n) for n in range(limit)]
    assert all((a if n % 2 else b).allow("7:3", moment) for n, moment in enumerate(moments))
    later = moments[-1] + timedelta(milliseconds=1)
    assert not a.allow("7:3", later) and not b.allow("7:3", later)
    assert a.allow("7:4", later)  # someone else in the room
    after_window = moments[0] + a.window
    assert b.allow("7:3", after_window)
    assert re.match(rf"{channel}:chat-rate:", next(iter(shared_redis.scan_iter()), b"").decode())


# --- behind a load balancer ----------------------------------------------------------------------


def _sign_in_from(app: Flask, forwarded_for: str, count: int) -> list[int]:
    """Sign-in attempts arriving through a proxy on 127.0.0.1 for the visitor `forwarded_for`."""
    client = app.test_client()
    client.environ_base.update(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=forwarded_for)
    token = csrf_token(client, "/sign-in")
    data = {"csrf_token": token, "email": "a@example.com", "password": "not-the-password"}
    return [client.post("/sign-in", data=data).status_code for _ in range(count)]


def test_behind_a_trusted_proxy_each_visitor_has_their_own_allowance(app, monkeypatch):
    from webapp.security import trust_proxies

    threshold = _threshold(app, "SIGN_IN_RATE_LIMIT")
    monkeypatch.setattr(app, "wsgi_app", app.wsgi_app)  # put back afterwards
    monkeypatch.setitem(app.config, "TRUSTED_PROXIES", 1)
    trust_proxies(app)
    assert _sign_in_from(app, "198.51.100.1", threshold + 1)[-1] == 429
    assert 429 not in _sign_in_from(app, "198.51.100.2", 1)  # another visitor, same proxy


def test_without_a_trusted_proxy_a_forwarded_address_cannot_dodge_the_limit(app):
    threshold = _threshold(app, "SIGN_IN_RATE_LIMIT")
    assert app.config["TRUSTED_PROXIES"] == 0
    assert _sign_in_from(app, "198.51.100.1", threshold + 1)[-1] == 429
    assert _sign_in_from(app, "198.51.100.2", 1) == [429]  # the header is not believed

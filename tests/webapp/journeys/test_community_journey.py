"""Journey 2 (issue #11): a patient joins the community on their phone and posts something that
shows they are at risk; the post is held, the patient is shown where to get help at once, and the
alert arrives on the moderator's live queue (Socket.IO) without the moderator reloading.

The patient (Luca Rossi) and the moderator come from the demo world; everything they do goes
through their browsers.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from tests.browser import AXE, needs_chromium
from tests.webapp.journeys.journey import Journey
from webapp.community import services as community
from webapp.demo import demo_email
from webapp.extensions import db, socketio
from webapp.models import CommunityMember, Space
from webapp.moderation_console import sockets as moderation_sockets
from webapp.realtime import RELAY_WATCH, RelayWatch

pytestmark = [
    *needs_chromium,
    # The threaded server's file responses are closed by the browser hanging up, not by us.
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
    pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed (make setup)"),
]

RISK_POST = "Nothing helps any more. I want to kill myself."


def test_a_risk_post_is_held_and_alerted_on_the_moderators_live_queue(journey: Journey):
    moderator = journey.person("moderator", width=1280)
    moderator.sign_in(demo_email("moderator"), totp=True)
    moderator.follow_menu("Moderation")
    moderator.heading("Moderation queue")
    moderator.sees("Live: new items appear as they arrive.")

    patient = journey.person("patient", width=360)
    patient.sign_in(demo_email("patient6"))
    patient.follow("Go to the community")
    patient.heading("Join the community")
    patient.fill("Your name in the community", "HarbourLight")
    patient.choose("I have read the house rules and agree to follow them")
    patient.press("Join the community")
    patient.sees("Welcome to the community.")
    patient.follow("Low mood")
    patient.follow("Start a conversation")
    patient.fill("Title", "A bad week")
    patient.fill("Your post", RISK_POST)
    patient.press("Post")
    patient.sees("A moderator and our clinical team will see your post soon")
    patient.sees("116 123")

    # The moderator's page was open all along: the alert arrives, clinical risk first.
    first = moderator.page.locator("#queue-items > li").first
    first.filter(has_text=RISK_POST).wait_for()
    assert first.get_attribute("data-risk") == "1"
    assert "HarbourLight" in first.inner_text()
    moderator.sees("New clinical-risk alert from HarbourLight.")
    moderator.check()  # the queue with the live item in it
    moderator.follow(f"Review item {first.get_attribute('data-item-id')}")
    moderator.sees(RISK_POST)
    journey.finish()


def test_with_the_queue_between_instances_down_the_moderator_still_sees_a_new_alert(
    journey: Journey, monkeypatch: pytest.MonkeyPatch
):
    """An alert raised on another instance is not pushed to this moderator's page while Redis
    is down (here: the push is switched off, and the server says the queue is down). The page
    says so, asks for the open queue every few seconds, and the alert appears."""
    app = journey.server.app
    monkeypatch.setattr(socketio, "start_background_task", lambda *args: None)
    down = RelayWatch(socketio, "redis://127.0.0.1:1/0", reachable=lambda _url: False)
    monkeypatch.setitem(app.extensions, RELAY_WATCH, down)
    monkeypatch.setattr(moderation_sockets, "announce", lambda _item: None)

    moderator = journey.person("moderator", width=1280)
    moderator.sign_in(demo_email("moderator"), totp=True)
    moderator.follow_menu("Moderation")
    moderator.sees("Not fully live: some items may take a few seconds to appear.")
    with app.app_context():
        member = db.session.scalars(select(CommunityMember)).first()
        space = db.session.scalars(select(Space)).first()
        assert member is not None and space is not None
        community.start_thread(member, space, "A bad week", RISK_POST, now=datetime.now(UTC))
    moderator.page.locator("#queue-items > li").filter(has_text=RISK_POST).wait_for(timeout=15000)
    moderator.check()
    journey.finish()

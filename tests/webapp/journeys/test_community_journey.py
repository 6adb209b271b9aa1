"""Journey 2 (issue #11): a patient joins the community on their phone and posts something that
shows they are at risk; the post is held, the patient is shown where to get help at once, and the
alert arrives on the moderator's live queue (Socket.IO) without the moderator reloading.

The patient (Luca Rossi) and the moderator come from the demo world; everything they do goes
through their browsers.
"""

from __future__ import annotations

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

"""Journeys on a phone about time and typing: a patient writing their safety plan is warned before
the idle sign-out (WCAG 2.2.1, Timing Adjustable), stays signed in from the warning by keyboard,
is signed out when they let it run out, and gets back what they typed when they press Save
anyway; and in a group meeting a phone's Enter key makes a new line rather than sending.

The idle limit is seconds here rather than 30 minutes (SESSION_IDLE_TIMEOUT and
SESSION_WARNING_BEFORE); the server side is tested in tests/webapp/auth/test_signed_out.py.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.browser import AXE, needs_chromium
from tests.webapp.journeys.journey import Journey
from tests.webapp.journeys.test_group_journey import into_the_room, say
from webapp.demo import demo_email

pytestmark = [
    *needs_chromium,
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
    pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed (make setup)"),
]

IDLE = timedelta(seconds=24)
WARNING_BEFORE = timedelta(seconds=12)
SHORT_LIMITS = {"SESSION_IDLE_TIMEOUT": IDLE, "SESSION_WARNING_BEFORE": WARNING_BEFORE}
WAIT_MS = (IDLE + WARNING_BEFORE).total_seconds() * 1000
TYPED = "I stop answering my phone and stay in bed.\nI stop eating properly."


@pytest.mark.parametrize("journey", [SHORT_LIMITS], indirect=True, ids=["short-idle-limit"])
def test_a_patient_is_warned_stays_signed_in_and_gets_back_what_they_typed(journey: Journey):
    patient = journey.person("patient", width=320)
    patient.sign_in(demo_email("patient"))
    patient.goto("/safety-plan/edit")
    patient.fill("My warning signs", TYPED)  # typing is use: no warning while they are busy
    page = patient.page
    dialog = page.get_by_role("alertdialog", name="You will be signed out soon")

    dialog.wait_for(timeout=WAIT_MS)
    assert page.locator("[data-timeout-action='stay']").evaluate(
        "element => element === document.activeElement"
    ), "the warning did not take the focus"
    assert "without activity" in dialog.inner_text()
    assert dialog.get_by_role("button", name="Sign out").is_visible()
    patient.check()  # axe-core with the warning open, and no sideways scrolling at 320px
    status = page.evaluate("fetch('/session-time').then(r => r.json())")
    page.keyboard.press("Enter")  # "Stay signed in"
    dialog.wait_for(state="hidden")
    stayed = page.evaluate("fetch('/session-time').then(r => r.json())")
    assert stayed["idle_seconds"] > status["idle_seconds"]
    assert page.get_by_label("My warning signs", exact=True).input_value() == TYPED

    # This time they let it run out: the warning says they are signed out, and keeps the page.
    dialog.wait_for(timeout=WAIT_MS)
    ended = page.get_by_role("alertdialog", name="You have been signed out")
    ended.wait_for(timeout=WAIT_MS)
    assert ended.get_by_role("button", name="Sign in again").is_visible()
    patient.check()
    ended.get_by_role("button", name="Close").press("Enter")
    ended.wait_for(state="hidden")
    patient.press("Save your safety plan")
    patient.heading("You have been signed out")
    patient.sees("What you typed has not been saved")
    assert page.get_by_label("My warning signs", exact=True).input_value() == TYPED
    patient.arrive(page.get_by_role("button", name="Sign in again").click)
    patient.sign_in(demo_email("patient"), here=True)
    assert patient.path == "/safety-plan/edit"
    journey.finish()


def test_on_a_phone_enter_makes_a_new_line_and_send_sends(journey: Journey):
    facilitator = journey.person("facilitator", width=1280)
    facilitator.sign_in(demo_email("priya.nair"), totp=True)
    into_the_room(facilitator, re.compile("^Go to the room"))
    member = journey.person("patient", width=360, touch=True)
    member.sign_in(demo_email("patient"))
    into_the_room(member, "Go to the group room")

    member.sees("Enter starts a new line. Press Send to send your message.")
    box = member.page.get_by_label("Your message to the group", exact=True)
    box.tap()
    member.page.keyboard.type("Busy week.")
    member.page.keyboard.press("Enter")
    member.page.keyboard.type("But I tried the breathing exercise.")
    assert box.input_value() == "Busy week.\nBut I tried the breathing exercise."
    assert member.page.locator("#chat-messages li").count() == 0  # nothing sent yet
    member.page.get_by_role("button", name="Send", exact=True).tap()
    facilitator.sees("But I tried the breathing exercise.")

    # With a keyboard and a mouse, Enter still sends.
    facilitator.sees("Press Enter to send, Shift and Enter for a new line.")
    say(facilitator, "Well done for trying it.")
    member.sees("Well done for trying it.")
    member.check()
    journey.finish()

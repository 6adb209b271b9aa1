"""Journey (issue #15): a group meeting with a facilitator and three members, each in their own
browser context. They join the demo world's weekly stress drop-in (meeting now), talk, see one
another only by community handle, and the facilitator mutes one member, whose page stops them
posting at once.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from tests.browser import AXE, needs_chromium
from tests.webapp.journeys.journey import Journey, Person
from webapp.demo import demo_email
from webapp.extensions import db
from webapp.groups import services
from webapp.models import User

pytestmark = [
    *needs_chromium,
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
    pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed (make setup)"),
]

# (demo account, real name, community handle)
MEMBERS = [
    ("patient", "Jamie Taylor", "quiet-owl"),
    ("patient2", "Morgan Lee", "river-stone"),
    ("patient3", "Aisha Begum", "blue-kite"),
]


def into_the_room(person: Person, room_link: str | re.Pattern[str]) -> None:
    person.follow_menu("Groups")
    person.follow("Weekly stress drop-in")
    person.follow(room_link)
    person.sees("Connected.")
    person.check()


def say(person: Person, text: str) -> None:
    person.page.get_by_label("Your message to the group", exact=True).fill(text)
    person.page.keyboard.press("Enter")


def test_a_facilitator_and_three_members_meet_under_handles(journey: Journey):
    facilitator = journey.person("facilitator", width=1280)
    facilitator.sign_in(demo_email("priya.nair"), totp=True)
    into_the_room(facilitator, re.compile("^Go to the room"))

    members = []
    for local, _name, _handle in MEMBERS:
        member = journey.person(local, width=360)
        member.sign_in(demo_email(local))
        into_the_room(member, "Go to the group room")
        members.append(member)
    first, second, third = members
    first.sees("The group sees you as quiet-owl.")

    say(facilitator, "Welcome, everyone. How has this week been?")
    for member in members:
        member.sees("Welcome, everyone. How has this week been?")
    say(first, "Busy, but I tried the breathing exercise.")
    say(second, "Mine was hard. Work has been a lot.")
    third.sees("Mine was hard. Work has been a lot.")
    third.sees("Busy, but I tried the breathing exercise.")

    # Handles, never names: on every member's page, and on the facilitator's.
    for person in (*members, facilitator):
        text = person.page.locator("#chat-messages").inner_text()
        for _local, name, _handle in MEMBERS:
            assert name not in text
    assert "quiet-owl" in third.page.locator("#chat-messages").inner_text()
    assert "river-stone" in first.page.locator("#chat-messages").inner_text()
    third.check()  # the room with live messages in it

    # The facilitator mutes river-stone from the members list.
    facilitator.page.get_by_text("Members", exact=True).click()
    facilitator.page.get_by_role("button", name="Mute river-stone").click()
    facilitator.sees("river-stone is muted.")
    second.sees("A facilitator has muted you for now. You can still read.")
    assert second.page.get_by_label("Your message to the group", exact=True).is_disabled()
    second.check()
    say(first, "Take care, river-stone.")
    second.sees("Take care, river-stone.")
    facilitator.check()
    journey.finish()


RISK_MESSAGE = "I can't see the point any more. I want to kill myself."


def test_a_members_risk_message_is_an_alert_the_facilitator_acknowledges_and_the_moderator_closes(
    journey: Journey,
):
    moderator = journey.person("moderator", width=1280)
    moderator.sign_in(demo_email("moderator"), totp=True)
    moderator.follow_menu("Moderation")
    moderator.sees("Live: new items appear as they arrive.")

    facilitator = journey.person("facilitator", width=1280)
    facilitator.sign_in(demo_email("priya.nair"), totp=True)
    into_the_room(facilitator, re.compile("^Go to the room"))
    local, name, handle = MEMBERS[0]
    member = journey.person(local, width=360)
    member.sign_in(demo_email(local))
    into_the_room(member, "Go to the group room")
    say(member, RISK_MESSAGE)
    member.sees("116 123")  # the crisis routes, at once
    facilitator.sees(RISK_MESSAGE)

    # The moderator's queue was open all along: the alert arrives, with the group it came from.
    card = moderator.page.locator("#queue-items > li").filter(has_text=RISK_MESSAGE)
    card.wait_for()
    assert card.get_attribute("data-risk") == "1"
    assert handle in card.inner_text() and "Weekly stress drop-in" in card.inner_text()
    assert name not in card.inner_text()
    moderator.sees(f"New clinical-risk alert from {handle}.")

    # The facilitator is with the member: they acknowledge it from the room, by keyboard, so
    # the on-call clinician is not texted; the moderator's queue shows it at once.
    facilitator.page.get_by_role("button", name=f"I am checking in with {handle}").focus()
    facilitator.page.keyboard.press("Enter")
    facilitator.sees("Acknowledged by Priya Nair")
    facilitator.check()
    card.filter(has_text="(acknowledged)").wait_for()
    moderator.follow(f"Review item {card.get_attribute('data-item-id')}")
    moderator.sees("Priya Nair")  # whom to call
    moderator.check()  # the alert's page
    moderator.press("Make this decision")
    moderator.sees("Select what to do")  # the error summary; nothing changed
    moderator.choose("Close: a real risk, and the facilitator is looking after the member")
    moderator.fill("Reason (kept in the audit log)", "Spoke to Priya: she is with them now.")
    moderator.press("Make this decision")
    moderator.sees("Closed: the alert has left the queue.")
    assert moderator.page.locator("#queue-items").filter(has_text=RISK_MESSAGE).count() == 0
    journey.finish()


def test_a_message_that_never_reached_the_page_is_fetched_once_a_later_one_shows_the_gap(
    journey: Journey,
):
    """A message stored on another instance while the queue between instances blips is never
    pushed to this page (here: stored without being pushed). The next message shows a skipped
    number; the page asks, and shows the one it missed, in its place."""
    facilitator = journey.person("facilitator", width=1280)
    facilitator.sign_in(demo_email("priya.nair"), totp=True)
    into_the_room(facilitator, re.compile("^Go to the room"))
    member = journey.person("patient", width=360)
    member.sign_in(demo_email("patient"))
    into_the_room(member, "Go to the group room")
    meeting_id = int(member.page.url.rstrip("/").rsplit("/", 1)[-1])

    with journey.server.app.app_context():
        other = db.session.scalar(select(User).where(User.email == demo_email("patient2")))
        assert other is not None
        services.post_message(
            meeting_id,
            other.id,
            other.session_token,
            "lost-on-the-way-1",
            "Lost on the way",
            is_facilitator=False,
            now=datetime.now(UTC),
        )
    say(facilitator, "Thanks, everyone.")
    member.sees("Thanks, everyone.")
    member.sees("Lost on the way")
    shown = member.page.locator("#chat-messages > li").all_inner_texts()
    assert [i for i, text in enumerate(shown) if "Lost on the way" in text] == [
        next(i for i, text in enumerate(shown) if "Thanks, everyone." in text) - 1
    ]  # in its place, before the later one
    journey.finish()

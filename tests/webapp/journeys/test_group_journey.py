"""Journey (issue #15): a group meeting with a facilitator and three members, each in their own
browser context. They join the demo world's weekly stress drop-in (meeting now), talk, see one
another only by community handle, and the facilitator mutes one member, whose page stops them
posting at once.
"""

from __future__ import annotations

import re

import pytest

from tests.browser import AXE, needs_chromium
from tests.webapp.journeys.journey import Journey, Person
from webapp.demo import demo_email

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

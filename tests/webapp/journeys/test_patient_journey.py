"""Journey 1 (issue #11): a person refers themselves on a phone using the keyboard alone, a clinical
lead accepts the referral, the patient sets a password, books a therapist they chose, answers
the pre-session questionnaires, meets the therapist in the session room (two browsers talking
over Socket.IO), and rates the session once it has ended.

Only the clock is set by the test: the journey starts at 6:30am on a Monday, moves to 9:01am for
the session and to 9:51am after it. Everything the patient, the clinical lead and the therapist
do goes through their browsers; staff accounts come from the demo world.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.browser import AXE, needs_chromium
from tests.webapp.journeys.journey import Journey, Person
from webapp.demo import demo_email

pytestmark = [
    *needs_chromium,
    # The threaded server's file responses are closed by the browser hanging up, not by us.
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
    pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed (make setup)"),
]

PATIENT_EMAIL = "robin.phone@example.com"
PATIENT_PASSWORD = "lantern-orchard-kettle"  # a made-up test password
THERAPIST = "Priya Nair"


def test_a_patient_refers_books_meets_their_therapist_and_rates_the_session(journey: Journey):
    patient = journey.person("patient", width=360)
    reference = refer_yourself_by_keyboard(patient)

    lead = journey.person("clinical-lead", width=1280)
    lead.sign_in(demo_email("clinical.lead"), totp=True)
    accept_referral(lead, reference)

    set_password_from_invitation(journey, patient)
    patient.sign_in(PATIENT_EMAIL, PATIENT_PASSWORD)
    book_therapist(patient, THERAPIST)
    (starts,) = journey.appointment_starts(PATIENT_EMAIL)
    answer_questionnaires(patient)

    # The morning of the session: both sign in again (their sign-ins have idled out).
    journey.move_clock_to(starts + timedelta(minutes=1))
    therapist = journey.person("therapist", width=1280)
    therapist.sign_in(demo_email("priya.nair"), totp=True)
    go_to_session_room(therapist, "Session rooms", "Robin Phone")
    patient.sign_in(PATIENT_EMAIL, PATIENT_PASSWORD)
    go_to_session_room(patient, "", THERAPIST)
    chat(patient, therapist)

    journey.move_clock_to(starts + timedelta(minutes=51))
    rate_the_session(patient)
    journey.finish()


def refer_yourself_by_keyboard(patient: Person) -> str:
    """The whole self-referral with Tab, arrows, Space, Enter and typing: no clicks."""
    patient.goto("/")
    patient.key_press("Refer yourself", role="link")
    patient.key_press("Start now")
    patient.key_fill("Day", "17")
    patient.key_fill("Month", "5")
    patient.key_fill("Year", "1990")
    patient.key_press("Continue")
    patient.key_fill("What is your postcode?", "LS1 4AP")
    patient.key_press("Continue")
    patient.key_fill("What is your full name?", "Robin Phone")
    patient.key_press("Continue")
    patient.key_fill("Email address", PATIENT_EMAIL)
    patient.key_fill("UK mobile number (optional)", "07700 900 123")
    patient.key_press("Continue")
    patient.key_press("Continue")  # GP practice is optional: not registered
    patient.key_choose("Stress")
    patient.key_press("Continue")
    patient.key_press("Continue")  # nothing chosen: the page says what to do
    patient.sees("There is a problem")
    for answer in (
        "No, none of these",
        "Prefer not to say",  # gender
        "White: British",
        "Prefer not to say",  # sexual orientation
        "No",  # disability
        "No religion",
        "No",  # long-term condition
        "On my own",
        "Employed",
        "A poster or leaflet",
    ):
        patient.key_choose(answer)
        patient.key_press("Continue")
    patient.key_tick("Text message")
    patient.key_choose("No")  # no interpreter
    patient.key_press("Continue")
    patient.key_tick(re.compile("I agree to the service using my information"))
    patient.key_press("Continue")
    patient.heading("Check your answers before sending your referral")
    patient.sees("Robin Phone")
    patient.key_press("Send referral")
    patient.heading("Referral sent")
    reference = patient.page.locator(".nhsuk-panel strong").inner_text()
    assert re.fullmatch(r"TT-[0-9A-Z]{6}", reference)
    return reference


def accept_referral(lead: Person, reference: str) -> None:
    lead.goto("/referrals/")  # the lead's menu is long enough that Referrals folds under "More"
    lead.follow(re.compile(reference))
    lead.sees("Robin Phone")
    lead.choose("Accept")
    lead.press("Save decision")
    lead.sees(f"Referral {reference} accepted")


def set_password_from_invitation(journey: Journey, patient: Person) -> None:
    (invitation,) = journey.emails_to(PATIENT_EMAIL)
    link = re.search(r"https?://\S+/invitation/\S+", invitation.body)
    assert link, invitation.body
    patient.goto(link.group(0).removeprefix(journey.server.url))
    patient.fill("New password", PATIENT_PASSWORD)
    patient.fill("Confirm new password", PATIENT_PASSWORD)
    patient.press("Create password")


def book_therapist(patient: Person, name: str) -> None:
    patient.follow("Choose a therapist and book")
    patient.follow(name)
    first_slot = patient.page.locator("a.app-slot").first
    patient.arrive(first_slot.click)
    patient.heading("Check your appointment")
    patient.sees(name)
    patient.press("Book this appointment")
    patient.sees(re.compile("booked", re.IGNORECASE))


def answer_questionnaires(patient: Person) -> None:
    patient.goto("/my/")
    patient.follow("Answer your questionnaires before this appointment")
    patient.follow("Start")
    for _page in range(30):
        if (
            "/questionnaires/appointments/" not in patient.page.url
            or patient.page.get_by_text("You have answered everything").count()
        ):
            break
        for group in patient.page.locator("fieldset").all():
            radios = group.locator('input[type="radio"]')
            if radios.count():
                radios.first.check()
        patient.press("Save and continue")
        assert not patient.page.get_by_text("There is a problem").count(), patient.path
    patient.sees("You have answered everything")


def go_to_session_room(person: Person, menu: str, with_whom: str) -> None:
    if menu:
        person.follow_menu(menu)
        card = person.page.locator("li.nhsuk-card", has_text=with_whom)
        person.arrive(card.get_by_role("link", name="Go to the session room").click)
    else:  # the patient's home page links to the room once it opens
        person.follow("Join your session now")
    person.page.locator("#chat-status", has_text="Connected.").wait_for()
    person.check()


def chat(patient: Person, therapist: Person) -> None:
    send(patient, "Hello, I have been feeling stressed at work.")
    arrives(therapist, "feeling stressed at work")
    send(therapist, "Thank you for telling me. What happens when it starts?")
    arrives(patient, "What happens when it starts?")
    patient.check()
    therapist.check()


def send(person: Person, text: str) -> None:
    person.page.get_by_label("Your message").fill(text)
    person.page.get_by_role("button", name="Send", exact=True).click()
    arrives(person, text)


def arrives(person: Person, text: str) -> None:
    person.page.locator("#chat-messages li[data-sequence]", has_text=text).wait_for()


def rate_the_session(patient: Person) -> None:
    patient.page.get_by_text("The session has ended.").wait_for()
    assert patient.page.locator("#chat-clock").inner_text() == "0:00"
    patient.follow("Rate the session and add your own notes")
    if "/sign-in" in patient.page.url:  # their sign-in idled out during the session
        patient.sign_in(PATIENT_EMAIL, PATIENT_PASSWORD, here=True)
    patient.heading("Rate your session")
    for group in patient.page.locator("fieldset").all():
        group.locator('input[type="radio"]').last.check()
    patient.press("Send my rating")
    patient.sees("Thank you for rating your session")

"""What the browser journeys share: a served app on a clock of the test's choosing, and people,
each in their own browser context, whose every page is checked by axe-core as they reach it.

A journey is a test that takes the `journey` fixture (conftest.py), brings people in with
`journey.person(...)`, drives their pages only through what a person can do (links, buttons,
fields, keys), and ends with `journey.finish()`, which fails on any accessibility problem found
on the way or on any page reached but never checked. A new journey (the commissioner's monthly
report, when reports land) is one more test in this folder:

    def test_a_commissioner_downloads_the_monthly_report(journey):
        commissioner = journey.person("commissioner", width=1280, downloads=True)
        commissioner.sign_in(demo_email("commissioner"), totp=True)
        commissioner.follow_menu("Reports")
        ...
        with commissioner.page.expect_download() as download:
            commissioner.page.get_by_role("link", name="Download (XLSX)").click()
        ...
        journey.finish()
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pyotp
from sqlalchemy import select

from tests.browser import Served, axe_violations, keep_screenshots
from webapp.demo import DEMO_PASSWORD, demo_totp_secret
from webapp.extensions import db
from webapp.models import Appointment, User

ACTION_TIMEOUT_MS = 20_000  # generous: the machine is shared, and each template compiles once
PHONE_WIDTH = 360
FOCUS_SHOWN = """element => {
    // How the element looks (and, for the design system's radios and checkboxes, the box drawn
    // by its label), focused and then not: the focus must change something a person can see.
    const label = element.labels && element.labels[0]
    const look = () => [getComputedStyle(element), label && getComputedStyle(label, '::before')]
        .filter(Boolean)
        .map((s) => [s.boxShadow, s.outlineStyle, s.outlineWidth, s.outlineColor,
                     s.backgroundColor, s.color, s.textDecorationLine].join(' '))
        .join(' | ')
    const focused = look()
    element.blur()
    const unfocused = look()
    element.focus()
    return focused !== unfocused
}"""


@dataclass
class Person:
    """One person at one browser page. Methods that change the page check the page they arrive
    on (axe-core, and at phone width no sideways scrolling) and record what they find."""

    who: str
    page: Any
    base: str
    width: int
    problems: dict[str, list[str]]
    reached: list[str] = field(default_factory=list)
    checked: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.page.set_default_timeout(ACTION_TIMEOUT_MS)
        self.page.on("framenavigated", self._reached)

    def _reached(self, frame: Any) -> None:
        if frame == self.page.main_frame and frame.url.startswith(self.base):
            self.reached.append(frame.url)

    # Checking pages

    def check(self) -> None:
        """Check the page as it is now (after a navigation, or after live content arrived)."""
        self.page.wait_for_load_state()
        found = axe_violations(self.page)
        if self.width <= PHONE_WIDTH:
            scroll = self.page.evaluate("document.documentElement.scrollWidth")
            if scroll > self.width:
                found.append(f"scrolls sideways at {self.width}px ({scroll}px wide)")
        if found:
            self.problems[f"{self.who} {self.path}"] = found
        self.checked.add(self.page.url)

    @property
    def path(self) -> str:
        return self.page.url.removeprefix(self.base)

    def unchecked(self) -> list[str]:
        return [url for url in dict.fromkeys(self.reached) if url not in self.checked]

    def arrive(self, action: Callable[[], object]) -> None:
        """Do something that loads a new page, wait for it, and check it."""
        with self.page.expect_navigation():
            action()
        self.check()

    # Doing things, as a person with a mouse or a finger would

    def goto(self, path: str) -> None:
        self.page.goto(self.base + path)
        self.check()

    def follow(self, link: str | re.Pattern[str], *, exact: bool = False) -> None:
        self.arrive(lambda: self.page.get_by_role("link", name=link, exact=exact).first.click())

    def follow_menu(self, link: str) -> None:
        """A header link; on a narrow screen it may be behind the "More" button."""
        target = self.page.get_by_role("navigation").get_by_role("link", name=link, exact=True)
        if not target.is_visible():
            self.page.get_by_role("button", name=re.compile("More$")).click()
        self.arrive(target.click)

    def press(self, button: str | re.Pattern[str]) -> None:
        self.arrive(lambda: self.page.get_by_role("button", name=button, exact=True).click())

    def fill(self, label: str | re.Pattern[str], text: str) -> None:
        self.page.get_by_label(label, exact=True).fill(text)

    def choose(self, label: str | re.Pattern[str]) -> None:
        self.page.get_by_label(label, exact=True).check()

    def sees(self, text: str | re.Pattern[str]) -> None:
        self.page.get_by_text(text).first.wait_for()

    def heading(self, name: str | re.Pattern[str]) -> None:
        self.page.get_by_role("heading", name=name).first.wait_for()

    def sign_in(
        self, email: str, password: str = DEMO_PASSWORD, *, totp: bool = False, here: bool = False
    ) -> None:
        """Sign in from the sign-in page (or, `here=True`, the one the site sent them to)."""
        if not here:
            self.goto("/sign-in")
        self.fill("Email address", email)
        self.fill("Password", password)
        self.press("Sign in")
        if totp:
            self.fill("Security code", pyotp.TOTP(demo_totp_secret(email)).now())
            self.press("Continue")
        assert "/sign-in" not in self.page.url, f"{email} could not sign in"

    # Keyboard only

    def tab_to(self, target: Any, *, most: int = 60) -> None:
        """Press Tab until `target` (a locator) has the focus."""
        for _ in range(most):
            if target.evaluate("element => element === document.activeElement"):
                self._focus_is_visible(target)
                return
            self.page.keyboard.press("Tab")
        raise AssertionError(f"Tab never reached {target} on {self.path}")

    def _focus_is_visible(self, target: Any) -> None:
        """WCAG 2.4.7 (focus visible), which axe-core cannot check: focus changes how the element
        (or a radio's or checkbox's drawn box) looks."""
        if not target.evaluate(FOCUS_SHOWN):
            problem = f"no visible focus on {target}"
            self.problems.setdefault(f"{self.who} {self.path}", []).append(problem)

    def key_fill(self, label: str | re.Pattern[str], text: str) -> None:
        self.tab_to(self.page.get_by_label(label, exact=True))
        self.page.keyboard.press("ControlOrMeta+a")
        self.page.keyboard.type(text)

    def key_tick(self, label: str | re.Pattern[str]) -> None:
        """Tick a checkbox with the space bar."""
        box = self.page.get_by_label(label, exact=True)
        self.tab_to(box)
        if not box.is_checked():
            self.page.keyboard.press("Space")

    def key_choose(self, label: str | re.Pattern[str]) -> None:
        """Choose a radio button (Tab into its group, then the arrow keys, which select) or tick
        a checkbox (Tab to it, then Space)."""
        radio = self.page.get_by_label(label, exact=True)
        if radio.get_attribute("type") == "checkbox":
            self.key_tick(label)
            return
        name = radio.get_attribute("name")
        group = self.page.locator(f'input[type="radio"][name="{name}"]')
        for _ in range(60):
            if group.evaluate_all("radios => radios.includes(document.activeElement)"):
                break
            self.page.keyboard.press("Tab")
        for _ in range(group.count()):
            if radio.evaluate("element => element === document.activeElement"):
                break
            self.page.keyboard.press("ArrowDown")
        if not radio.is_checked():
            self.page.keyboard.press("Space")
        assert radio.is_checked(), f"could not choose {label!r} by keyboard on {self.path}"

    def key_press(self, button: str | re.Pattern[str], *, role: str = "button") -> None:
        """Tab to a button (or a link, role="link") and press Enter: the next page is checked."""
        self.tab_to(self.page.get_by_role(role, name=button, exact=True))  # type: ignore[arg-type]
        self.arrive(lambda: self.page.keyboard.press("Enter"))


@dataclass
class Journey:
    """The served app, its clock, a browser, and the people in this journey."""

    server: Served
    clock: Any  # time_machine's traveller: `clock.move_to(when)`, ticking on from there
    browser: Any
    people: list[Person] = field(default_factory=list)
    problems: dict[str, list[str]] = field(default_factory=dict)

    def person(
        self, who: str, *, width: int, downloads: bool = False, touch: bool = False
    ) -> Person:
        """Someone in a browser context of their own. Downloads are refused unless asked for
        (a journey that downloads a report reads it with `page.expect_download()`); `touch`
        is a phone's touch screen (its pointer is coarse, with no hover)."""
        # bypass_csp lets axe be injected; the site's own CSP is tested elsewhere.
        context = self.browser.new_context(
            viewport={"width": width, "height": 800},
            bypass_csp=True,
            accept_downloads=downloads,
            has_touch=touch,
            is_mobile=touch,
        )
        person = Person(who, context.new_page(), self.server.url, width, self.problems)
        self.people.append(person)
        return person

    def move_clock_to(self, when: datetime) -> None:
        self.clock.move_to(when)

    def emails_to(self, address: str) -> list[Any]:
        outbox = self.server.app.extensions["email_backend"].outbox
        return [message for message in outbox if message.to == address]

    def appointment_starts(self, email: str) -> list[datetime]:
        """When the person's appointments start, read from the served database."""
        with self.server.app.app_context():
            return list(
                db.session.scalars(
                    select(Appointment.starts_at)
                    .join(User, User.id == Appointment.patient_id)
                    .where(User.email == email)
                    .order_by(Appointment.starts_at)
                )
            )

    def texts(self) -> list[Any]:
        return list(self.server.app.extensions["sms_backend"].outbox)

    def keep_screenshots(self, name: str) -> None:
        keep_screenshots(((person.who, person.page) for person in self.people), name)

    def finish(self) -> None:
        """Every page reached was checked, and none had a problem."""
        unchecked = {person.who: person.unchecked() for person in self.people}
        assert not any(unchecked.values()), f"pages reached but never checked: {unchecked}"
        assert not self.problems, "\n".join(
            f"{where}: {found}" for where, found in sorted(self.problems.items())
        )

"""The self-referral journey: an eligible adult, a 15-year-old, an out-of-area postcode, the
server-side checks on each answer, and what is (and is not) kept."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from tests.conftest import CSRF_FIELD, submit
from webapp.extensions import db
from webapp.models import AuditEvent, Referral, ReferralDraft, ReferralStatus, RefusalCount

NOW = datetime(2026, 6, 1, 9, 30, tzinfo=UTC)

ADULT_ANSWERS = [
    ("date-of-birth", {"day": "17", "month": "5", "year": "1990"}),
    ("postcode", {"postcode": "ls2 9jt"}),
    ("name", {"full_name": "  Ann Example "}),
    ("contact-details", {"email": "Ann.Example@Example.COM", "mobile": "07700 900 982"}),
    ("gp-practice", {"gp_practice": "Park Surgery"}),
    ("help-with", {"issue_type": "worry", "issue_details": "I can't stop worrying about work."}),
    ("help-elsewhere", {"sought_help": ["gp", "medication"]}),
    ("gender", {"gender": "2"}),
    ("ethnicity", {"ethnicity": "N"}),
    ("sexual-orientation", {"sexual_orientation": "Z"}),
    ("disability", {"disability": "N"}),
    ("religion", {"religion": "Z"}),
    ("long-term-conditions", {"long_term_condition": "Y"}),
    ("living-status", {"living_status": "02"}),
    ("employment-status", {"employment_status": "02"}),
    ("heard-about", {"heard_about": "jobcentre"}),
    (
        "communication",
        {
            "contact_by": ["sms", "email"],
            "accessibility_needs": "Large text, please",
            "language": "Polish",
            "needs_interpreter": "yes",
        },
    ),
    ("consent", {"consent": "y"}),
]


def start(client):
    response = submit(client, "/refer-yourself", {})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/refer-yourself/date-of-birth")


def answer(client, slug, data):
    response = submit(client, f"/refer-yourself/{slug}", data)
    assert response.status_code == 302, error_messages(response)
    return response


def error_messages(response):
    return re.findall(
        r"nhsuk-error-message[^>]*>\s*<span[^>]*>[^<]*</span>\s*([^<]+)",
        response.get_data(as_text=True),
    )


def walk(client, answers):
    start(client)
    for slug, data in answers:
        response = answer(client, slug, data)
    return response


def test_an_eligible_adult_refers_themselves_and_gets_a_reference(client):
    with time_machine.travel(NOW, tick=False):
        last = walk(client, ADULT_ANSWERS)
        assert last.headers["Location"].endswith("/refer-yourself/check-your-answers")
        check = client.get("/refer-yourself/check-your-answers")
        page = check.get_data(as_text=True)
        assert check.status_code == 200
        for shown in (
            "17 May 1990",
            "LS2 9JT",
            "ann.example@example.com",
            "+447700900982",
            "Black or Black British: African",
            "Prefer not to say",
            "Polish",
        ):
            assert shown in page
        assert db.session.scalar(select(func.count(Referral.id))) == 0  # nothing until sent
        sent = submit(client, "/refer-yourself/check-your-answers", {})
        assert sent.headers["Location"].endswith("/refer-yourself/sent")
        confirmation = client.get("/refer-yourself/sent").get_data(as_text=True)

    referral = db.session.scalars(select(Referral)).one()
    assert referral.reference in confirmation
    assert re.fullmatch(r"TT-[346789ABCDEFGHJKMNPQRTUVWXY]{6}", referral.reference)
    assert referral.source_code == "B1"
    assert referral.status is ReferralStatus.RECEIVED
    assert referral.received_at == NOW  # the waiting-time clock starts when it is sent
    assert referral.completed_at == NOW
    assert referral.consent_given_at == NOW
    assert referral.privacy_notice_version == "2026-12"
    assert (referral.full_name, referral.date_of_birth) == ("Ann Example", date(1990, 5, 17))
    assert (referral.email, referral.mobile_e164) == ("ann.example@example.com", "+447700900982")
    assert (referral.postcode, referral.gp_practice) == ("LS2 9JT", "Park Surgery")
    assert (referral.issue_type, referral.issue_details) == (
        "worry",
        "I can't stop worrying about work.",
    )
    assert (
        referral.sought_help_gp,
        referral.sought_help_therapist,
        referral.sought_help_medication,
    ) == (
        True,
        False,
        True,
    )
    assert (
        referral.gender,
        referral.ethnicity,
        referral.sexual_orientation,
        referral.disability,
        referral.religion,
        referral.long_term_condition,
        referral.living_status,
        referral.employment_status,
    ) == ("2", "N", "Z", "N", "Z", "Y", "02", "02")
    assert (referral.heard_about, referral.heard_about_other) == ("jobcentre", "")
    assert (referral.sms_reminders, referral.email_reminders) == (True, True)
    assert (referral.language, referral.needs_interpreter) == ("Polish", True)
    assert referral.accessibility_needs == "Large text, please"
    assert referral.referrer_name is None and referral.patient_id is None
    [draft] = db.session.scalars(select(ReferralDraft)).all()  # kept only to say it was sent,
    assert (draft.referral_id, draft.answers) == (referral.id, "{}")  # with no answers
    assert "referral.received" in db.session.scalars(select(AuditEvent.action)).all()


def test_a_15_year_old_is_told_kindly_where_to_go_and_nothing_about_them_is_kept(client):
    with time_machine.travel(NOW, tick=False):
        start(client)
        response = answer(client, "date-of-birth", {"day": "2", "month": "6", "year": "2010"})
        assert response.headers["Location"].endswith("/refer-yourself/cannot-refer")
        page = client.get("/refer-yourself/cannot-refer").get_data(as_text=True)
    assert "16 and over" in page and "Childline" in page and "116 123" in page
    assert db.session.scalar(select(func.count(Referral.id))) == 0
    assert db.session.scalar(select(func.count(ReferralDraft.id))) == 0
    counts = db.session.scalars(select(RefusalCount)).all()
    assert [(c.day, c.reason, c.source_code, c.count) for c in counts] == [
        (NOW.date(), "under_16", "B1", 1)
    ]
    # The journey cannot carry on: the answers are gone.
    assert client.get("/refer-yourself/postcode").headers["Location"].endswith("/refer-yourself")


def test_someone_who_turns_16_today_may_refer(client):
    with time_machine.travel(NOW, tick=False):
        start(client)
        response = answer(client, "date-of-birth", {"day": "1", "month": "6", "year": "2010"})
    assert response.headers["Location"].endswith("/refer-yourself/postcode")


def test_an_out_of_area_postcode_is_refused_with_signposting_and_counted(client):
    with time_machine.travel(NOW, tick=False):
        start(client)
        answer(client, "date-of-birth", {"day": "1", "month": "1", "year": "1980"})
        response = answer(client, "postcode", {"postcode": "M1 1AE"})
        assert response.headers["Location"].endswith("/refer-yourself/cannot-refer")
        page = client.get("/refer-yourself/cannot-refer").get_data(as_text=True)
    assert "find-an-nhs-talking-therapies-service" in page
    assert db.session.scalar(select(func.count(ReferralDraft.id))) == 0
    assert [(c.reason, c.count) for c in db.session.scalars(select(RefusalCount))] == [
        ("out_of_area", 1)
    ]
    with time_machine.travel(NOW, tick=False):  # a second refusal adds to the same count
        start(client)
        answer(client, "date-of-birth", {"day": "1", "month": "1", "year": "1980"})
        answer(client, "postcode", {"postcode": "M1 1AE"})
    assert [(c.reason, c.count) for c in db.session.scalars(select(RefusalCount))] == [
        ("out_of_area", 2)
    ]


@pytest.mark.parametrize(
    ("slug", "data", "message"),
    [
        ("date-of-birth", {"day": "", "month": "", "year": ""}, "Enter your date of birth"),
        ("date-of-birth", {"day": "31", "month": "2", "year": "1990"}, "must be a real date"),
        ("date-of-birth", {"day": "x", "month": "2", "year": "1990"}, "must be a real date"),
        ("date-of-birth", {"day": "1", "month": "2", "year": "1890"}, "1900 or later"),
        ("date-of-birth", {"day": "1", "month": "2", "year": "2999"}, "must be in the past"),
    ],
)
def test_a_bad_date_of_birth_is_explained_next_to_the_field(client, slug, data, message):
    start(client)
    response = submit(client, f"/refer-yourself/{slug}", data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in page and message in page
    assert "<title>Error:" in page


@pytest.mark.parametrize(
    ("slug", "data", "message"),
    [
        ("postcode", {"postcode": "LS1"}, "Enter a full UK postcode"),
        ("postcode", {"postcode": ""}, "Enter your postcode"),
        ("name", {"full_name": ""}, "Enter your full name"),
        ("name", {"full_name": "A" * 201}, "200 characters or fewer"),
        ("contact-details", {"email": "not-an-email", "mobile": ""}, "correct format"),
        ("contact-details", {"email": "a@example.com", "mobile": "0113 496 0000"}, "UK mobile"),
        ("gp-practice", {"gp_practice": "G" * 201}, "200 characters or fewer"),
        ("help-with", {"issue_details": "x"}, "Select what you would like help with"),
        ("help-with", {"issue_type": "worry", "issue_details": "x" * 1001}, "1000 characters"),
        ("help-with", {"issue_type": "made-up"}, "Not a valid choice"),
        ("help-elsewhere", {}, "Select where you have had help"),
        ("help-elsewhere", {"sought_help": ["gp", "none"]}, "not both"),
        ("gender", {}, "Prefer not to say"),
        ("heard-about", {"heard_about": "other", "heard_about_other": "x" * 201}, "200 characters"),
        ("communication", {"language": "", "needs_interpreter": "no"}, "Enter the language"),
        (
            "communication",
            {"language": "English", "contact_by": ["sms"], "needs_interpreter": "no"},
            "Give a mobile number",
        ),
        (
            "communication",
            {"language": "English", "accessibility_needs": "x" * 501, "needs_interpreter": "no"},
            "500 characters",
        ),
        ("consent", {}, "Confirm that you agree"),
    ],
)
def test_every_answer_is_checked_on_the_server(client, slug, data, message):
    answers = [(s, d) for s, d in ADULT_ANSWERS if s != slug]
    order = [s for s, _ in ADULT_ANSWERS]
    before = [(s, d) for s, d in answers if order.index(s) < order.index(slug)]
    if slug == "communication":  # no mobile given, so text reminders cannot be chosen
        before = [(s, {**d, "mobile": ""} if s == "contact-details" else d) for s, d in before]
    walk(client, before)
    response = submit(client, f"/refer-yourself/{slug}", data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200, response.headers.get("Location")
    assert message in page
    assert 'class="nhsuk-error-summary' in page


def test_questions_cannot_be_skipped_and_a_journey_needs_starting(client):
    assert (
        client.get("/refer-yourself/date-of-birth").headers["Location"].endswith("/refer-yourself")
    )
    start(client)
    skipped = client.get("/refer-yourself/name")
    assert skipped.headers["Location"].endswith("/refer-yourself/date-of-birth")
    early = client.get("/refer-yourself/check-your-answers")
    assert early.headers["Location"].endswith("/refer-yourself/date-of-birth")
    assert client.get("/refer-yourself/no-such-question").status_code == 404


def test_changing_an_answer_returns_to_check_your_answers(client):
    walk(client, ADULT_ANSWERS)
    page = client.get("/refer-yourself/name?change=1").get_data(as_text=True)
    assert "check-your-answers" in page  # the back link
    response = answer(client, "name", {"full_name": "Ann Other"})
    assert response.headers["Location"].endswith("/refer-yourself/check-your-answers")
    assert "Ann Other" in client.get("/refer-yourself/check-your-answers").get_data(as_text=True)


def test_changing_the_date_of_birth_to_under_16_refuses_even_late_in_the_journey(client):
    with time_machine.travel(NOW, tick=False):
        walk(client, ADULT_ANSWERS)
        response = answer(client, "date-of-birth", {"day": "1", "month": "1", "year": "2015"})
    assert response.headers["Location"].endswith("/refer-yourself/cannot-refer")
    assert db.session.scalar(select(func.count(ReferralDraft.id))) == 0


def test_unfinished_answers_expire_and_are_purged(client, app):
    from webapp.referral import services

    with time_machine.travel(NOW, tick=False):
        start(client)
        answer(client, "date-of-birth", {"day": "1", "month": "1", "year": "1980"})
    later = NOW + timedelta(hours=3, minutes=1)
    with time_machine.travel(later, tick=False):
        response = client.get("/refer-yourself/postcode")
        assert response.headers["Location"].endswith("/refer-yourself")
        with app.app_context():
            assert services.purge_expired_drafts(now=later) == 1
            assert services.purge_expired_drafts(now=later) == 0
        start(client)
        answer(client, "date-of-birth", {"day": "1", "month": "1", "year": "1980"})
    with time_machine.travel(later + timedelta(hours=4), tick=False):
        start(client)  # someone else starting clears the expired draft
    assert db.session.scalar(select(func.count(ReferralDraft.id))) == 1


def test_answers_wait_encrypted_and_the_browser_holds_only_a_key(client, engine):
    start(client)
    answer(client, "date-of-birth", {"day": "17", "month": "5", "year": "1990"})
    stored = db.session.connection().exec_driver_sql("SELECT answers FROM referral_drafts").scalar()
    assert "1990" not in stored


def test_the_start_page_links_to_the_journey_and_the_practitioner_form(client):
    page = client.get("/").get_data(as_text=True)
    assert "Refer yourself" in page and 'href="/refer-yourself"' in page
    assert 'href="/refer-a-patient"' in page
    start_page = client.get("/refer-yourself").get_data(as_text=True)
    assert "Start now" in start_page and "not an emergency service" in start_page


def test_removing_the_mobile_after_choosing_texts_asks_again_how_to_remind(client):
    """Texts were chosen with a number; "Change" then removes the number. The referral must not
    go on promising texts: the reminders question is asked again, where texts are refused."""
    with time_machine.travel(NOW, tick=False) as clock:
        walk(client, ADULT_ANSWERS)
        clock.shift(timedelta(minutes=1))  # past the public forms' rate limit
        changed = submit(  # through the "Change" link on check your answers
            client,
            "/refer-yourself/contact-details?change=1",
            {"email": "ann@example.com", "mobile": ""},
        )
        assert changed.headers["Location"].endswith("/refer-yourself/communication?change=1")
        page = client.get(changed.headers["Location"]).get_data(as_text=True)
        assert "we cannot send you text reminders" in page
        assert 'value="sms" checked' not in page and 'value="email" checked' in page
        check = client.get("/refer-yourself/check-your-answers")
        assert check.headers["Location"].endswith("/refer-yourself/communication")
        refused = submit(
            client,
            "/refer-yourself/communication",
            {"contact_by": ["sms"], "language": "Polish", "needs_interpreter": "yes"},
        )
        assert refused.status_code == 200 and "Give a mobile number" in refused.get_data(
            as_text=True
        )
        answer(
            client,
            "communication",
            {"contact_by": ["email"], "language": "Polish", "needs_interpreter": "yes"},
        )
        page = client.get("/refer-yourself/check-your-answers").get_data(as_text=True)
        assert "Reminders by email" in page and "text message" not in page.lower()
        submit(client, "/refer-yourself/check-your-answers", {})
    referral = db.session.scalars(select(Referral)).one()
    assert (referral.mobile_e164, referral.sms_reminders, referral.email_reminders) == (
        None,
        False,
        True,
    )


def test_a_draft_holding_texts_without_a_mobile_never_promises_or_stores_texts(client):
    """A draft saved before the rule (or written any other way): check your answers and the
    referral say what will really happen."""
    import json

    with time_machine.travel(NOW, tick=False):
        walk(client, ADULT_ANSWERS)
        draft = db.session.scalars(select(ReferralDraft)).one()
        answers = json.loads(draft.answers)
        answers["mobile_e164"] = ""
        draft.answers = json.dumps(answers)
        db.session.commit()
        page = client.get("/refer-yourself/check-your-answers").get_data(as_text=True)
        assert "Reminders by email" in page and "text message" not in page.lower()
        submit(client, "/refer-yourself/check-your-answers", {})
    referral = db.session.scalars(select(Referral)).one()
    assert (referral.mobile_e164, referral.sms_reminders) == (None, False)


def send_twice(client, *, same_cookie: bool) -> tuple[object, object]:
    """Press Send on check your answers twice with the page's form: one after the other (back,
    then Send again), or with `same_cookie` as a double tap does, the second request carrying the
    session from before the first was answered."""
    page = client.get("/refer-yourself/check-your-answers").get_data(as_text=True)
    token = CSRF_FIELD.search(page).group(1)
    before = client.get_cookie("session").value
    first = client.post("/refer-yourself/check-your-answers", data={"csrf_token": token})
    if same_cookie:
        client.set_cookie("session", before)
    second = client.post("/refer-yourself/check-your-answers", data={"csrf_token": token})
    return first, second


@pytest.mark.parametrize("same_cookie", [False, True], ids=["back-and-send", "double-tap"])
def test_sending_a_referral_twice_shows_its_reference_again_and_sends_one(client, same_cookie):
    walk(client, ADULT_ANSWERS)
    first, second = send_twice(client, same_cookie=same_cookie)
    assert first.headers["Location"].endswith("/refer-yourself/sent")
    assert second.headers["Location"].endswith("/refer-yourself/sent")
    page = client.get("/refer-yourself/sent").get_data(as_text=True)
    referral = db.session.scalars(select(Referral)).one()
    assert referral.reference in page and "Start again" not in page
    # Back to the answers or a question: the referral was sent, so the sent page again.
    for path in ("/refer-yourself/check-your-answers", "/refer-yourself/consent"):
        assert client.get(path).headers["Location"].endswith("/refer-yourself/sent")
    assert db.session.scalar(select(func.count(Referral.id))) == 1
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert actions.count("referral.received") == 1


def test_a_new_referral_after_sending_one_starts_afresh(client):
    walk(client, ADULT_ANSWERS)
    submit(client, "/refer-yourself/check-your-answers", {})
    start(client)
    early = client.get("/refer-yourself/check-your-answers")  # the new draft, not the sent one
    assert early.headers["Location"].endswith("/refer-yourself/date-of-birth")
    assert client.get("/refer-yourself/sent").headers["Location"].endswith("/refer-yourself")
    answer(client, "date-of-birth", {"day": "2", "month": "3", "year": "1970"})
    new = db.session.scalars(select(ReferralDraft).where(ReferralDraft.referral_id.is_(None)))
    assert "1970-03-02" in new.one().answers


def test_a_draft_read_before_another_request_sent_it_is_not_sent_again(client, app):
    """Two requests read the draft before either sends it: the second finds it claimed and
    returns the first's referral rather than making another."""
    from sqlalchemy.orm.attributes import set_committed_value

    from webapp.referral import services

    walk(client, ADULT_ANSWERS)
    draft = db.session.scalars(select(ReferralDraft)).one()
    answers = draft.answers
    with app.test_request_context():
        first = services.submit_self_referral(draft, now=NOW)
        set_committed_value(draft, "referral_id", None)  # as the other request last read it
        set_committed_value(draft, "answers", answers)
        again = services.submit_self_referral(draft, now=NOW)
    assert again.id == first.id
    assert db.session.scalar(select(func.count(Referral.id))) == 1

"""Who may reach the community's voice: members respond and suggest; moderators and the
clinical lead publish and reply; everyone else is refused (STYLE.md 7, test the refusals)."""

from __future__ import annotations

import pytest

from tests import factories
from tests.webapp.voice.conftest import make_consultation, make_member, make_patient
from webapp.models import Role

MEMBER_PAGES = [
    "/community/voice/",
    "/community/voice/suggestions",
    "/community/voice/suggestions/new",
]
STAFF_PAGES = ["/moderation/voice/", "/moderation/voice/consultations/new"]


def test_signed_out_people_reach_nothing(client):
    consultation = make_consultation()
    for path in [*MEMBER_PAGES, *STAFF_PAGES, f"/community/voice/consultations/{consultation.id}"]:
        assert client.get(path).status_code in (302, 401), path


@pytest.mark.parametrize("role", [Role.THERAPIST, Role.COMMISSIONER, Role.ADMIN])
def test_other_staff_reach_neither_the_members_nor_the_moderators_pages(signed_in, role):
    client = signed_in(factories.make_user(role))
    consultation = make_consultation(state="closed")
    for path in [
        *MEMBER_PAGES,
        *STAFF_PAGES,
        f"/community/voice/consultations/{consultation.id}",
        f"/moderation/voice/consultations/{consultation.id}",
    ]:
        assert client.get(path).status_code == 403, path


def test_a_patient_who_has_not_joined_the_community_is_sent_to_join(signed_in):
    client = signed_in(make_patient())
    consultation = make_consultation()
    for path in [*MEMBER_PAGES, f"/community/voice/consultations/{consultation.id}"]:
        response = client.get(path)
        assert response.status_code == 302 and response.location.endswith("/community/join")


def test_a_patient_outside_their_access_period_sees_the_notice(signed_in):
    client = signed_in(make_member("lapsed-one", access=False))
    assert client.get("/community/voice/").status_code == 403


def test_members_cannot_reach_the_moderators_pages(signed_in):
    client = signed_in(make_member("curious-cat"))
    for path in STAFF_PAGES:
        assert client.get(path).status_code == 403


@pytest.mark.parametrize("role", [Role.MODERATOR, Role.CLINICAL_LEAD])
def test_moderators_and_the_clinical_lead_reach_the_console(signed_in, role):
    client = signed_in(factories.make_user(role))
    for path in STAFF_PAGES:
        assert client.get(path).status_code == 200, path


def test_a_consultation_not_yet_open_is_not_found_for_members(signed_in):
    client = signed_in(make_member("early-bird"))
    consultation = make_consultation(state="upcoming")
    assert client.get(f"/community/voice/consultations/{consultation.id}").status_code == 404
    assert consultation.title not in client.get("/community/voice/").get_data(as_text=True)


def test_unknown_ids_are_not_found(signed_in):
    member = signed_in(make_member("lost-owl"))
    staff = signed_in(factories.make_user(Role.MODERATOR))
    assert member.get("/community/voice/consultations/99999").status_code == 404
    assert staff.get("/moderation/voice/consultations/99999").status_code == 404
    assert staff.get("/moderation/voice/suggestions/99999").status_code == 404

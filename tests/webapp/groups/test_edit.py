"""A facilitator changes a running group's title, description, who may join and its places
(not its schedule): never below the places held, and new places go to those waiting."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests import factories
from tests.conftest import csrf_token, submit
from tests.webapp.groups.conftest import STARTS_AT, make_member
from webapp.extensions import db
from webapp.groups import services
from webapp.models import AuditEvent, EnrolmentStatus, Group, GroupAccess, GroupEnrolment

FORM = {
    "title": "Stress course",
    "description": "Six weeks of ways to manage stress.",
    "access": "invitation",
    "capacity": "3",
}


def edit(client, group_id: int, **changes: str):
    return submit(client, f"/groups/{group_id}/edit", {**FORM, **changes})


def test_a_facilitator_changes_the_groups_details(world):
    client = world.client(world.facilitator)
    page = client.get(f"/groups/{world.group.id}").get_data(as_text=True)
    assert f"/groups/{world.group.id}/edit" in page
    form = client.get(f"/groups/{world.group.id}/edit").get_data(as_text=True)
    assert 'value="Six-week stress course"' in form  # filled in with what it is now
    response = edit(client, world.group.id)
    assert response.status_code == 302
    db.session.expire_all()
    group = db.session.get(Group, world.group.id)
    assert (group.title, group.access, group.capacity) == (
        "Stress course",
        GroupAccess.INVITATION,
        3,
    )
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "group.edited"))
    assert audit.actor_id == world.facilitator.id
    assert audit.detail["changed"] == ["access", "description", "title"]
    member_page = world.client(world.members[0]).get(f"/groups/{world.group.id}")
    assert "Stress course" in member_page.get_data(as_text=True)


def test_more_places_go_to_those_waiting_in_order_and_they_are_told(world, outbox):
    first, second = make_member("first-waiting"), make_member("second-waiting")
    first.email, second.email = "first@example.org", "second@example.org"
    db.session.commit()
    for patient, days in ((first, 3), (second, 2)):
        services.request_place(patient, world.group, now=STARTS_AT - timedelta(days=days))
    outbox.clear()
    response = edit(world.client(world.facilitator), world.group.id, capacity="4")
    assert "1 person waiting has been offered a place" in world.client(world.facilitator).get(
        response.location
    ).get_data(as_text=True)
    statuses = dict(
        db.session.execute(
            select(GroupEnrolment.patient_id, GroupEnrolment.status).where(
                GroupEnrolment.patient_id.in_([first.id, second.id])
            )
        ).all()
    )
    assert statuses == {first.id: EnrolmentStatus.OFFERED, second.id: EnrolmentStatus.WAITING}
    assert [m.to for m in outbox] == ["first@example.org"]


def test_bad_details_are_shown_and_change_nothing(world):
    client = world.client(world.facilitator)
    for changes, error in (
        ({"title": " "}, "Enter a title"),
        ({"capacity": "2"}, "3 places are held, so the group needs room for at least 3"),
        ({"capacity": "0"}, "Enter a number from 1 to"),
        ({"capacity": "many"}, "Enter how many members as a whole number, like 8"),
    ):
        response = edit(client, world.group.id, **changes)
        page = response.get_data(as_text=True)
        assert response.status_code == 200 and "nhsuk-error-summary" in page
        assert error in page, error
    db.session.expire_all()
    group = db.session.get(Group, world.group.id)
    assert (group.title, group.capacity) == ("Six-week stress course", 3)


def test_only_the_groups_facilitators_and_the_clinical_lead_change_it(world):
    path = f"/groups/{world.group.id}/edit"
    assert world.client(factories.make_therapist()).get(path).status_code == 404
    member = world.client(world.members[0])
    token = csrf_token(member, f"/groups/{world.group.id}")
    assert member.post(path, data={"csrf_token": token, **FORM}).status_code == 403
    db.session.expire_all()
    assert db.session.get(Group, world.group.id).title == "Six-week stress course"
    lead = world.client(factories.make_user(factories.Role.CLINICAL_LEAD))
    assert edit(lead, world.group.id).status_code == 302

"""Group pages. Patients see groups open to them and take or leave places; therapists and
clinical leads run groups: members and the waiting list, invitations, muting and removing,
and each meeting's attendance. Views parse, call once and render; who may see what is decided
in `queries`."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from webapp import london_datetime
from webapp.groups import bp, queries, rules, services
from webapp.groups.forms import (
    ActionForm,
    CancelMeetingForm,
    GroupDetailsForm,
    GroupForm,
    InviteForm,
    MoveMeetingForm,
)
from webapp.models import EnrolmentStatus, Group, GroupAccess, OccurrenceStatus, Role
from webapp.security import roles_required
from webapp.therapy.forms import parse_date, parse_time

STAFF = (Role.THERAPIST, Role.CLINICAL_LEAD)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _is_staff() -> bool:
    return current_user.role in STAFF


@bp.route("/")
def index() -> str:
    now = utcnow()
    if _is_staff():
        return render_template(
            "groups/staff_index.html",
            title="Groups",
            groups=queries.groups_for_staff(current_user),
            next_meeting=lambda group: queries.next_meeting(group.id, now),
        )
    profile = queries.profile_of(current_user.id)
    return render_template(
        "groups/index.html",
        title="Groups",
        lines=queries.groups_for_patient(current_user.id, now),
        has_access=profile is not None and profile.has_access(now),
    )


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*STAFF)
def new() -> Response | str:
    form = GroupForm()
    others = [u for u in queries.staff_choices() if u.id != current_user.id]
    form.co_facilitator.choices = [("", "None")] + [(str(u.id), u.full_name) for u in others]
    if form.validate_on_submit():
        first_date, local_time = parse_date(form.first_date.data), parse_time(form.local_time.data)
        assert first_date is not None and local_time is not None  # validated
        co = form.co_facilitator.data
        plan = services.GroupPlan(
            title=form.title.data or "",
            description=form.description.data or "",
            access=GroupAccess(form.access.data),
            capacity=int(form.capacity.data or 0),
            first_date=first_date,
            local_time=local_time,
            weeks=int(form.weeks.data or 0),
            duration_minutes=int(form.duration.data or 60),
            co_facilitator_ids=[int(co)] if co else [],
        )
        try:
            group = services.create_group(current_user, plan, now=utcnow())
        except services.Refused as refused:
            form.form_errors.append(str(refused))
        else:
            flash(f"{group.title} is set up with {group.weeks} meetings.")
            return redirect(url_for("groups.group", group_id=group.id))
    return render_template(
        "groups/new.html", title="Start a group", form=form, page_has_errors=bool(form.errors)
    )


@bp.route("/<int:group_id>")
def group(group_id: int) -> str:
    now = utcnow()
    if _is_staff():
        found = queries.group_for_staff_or_404(current_user, group_id)
        return _staff_page(found, InviteForm(), now)
    found = queries.group_for_patient_or_404(current_user.id, group_id)
    return render_template(
        "groups/group.html",
        title=found.title,
        group=found,
        enrolment=queries.enrolment_of(found.id, current_user.id),
        meetings=queries.occurrences(found.id),
        next_meeting=queries.next_meeting(found.id, now),
        handle=queries.handle_of(current_user.id),
        taken=queries.count(found.id, *queries.HOLDS_A_PLACE),
        action_form=ActionForm(),
        now=now,
    )


def _staff_page(group: Group, invite_form: InviteForm, now: datetime) -> str:
    members = queries.enrolments(group.id, EnrolmentStatus.ENROLLED)
    waiting = queries.enrolments(
        group.id, EnrolmentStatus.WAITING, EnrolmentStatus.OFFERED, EnrolmentStatus.INVITED
    )
    is_facilitator = queries.is_facilitator(current_user.id, group.id)
    return render_template(
        "groups/staff_group.html",
        title=group.title,
        group=group,
        members=members,
        waiting=waiting,
        handles=queries.handles([e.patient_id for e in members + waiting]),
        meetings=queries.occurrences(group.id),
        invite_form=invite_form,
        action_form=ActionForm(),
        now=now,
        # The room is its facilitators' and members' only: the clinical lead, who oversees every
        # group, is not given a link the room would refuse.
        room_is_open=lambda meeting: (
            is_facilitator
            and meeting.status is not OccurrenceStatus.CANCELLED
            and rules.room_state(meeting.starts_at, meeting.ends_at, now, facilitator=True)
            is rules.RoomState.OPEN
        ),
        page_has_errors=bool(invite_form.errors),
    )


def _patient_action(group_id: int, action: str) -> Response:
    found = queries.group_for_patient_or_404(current_user.id, group_id)
    if ActionForm().validate_on_submit():
        try:
            if action == "enrol":
                enrolment = services.request_place(current_user, found, now=utcnow())
                flash(
                    "You have a place in the group."
                    if enrolment.status is EnrolmentStatus.ENROLLED
                    else "The group is full: you are on the waiting list. We will email you "
                    "if a place comes free."
                )
            elif action == "accept":
                services.accept_offer(current_user, found, now=utcnow())
                flash("You have a place in the group.")
            else:
                services.leave(current_user, found, now=utcnow())
                flash("You have left the group.")
        except services.Refused as refused:
            flash(str(refused))
    return redirect(url_for("groups.group", group_id=found.id))


@bp.route("/<int:group_id>/edit", methods=["GET", "POST"])
@roles_required(*STAFF)
def edit_group(group_id: int) -> Response | str:
    group = queries.group_for_staff_or_404(current_user, group_id)
    form = GroupDetailsForm(obj=group if request.method == "GET" else None)
    if request.method == "GET":
        form.access.data = group.access.value
    if form.validate_on_submit():
        details = services.GroupDetails(
            title=form.title.data or "",
            description=form.description.data or "",
            access=GroupAccess(form.access.data),
            capacity=int(form.capacity.data or 0),
        )
        try:
            offered = services.edit_group(current_user, group, details, now=utcnow())
        except services.Refused as refused:
            form.form_errors.append(str(refused))
        else:
            waiting = _counted(len(offered), "person waiting has", "people waiting have")
            flash(
                f"The group is updated. {waiting} been offered a place."
                if offered
                else "The group is updated."
            )
            return redirect(url_for("groups.group", group_id=group.id))
    return render_template(
        "groups/edit.html",
        title="Change the group",
        group=group,
        form=form,
        page_has_errors=bool(form.errors),
    )


def _counted(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


@bp.route("/<int:group_id>/enrol", methods=["POST"])
@roles_required(Role.PATIENT)
def enrol(group_id: int) -> Response:
    return _patient_action(group_id, "enrol")


@bp.route("/<int:group_id>/accept", methods=["POST"])
@roles_required(Role.PATIENT)
def accept(group_id: int) -> Response:
    return _patient_action(group_id, "accept")


@bp.route("/<int:group_id>/leave", methods=["POST"])
@roles_required(Role.PATIENT)
def leave(group_id: int) -> Response:
    return _patient_action(group_id, "leave")


@bp.route("/<int:group_id>/invite", methods=["POST"])
@roles_required(*STAFF)
def invite(group_id: int) -> Response | str:
    found = queries.group_for_staff_or_404(current_user, group_id)
    form = InviteForm()
    if form.validate_on_submit():
        try:
            services.invite(current_user, found, form.email.data or "", now=utcnow())
        except services.Refused as refused:
            form.email.errors = [str(refused)]
        else:
            flash("Invitation sent.")
            return redirect(url_for("groups.group", group_id=found.id))
    return _staff_page(found, form, utcnow())


def _member_action(group_id: int, enrolment_id: int, action: str) -> Response:
    found = queries.group_for_staff_or_404(current_user, group_id)
    enrolment = queries.enrolment_in_group_or_404(found.id, enrolment_id)
    if ActionForm().validate_on_submit():
        try:
            if action == "remove":
                services.remove(current_user, enrolment, now=utcnow())
                flash("They have been removed from the group.")
            else:
                services.set_muted(current_user, enrolment, not enrolment.is_muted, now=utcnow())
                flash("Muted." if enrolment.is_muted else "They can post again.")
        except services.Refused as refused:
            flash(str(refused))
    return redirect(url_for("groups.group", group_id=found.id))


@bp.route("/<int:group_id>/members/<int:enrolment_id>/mute", methods=["POST"])
@roles_required(*STAFF)
def mute(group_id: int, enrolment_id: int) -> Response:
    return _member_action(group_id, enrolment_id, "mute")


@bp.route("/<int:group_id>/members/<int:enrolment_id>/remove", methods=["POST"])
@roles_required(*STAFF)
def remove(group_id: int, enrolment_id: int) -> Response:
    return _member_action(group_id, enrolment_id, "remove")


@bp.route("/meetings/<int:occurrence_id>")
def room_page(occurrence_id: int) -> Response | str:
    occurrence = queries.occurrence_for_participant(current_user.id, occurrence_id)
    if occurrence is None:
        abort(404)
    now = utcnow()
    if occurrence.status is OccurrenceStatus.CANCELLED:
        flash(services.CANCELLED_IN_ROOM)
        return redirect(url_for("groups.group", group_id=occurrence.group_id))
    facilitator = queries.is_facilitator(current_user.id, occurrence.group_id)
    state = rules.room_state(occurrence.starts_at, occurrence.ends_at, now, facilitator=facilitator)
    if state is not rules.RoomState.OPEN:
        flash(
            "The group room is not open yet."
            if state is rules.RoomState.NOT_YET
            else "This meeting has ended."
        )
        return redirect(url_for("groups.group", group_id=occurrence.group_id))
    return render_template(
        "groups/room.html",
        title=occurrence.group.title,
        occurrence=occurrence,
        facilitator=facilitator,
        seconds_left=max(0, int((occurrence.ends_at - now).total_seconds())),
    )


@bp.route("/meetings/<int:occurrence_id>/cancel", methods=["GET", "POST"])
@roles_required(*STAFF)
def cancel_meeting(occurrence_id: int) -> Response | str:
    occurrence = queries.occurrence_for_staff_or_404(current_user, occurrence_id)
    form = CancelMeetingForm()
    if form.validate_on_submit():
        try:
            told = services.cancel_meeting(
                current_user, occurrence, form.reason.data or "", now=utcnow()
            )
        except services.Refused as refused:
            form.form_errors.append(str(refused))
        else:
            told_whom = _counted(told, "member has", "members have")
            flash(f"The meeting is cancelled. {told_whom} been told.")
            return redirect(url_for("groups.group", group_id=occurrence.group_id))
    return render_template(
        "groups/cancel_meeting.html",
        title="Cancel a meeting",
        occurrence=occurrence,
        members=queries.count(occurrence.group_id, EnrolmentStatus.ENROLLED),
        form=form,
        page_has_errors=bool(form.errors),
    )


@bp.route("/meetings/<int:occurrence_id>/move", methods=["GET", "POST"])
@roles_required(*STAFF)
def move_meeting(occurrence_id: int) -> Response | str:
    occurrence = queries.occurrence_for_staff_or_404(current_user, occurrence_id)
    form = MoveMeetingForm()
    if request.method == "GET":
        local = occurrence.starts_at.astimezone(rules.LONDON)
        form.new_date.data, form.new_time.data = local.date().isoformat(), local.strftime("%H:%M")
    if form.validate_on_submit():
        day, wall = parse_date(form.new_date.data), parse_time(form.new_time.data)
        assert day is not None and wall is not None  # validated
        try:
            told = services.move_meeting(
                current_user, occurrence, day, wall, form.reason.data or "", now=utcnow()
            )
        except services.Refused as refused:
            form.form_errors.append(str(refused))
        else:
            told_whom = _counted(told, "member has", "members have")
            flash(
                f"The meeting is moved to {london_datetime(occurrence.starts_at)}. "
                f"{told_whom} been told."
            )
            return redirect(url_for("groups.group", group_id=occurrence.group_id))
    return render_template(
        "groups/move_meeting.html",
        title="Move a meeting",
        occurrence=occurrence,
        members=queries.count(occurrence.group_id, EnrolmentStatus.ENROLLED),
        form=form,
        page_has_errors=bool(form.errors or form.form_errors),
    )


@bp.route("/meetings/<int:occurrence_id>/attendance", methods=["GET", "POST"])
@roles_required(*STAFF)
def attendance(occurrence_id: int) -> Response | str:
    occurrence = queries.occurrence_for_staff_or_404(current_user, occurrence_id)
    recorded = queries.attendance(occurrence.id)
    members = queries.enrolments(occurrence.group_id, *services.RECORDABLE)
    patient_ids = sorted({e.patient_id for e in members} | set(recorded))
    handles = queries.handles(patient_ids)
    form = ActionForm()
    errors: list[str] = []
    chosen = dict(recorded)
    if request.method == "POST" and form.validate_on_submit():
        chosen = {pid: request.form.get(f"code-{pid}", "") for pid in patient_ids}
        try:
            charge = services.record_attendance(current_user, occurrence, chosen, now=utcnow())
        except services.Refused as refused:
            errors.append(str(refused))
        else:
            flash(
                "Attendance recorded: the meeting was delivered."
                if charge.charged
                else "Attendance recorded: nobody attended, so the meeting was not delivered."
            )
            return redirect(url_for("groups.group", group_id=occurrence.group_id))
    return render_template(
        "groups/attendance.html",
        title="Record attendance",
        occurrence=occurrence,
        patient_ids=patient_ids,
        handles=handles,
        chosen=chosen,
        codes=rules.ATTENDANCE_CODES,
        form=form,
        errors=errors,
        page_has_errors=bool(errors),
    )

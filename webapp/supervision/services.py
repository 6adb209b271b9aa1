"""Recording a supervision meeting: the meeting, the cases discussed and an audit event, in one
transaction. The caller has checked the values (`figures.meeting_problems`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from webapp import audit
from webapp.extensions import db
from webapp.models import SupervisionCase, SupervisionMeeting, User


def record_meeting(
    actor: User,
    therapist: User,
    *,
    met_on: date,
    supervisor_id: int,
    case_ids: Sequence[int],
    agreed_actions: str,
) -> SupervisionMeeting:
    with db.transaction() as session:
        meeting = SupervisionMeeting(
            therapist_id=therapist.id,
            supervisor_id=supervisor_id,
            met_on=met_on,
            agreed_actions=agreed_actions.strip(),
            recorded_by_id=actor.id,
            cases=[SupervisionCase(episode_id=episode_id) for episode_id in sorted(set(case_ids))],
        )
        session.add(meeting)
        session.flush()
        audit.record(
            "supervision.meeting_recorded",
            actor=actor,
            subject_type="supervision_meeting",
            subject_id=meeting.id,
            detail={
                "therapist": therapist.id,
                "supervisor": supervisor_id,
                "met_on": met_on.isoformat(),
                "cases": len(meeting.cases),
            },
        )
    return meeting

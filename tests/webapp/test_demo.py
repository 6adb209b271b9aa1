"""The demo world: the demo patient can try self-help straight away."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from webapp.demo import demo_email
from webapp.extensions import db
from webapp.models import PatientProfile, SafetyPlan, SavedWorksheet, User


def test_seed_demo_gives_the_demo_patient_access_a_worksheet_and_a_safety_plan_once(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    patient = db.session.scalar(select(User).where(User.email == demo_email("patient")))
    profile = db.session.get(PatientProfile, patient.id)
    assert profile is not None and profile.has_access(datetime.now(UTC))
    worksheets = db.session.scalars(
        select(SavedWorksheet).where(SavedWorksheet.patient_id == patient.id)
    ).all()
    assert [w.code for w in worksheets] == ["worry-log"]
    assert "gas bill" in worksheets[0].answers["worry"]
    assert "Pepper" in db.session.get(SafetyPlan, patient.id).reasons_for_living


def test_seed_demo_gives_each_demo_patient_a_care_episode_in_a_different_state_once(app):
    from webapp.models import CareEpisode
    from webapp.pathway import queries
    from webapp.pathway.episode import EpisodeState, is_finished

    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    episodes = db.session.scalars(select(CareEpisode)).all()
    states = {episode.state for episode in episodes}
    assert states == set(EpisodeState) and len(episodes) == 6
    for episode in episodes:
        changes = queries.changes_for(episode.id)
        assert changes[0].from_state is None and changes[-1].to_state is episode.state
    [finished] = [e for e in episodes if e.state is EpisodeState.DISCHARGED]
    assert is_finished(queries.contacts_for(finished.id), finished.ended_on)
    patient = db.session.scalar(select(User).where(User.email == demo_email("patient")))
    [jamie] = [e for e in episodes if e.patient_id == patient.id]
    assert queries.appointments_for(jamie.id)

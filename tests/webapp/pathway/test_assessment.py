"""The assessment record and the dated steps of care: no clinical date after today (in London),
an updated assessment keeps the version it replaces (who, when, the earlier words, still
encrypted), and the step set at assessment follows the assessment's date and step."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from tests.conftest import submit
from tests.factories import make_episode, make_therapist
from tests.webapp.booking.conftest import NOW
from webapp.extensions import db
from webapp.models import (
    AuditEvent,
    CareEpisode,
    EpisodeAssessment,
    EpisodeAssessmentVersion,
    Role,
    StepChange,
)
from webapp.pathway import queries, services
from webapp.pathway.episode import EpisodeState
from webapp.pathway.services import PathwayError

S = EpisodeState
ASSESSMENT = {
    "assessed_on": date(2026, 3, 2),
    "problem_descriptor": "depression",
    "icd10_code": "F32",
    "risk_level": "low",
    "risk_summary": "No current thoughts of self-harm.",
    "risk_plan": "Crisis numbers given; review each session.",
    "goals": "Get back to walking the dog every day.",
    "options_explained": "Guided self-help or CBT explained.",
    "preference": "Guided self-help",
    "preference_met": True,
    "step_of_care": "2",
}


def steps(episode: CareEpisode) -> list[tuple[str | None, str, date]]:
    return [(c.from_step, c.to_step, c.changed_on) for c in queries.step_changes_for(episode.id)]


def counts() -> tuple[int, ...]:
    db.session.expire_all()
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (EpisodeAssessment, EpisodeAssessmentVersion, StepChange, AuditEvent)
    )


class TestDates:
    pytestmark = pytest.mark.usefixtures("clock", "app_context")

    def test_an_assessment_dated_after_today_is_refused_and_nothing_is_saved(self):
        episode = make_episode()
        before = counts()
        for day in (date(2099, 1, 1), NOW.date() + timedelta(days=1)):
            with pytest.raises(PathwayError, match="today or in the past"):
                services.save_assessment(
                    episode, {**ASSESSMENT, "assessed_on": day}, actor=episode.therapist, now=NOW
                )
        assert counts() == before
        assert db.session.get(CareEpisode, episode.id).state is S.WAITING_FOR_ASSESSMENT

    def test_a_step_change_dated_after_today_is_refused(self):
        episode = make_episode()
        services.save_assessment(episode, ASSESSMENT, actor=episode.therapist, now=NOW)
        before = counts()
        with pytest.raises(PathwayError, match="today or in the past"):
            services.change_step(
                episode,
                "3",
                on=date(2099, 12, 15),
                reason="Step up",
                actor=episode.therapist,
                now=NOW,
            )
        assert counts() == before and db.session.get(CareEpisode, episode.id).current_step == "2"

    def test_a_step_change_cannot_go_back_before_the_last_one(self):
        episode = make_episode()
        services.save_assessment(episode, ASSESSMENT, actor=episode.therapist, now=NOW)
        with pytest.raises(PathwayError, match="2 March 2026"):
            services.change_step(
                episode, "3", on=date(2026, 3, 1), reason="x", actor=episode.therapist, now=NOW
            )
        assert steps(episode) == [(None, "2", date(2026, 3, 2))]


class TestVersions:
    pytestmark = pytest.mark.usefixtures("clock", "app_context")

    def test_an_update_keeps_the_version_it_replaces(self):
        episode = make_episode()
        first_author = episode.therapist
        services.save_assessment(episode, ASSESSMENT, actor=first_author, now=NOW)
        second_author = make_therapist()
        later = NOW + timedelta(hours=3)
        services.save_assessment(
            episode,
            {**ASSESSMENT, "risk_level": "moderate", "risk_summary": "Passive thoughts of death."},
            actor=second_author,
            now=later,
        )
        current = queries.assessment_for(episode.id)
        assert (current.risk_level, current.risk_summary) == (
            "moderate",
            "Passive thoughts of death.",
        )
        assert (current.recorded_by_id, current.recorded_at) == (second_author.id, later)
        [old] = queries.assessment_versions_for(episode.id)
        assert (old.risk_level, old.risk_summary) == ("low", "No current thoughts of self-harm.")
        assert (old.recorded_by_id, old.recorded_at) == (first_author.id, NOW)
        assert (old.superseded_by_id, old.superseded_at) == (second_author.id, later)
        assert old.goals == ASSESSMENT["goals"] and old.assessed_on == ASSESSMENT["assessed_on"]
        raw = db.session.execute(
            text(
                "SELECT risk_summary, risk_plan, goals, options_explained "
                "FROM episode_assessment_versions"
            )
        ).one()
        assert "thoughts" not in raw[0] and "Crisis" not in raw[1] and "dog" not in raw[2]
        assert "self-help" not in raw[3]
        assert "episode.assessment_saved" in [
            a.action for a in db.session.scalars(select(AuditEvent))
        ]

    def test_saving_the_same_assessment_again_adds_no_version(self):
        episode = make_episode()
        services.save_assessment(episode, ASSESSMENT, actor=episode.therapist, now=NOW)
        services.save_assessment(
            episode, dict(ASSESSMENT), actor=episode.therapist, now=NOW + timedelta(hours=1)
        )
        assert queries.assessment_versions_for(episode.id) == []
        assert queries.assessment_for(episode.id).recorded_at == NOW

    def test_each_update_keeps_one_more_version_newest_first(self):
        episode = make_episode()
        for hour, level in enumerate(("low", "moderate", "high")):
            services.save_assessment(
                episode,
                {**ASSESSMENT, "risk_level": level},
                actor=episode.therapist,
                now=NOW + timedelta(hours=hour),
            )
        assert [v.risk_level for v in queries.assessment_versions_for(episode.id)] == [
            "moderate",
            "low",
        ]


class TestTheStepSetAtAssessment:
    pytestmark = pytest.mark.usefixtures("clock", "app_context")

    def test_it_follows_a_corrected_assessment_date_and_step(self):
        episode = make_episode()
        services.save_assessment(episode, ASSESSMENT, actor=episode.therapist, now=NOW)
        services.save_assessment(
            episode,
            {**ASSESSMENT, "assessed_on": date(2026, 3, 5)},
            actor=episode.therapist,
            now=NOW,
        )
        assert steps(episode) == [(None, "2", date(2026, 3, 5))]
        services.save_assessment(
            episode,
            {**ASSESSMENT, "assessed_on": date(2026, 3, 5), "step_of_care": "3"},
            actor=episode.therapist,
            now=NOW,
        )
        assert steps(episode) == [(None, "3", date(2026, 3, 5))]
        assert db.session.get(CareEpisode, episode.id).current_step == "3"

    def test_it_stays_before_a_later_step_change(self):
        episode = make_episode()
        services.save_assessment(episode, ASSESSMENT, actor=episode.therapist, now=NOW)
        services.change_step(
            episode, "3", on=date(2026, 3, 10), reason="Step up", actor=episode.therapist, now=NOW
        )
        before = counts()
        with pytest.raises(PathwayError, match="10 March 2026"):
            services.save_assessment(
                episode,
                {**ASSESSMENT, "assessed_on": date(2026, 3, 12)},
                actor=episode.therapist,
                now=NOW,
            )
        with pytest.raises(PathwayError, match="Step up or down"):
            services.save_assessment(
                episode,
                {**ASSESSMENT, "step_of_care": "3"},
                actor=episode.therapist,
                now=NOW,
            )
        assert counts() == before
        services.save_assessment(
            episode,
            {**ASSESSMENT, "assessed_on": date(2026, 3, 4)},
            actor=episode.therapist,
            now=NOW,
        )
        assert steps(episode) == [(None, "2", date(2026, 3, 4)), ("2", "3", date(2026, 3, 10))]
        assert db.session.get(CareEpisode, episode.id).current_step == "3"


# --- the pages -------------------------------------------------------------------------------


def url(episode: CareEpisode, suffix: str = "") -> str:
    return f"/care-pathway/episodes/{episode.id}{suffix}"


@pytest.fixture
def mine(client, login_as):
    therapist = login_as(Role.THERAPIST)
    return make_episode(therapist=therapist)


FORM = {
    "assessed_on": "2026-03-02",
    "problem_descriptor": "gad",
    "icd10_code": "F41.1",
    "risk_level": "low",
    "risk_summary": "No thoughts of self-harm.",
    "risk_plan": "Crisis numbers given.",
    "goals": "Worry less about work.",
    "options_explained": "Guided self-help or CBT.",
    "preference": "CBT",
    "preference_met": "no",
    "step_of_care": "2",
}


def test_the_assessment_page_refuses_a_date_after_today_on_the_field(client, mine):
    future = (datetime.now(UTC).date() + timedelta(days=2)).isoformat()
    before = counts()
    page = submit(client, url(mine, "/assessment"), {**FORM, "assessed_on": future}).get_data(
        as_text=True
    )
    assert 'href="#assessed_on"' in page
    assert "The date of the assessment must be today or in the past" in page
    assert counts() == before


def test_the_step_page_refuses_a_date_after_today_on_the_field(client, mine):
    assert submit(client, url(mine, "/assessment"), FORM).status_code == 302
    before = counts()
    page = submit(
        client,
        url(mine, "/step"),
        {"to_step": "3", "changed_on": "2099-12-15", "reason": "More support"},
    ).get_data(as_text=True)
    assert 'href="#changed_on"' in page
    assert "The date of the change must be today or in the past" in page
    assert counts() == before


def test_the_episode_page_shows_the_earlier_versions(client, mine):
    author = mine.therapist.full_name
    assert submit(client, url(mine, "/assessment"), FORM).status_code == 302
    page = client.get(url(mine, "/assessment")).get_data(as_text=True)
    assert 'value="2026-03-02"' in page
    changed = {**FORM, "risk_level": "moderate", "risk_summary": "Passive thoughts of death."}
    assert submit(client, url(mine, "/assessment"), changed).status_code == 302
    page = client.get(url(mine)).get_data(as_text=True)
    assert "Passive thoughts of death." in page
    assert "Earlier versions" in page and "No thoughts of self-harm." in page
    assert author in page

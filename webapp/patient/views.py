from __future__ import annotations

from datetime import UTC, datetime

from flask import render_template
from flask_login import current_user

from webapp.charges import queries as charges_queries
from webapp.community import queries as community_queries
from webapp.library import queries as library_queries
from webapp.measures import history
from webapp.measures import queries as measures_queries
from webapp.pathway import queries as pathway_queries
from webapp.patient import bp


@bp.route("/")
def home() -> str:
    now = datetime.now(UTC)
    upcoming = measures_queries.upcoming_for_patient(current_user.id, now)
    complete = {a.id: measures_queries.is_pre_session_set_complete(a.id) for a in upcoming}
    return render_template(
        "patient/home.html",
        title="Your home",
        upcoming=upcoming,
        now=now,
        questionnaires_complete=complete,
        experience=measures_queries.pending_experience(current_user.id),
        charts=[c for c in history.score_charts(current_user.id) if c.history],
        messages=community_queries.messages_for(current_user.id)[:3],
        sessions_left=charges_queries.sessions_left(current_user.id),
        **library_queries.for_home_page(current_user.id, now),
    )


@bp.route("/care")
def care() -> str:
    """The patient's own care episode in plain words, and after discharge what happens next."""
    return render_template(
        "patient/care.html",
        title="Your care",
        episode=pathway_queries.latest_episode_for_patient(current_user.id),
        profile=current_user.patient_profile,
        now=datetime.now(UTC),
    )

"""The supervision pages. The clinical lead sees the whole service and every therapist, and
records supervision meetings; a therapist sees only their own figures, episodes and meetings (any
other therapist's page is a 404); every other role is refused."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from webapp.booking.queries import london_today
from webapp.models import Role, User
from webapp.security import require_roles, roles_required
from webapp.supervision import figures as rules
from webapp.supervision import queries, services
from webapp.supervision.forms import MeetingForm, as_id
from webapp.therapy.forms import parse_date

bp = Blueprint("supervision", __name__, url_prefix="/supervision")
bp.before_request(require_roles(Role.THERAPIST, Role.CLINICAL_LEAD))

ZONE = "Europe/London"


def utcnow() -> datetime:
    return datetime.now(UTC)


def _context() -> queries.Context:
    now = utcnow()
    return queries.Context(
        window=rules.window(london_today(now), rules.parse_months(request.args.get("months"))),
        now=now,
        review_after=int(current_app.config["REVIEW_AFTER_TREATMENT_SESSIONS"]),
        warning_days=int(current_app.config["CREDENTIAL_WARNING_DAYS"]),
    )


def _page() -> int:
    text = request.args.get("page", "")
    return int(text) if text.isdigit() and len(text) < 7 else 1


def _figure(name: str) -> rules.Figure:
    try:
        found = rules.figure(name)
    except KeyError:
        abort(404)
    if not found.has_episodes:
        abort(404)
    return found


@bp.route("/")
def index() -> Response | str:
    if current_user.role is Role.THERAPIST:
        return redirect(url_for("supervision.therapist_page", therapist_id=current_user.id))
    context = _context()
    counts = queries.counts(context)
    therapists = queries.therapists()
    return render_template(
        "supervision/service.html",
        title="Supervision",
        context=context,
        figures=rules.FIGURES,
        service=rules.total(counts.values()),
        rows=[(t, counts.get(t.id, rules.Counts())) for t in therapists],
        frequencies=queries.frequencies(context),
        months=rules.PERIOD_MONTHS,
    )


@bp.route("/therapists/<int:therapist_id>")
def therapist_page(therapist_id: int) -> str:
    therapist = queries.therapist_for(current_user, therapist_id)
    context = _context()
    counts = queries.counts(context).get(therapist.id, rules.Counts())
    return render_template(
        "supervision/therapist.html",
        title=_title(therapist),
        therapist=therapist,
        context=context,
        figures=rules.FIGURES,
        counts=counts,
        credentials=queries.credentials_of(therapist.id, context),
        frequency=queries.frequencies(context).get(therapist.id, rules.Frequency(0, None)),
        months=rules.PERIOD_MONTHS,
    )


def _title(therapist: User) -> str:
    if therapist.id == current_user.id:
        return "Your supervision figures"
    return f"Supervision: {therapist.full_name}"


@bp.route("/therapists/<int:therapist_id>/figures/<name>")
def therapist_figure(therapist_id: int, name: str) -> str:
    therapist = queries.therapist_for(current_user, therapist_id)
    found = _figure(name)
    context = _context()
    return render_template(
        "supervision/episodes.html",
        title=f"{found.label}: {therapist.full_name}",
        figure=found,
        therapist=therapist,
        context=context,
        behind=queries.episodes_behind(
            found.key, context, current_user, therapist.id, page=_page()
        ),
        back=url_for(
            "supervision.therapist_page", therapist_id=therapist.id, months=context.window.months
        ),
    )


@bp.route("/service/figures/<name>")
@roles_required(Role.CLINICAL_LEAD)
def service_figure(name: str) -> str:
    found = _figure(name)
    context = _context()
    return render_template(
        "supervision/episodes.html",
        title=f"{found.label}: the whole service",
        figure=found,
        therapist=None,
        context=context,
        behind=queries.episodes_behind(found.key, context, current_user, None, page=_page()),
        back=url_for("supervision.index", months=context.window.months),
    )


@bp.route("/therapists/<int:therapist_id>/meetings")
def meetings(therapist_id: int) -> str:
    therapist = queries.therapist_for(current_user, therapist_id)
    return render_template(
        "supervision/meetings.html",
        title=f"Supervision meetings: {therapist.full_name}",
        therapist=therapist,
        meetings=queries.meetings_of(therapist.id),
    )


@bp.route("/therapists/<int:therapist_id>/meetings/new", methods=["GET", "POST"])
@roles_required(Role.CLINICAL_LEAD)
def new_meeting(therapist_id: int) -> Response | str:
    therapist = queries.therapist_for(current_user, therapist_id)
    supervisors = [user for user in queries.supervisors() if user.id != therapist.id]
    episodes = queries.case_choices(therapist.id)
    form = MeetingForm(supervisors, episodes)
    if request.method == "GET":
        form.supervisor_id.data = str(current_user.id)
    if form.validate_on_submit():
        met_on = parse_date(form.met_on.data)
        supervisor_id = as_id(form.supervisor_id.data)
        case_ids = [as_id(value) for value in form.cases.data or []]
        problems = rules.meeting_problems(
            met_on=met_on,
            met_on_entered=bool((form.met_on.data or "").strip()),
            today=london_today(utcnow()),
            supervisor_id=supervisor_id,
            therapist_id=therapist.id,
            supervisor_choices=[user.id for user in supervisors],
            case_ids=[case if case is not None else -1 for case in case_ids],
            case_choices=[episode.id for episode in episodes],
            agreed_actions=form.agreed_actions.data or "",
        )
        if not problems:
            services.record_meeting(
                current_user,
                therapist,
                met_on=met_on,  # type: ignore[arg-type]
                supervisor_id=supervisor_id,  # type: ignore[arg-type]
                case_ids=[case for case in case_ids if case is not None],
                agreed_actions=form.agreed_actions.data or "",
            )
            flash("Supervision meeting recorded.")
            return redirect(url_for("supervision.meetings", therapist_id=therapist.id))
        for field_name, message in problems.items():
            getattr(form, field_name).errors.append(message)
    return render_template(
        "supervision/new_meeting.html",
        title="Record a supervision meeting",
        therapist=therapist,
        form=form,
    )

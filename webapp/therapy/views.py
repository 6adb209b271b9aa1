from __future__ import annotations

from flask import render_template

from webapp.therapy import bp


@bp.route("/")
def dashboard() -> str:
    return render_template("staff/therapist_dashboard.html", title="Your sessions")

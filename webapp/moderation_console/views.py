from __future__ import annotations

from flask import render_template

from webapp.moderation_console import bp


@bp.route("/")
def dashboard() -> str:
    return render_template("staff/moderation_dashboard.html", title="Moderation")

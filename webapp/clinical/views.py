from __future__ import annotations

from flask import render_template

from webapp.clinical import bp


@bp.route("/")
def dashboard() -> str:
    return render_template("staff/clinical_dashboard.html", title="Clinical lead")

from __future__ import annotations

from flask import render_template

from webapp.reports import bp


@bp.route("/")
def index() -> str:
    return render_template("staff/reports_index.html", title="Reports")

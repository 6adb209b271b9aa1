from __future__ import annotations

from flask import render_template

from webapp.patient import bp


@bp.route("/")
def home() -> str:
    return render_template("patient/home.html", title="Your home")

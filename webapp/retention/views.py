"""The retention schedule as configured, and each run's report of what was removed."""

from __future__ import annotations

from flask import render_template

from webapp.retention import bp, queries, services


@bp.route("")
def index() -> str:
    return render_template(
        "retention/index.html",
        title="Retention",
        rules=services.rules(),
        runs=queries.recent_runs(),
    )


@bp.route("/runs/<int:run_id>")
def run(run_id: int) -> str:
    found = queries.run_or_404(run_id)
    labels = {rule.kind: rule.label for rule in services.rules()}
    return render_template("retention/run.html", title="Retention run", run=found, labels=labels)

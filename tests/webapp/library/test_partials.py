"""The two partials the patient's home page includes, rendered as the home page will."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import render_template_string

from tests import factories
from tests.webapp.library.conftest import give_access
from webapp.library import queries
from webapp.models import Role

HOME = '{% include "library/_access_notice.html" %}{% include "library/_suggested.html" %}'


def render_home(app, patient):
    with app.test_request_context("/my/"):
        context = queries.for_home_page(patient.id, datetime.now(UTC))
        return render_template_string(HOME, **context)


def test_during_access_home_shows_when_it_ends_and_suggested_modules(app):
    patient = factories.make_user(Role.PATIENT)
    give_access(patient, starts=-timedelta(days=1), ends=timedelta(days=90))
    html = render_home(app, patient)
    assert "You can use self-help and the community until" in html
    assert "Suggested for you" in html
    assert 'href="/self-help/coping-while-waiting"' in html
    assert 'href="/self-help/staying-safe"' in html


@pytest.mark.parametrize(
    ("period", "message"),
    [
        ((-timedelta(days=200), -timedelta(days=2)), "Your access to self-help has ended"),
        ((timedelta(days=2), timedelta(days=9)), "has not started yet"),
        (None, "You do not have access to self-help yet"),
    ],
)
def test_outside_access_home_shows_the_notice_and_no_suggestions(app, period, message):
    patient = factories.make_user(Role.PATIENT)
    if period is not None:
        give_access(patient, starts=period[0], ends=period[1])
    html = render_home(app, patient)
    assert message in html
    assert "Suggested for you" not in html
    assert 'href="/safety-plan"' in html and 'href="/need-help-now"' in html
    if period and period[1] < timedelta(0):
        assert "refer yourself again" in html

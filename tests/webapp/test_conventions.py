"""Walk the URL map: every route has a role rule, typed ids and kebab-case paths (STYLE.md 7)."""

from __future__ import annotations

import re

from webapp.security import require_roles

# Endpoints anyone may reach, signed in or not.
PUBLIC_BLUEPRINTS = {"public", "auth", "referral", "nhsuk_assets"}
PUBLIC_ENDPOINTS = {"static"}


def test_every_non_public_blueprint_sets_a_minimum_role(app):
    guarded = set()
    for name, functions in app.before_request_funcs.items():
        if name is None:
            continue
        if any(f.__qualname__ == require_roles(*()).__qualname__ for f in functions):
            guarded.add(name)
    blueprints = set(app.blueprints) - PUBLIC_BLUEPRINTS
    assert blueprints <= guarded, f"blueprints without a role rule: {blueprints - guarded}"


def test_paths_are_kebab_case_and_ids_are_typed(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS or rule.endpoint.startswith("nhsuk_assets"):
            continue
        static_parts = re.sub(r"<[^>]+>", "", rule.rule)
        assert re.fullmatch(r"[a-z0-9/\-]*", static_parts), rule.rule
        for converter, argument in re.findall(r"<(?:(\w+):)?(\w+)>", rule.rule):
            if argument.endswith("_id"):
                assert converter == "int", f"{rule.rule}: ids must be <int:...>"

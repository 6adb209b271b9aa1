"""Pages anyone may see: the start page, urgent help, privacy, accessibility, and /health."""

from flask import Blueprint

bp = Blueprint("public", __name__)

from webapp.public import views  # noqa: E402, F401  - registers the routes on the blueprint

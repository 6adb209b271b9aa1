"""The background worker's entry point: `huey_consumer webapp.worker.huey`.

Building the app imports every feature, and with them every task they define.
"""

from webapp import create_app
from webapp.jobs import bind_app, huey

bind_app(create_app())

__all__ = ["huey"]

"""The WSGI entry point: `gunicorn -k gevent -w 1 wsgi:app` in production, `flask run` locally."""

from webapp import create_app

app = create_app()

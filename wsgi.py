"""The WSGI entry point: `gunicorn -k gevent -w 1 wsgi:app` in production, `flask run` locally."""

import gc

from webapp import create_app

app = create_app()
# Everything made at start-up lives as long as the process: keep it out of the garbage
# collector's full passes, which otherwise walk it all again and stall every open room.
gc.freeze()

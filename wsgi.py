"""The WSGI entry point: `gunicorn -k gevent -w 1 wsgi:app` in production, `flask run` locally."""

import gc

from webapp import create_app

app = create_app()
# Everything made at start-up lives as long as the process: keep it out of the garbage
# collector's full passes, which otherwise walk it all again and stall every open room.
gc.freeze()
# A full pass over what a thousand open rooms hold (their sockets, greenlets and sessions) took
# 120-190 ms, stopping every room. Python starts one whenever objects promoted since the last
# grow by a quarter, and at the default thresholds (700, 10, 10) messages in flight were
# promoted fast enough for one every few seconds under load. Messages leave no cycles behind
# (realtime.SocketEventContext), so collecting the young generation less often costs little
# memory; full passes now wait for a hundred middle-generation passes (benchmarks/chat.py).
gc.set_threshold(20_000, 20, 100)

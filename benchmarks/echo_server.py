"""The bare baseline for benchmarks/chat.py: python-socketio relaying each message to the other
person in a room and acknowledging it, with nothing else (no sign-in, no checks, no database).
Served the same way as the app: gunicorn, one gevent worker."""

from __future__ import annotations

from typing import Any

import socketio

sio = socketio.Server(async_mode="gevent", cors_allowed_origins=["http://chat.test"])
app = socketio.WSGIApp(sio)


@sio.on("connect", namespace="/chat")
def connect(sid: str, environ: dict[str, Any], auth: dict[str, Any]) -> None:
    sio.enter_room(sid, f"room-{auth['appointment_id']}", namespace="/chat")
    sio.save_session(sid, {"room": f"room-{auth['appointment_id']}"}, namespace="/chat")


@sio.on("send", namespace="/chat")
def send(sid: str, data: dict[str, Any]) -> dict[str, Any]:
    room = sio.get_session(sid, namespace="/chat")["room"]
    message = {"client_id": data["client_id"], "html": data["body"], "party": "echo"}
    sio.emit("chat", message, to=room, skip_sid=sid, namespace="/chat")
    return {"ok": True, "message": message}

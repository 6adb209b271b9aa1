"""`flask rotate-keys`: every encrypted value ends up under the newest key, readable without
the old one, and nothing else changes."""

from __future__ import annotations

from cryptography.fernet import Fernet
from sqlalchemy import text

from tests import factories
from webapp.extensions import db
from webapp.models import ChatMessage, Role, User
from webapp.models.base import keyring


def test_rotate_keys_re_encrypts_every_encrypted_column_under_the_newest_key(app):
    therapist = factories.make_therapist()
    appointment = factories.make_appointment(therapist=therapist)
    db.session.add(
        ChatMessage(
            appointment_id=appointment.id,
            sequence=1,
            sender_id=therapist.id,
            client_id="rotation-0001",
            body="Hello, before rotation",
        )
    )
    db.session.commit()
    secret = therapist.totp_secret
    old_keys = list(app.config["ENCRYPTION_KEYS"])
    new_key = Fernet.generate_key().decode()
    try:
        keyring.configure([new_key, *old_keys])
        result = app.test_cli_runner().invoke(args=["rotate-keys"])
        assert result.exit_code == 0, result.output
        assert "chat_messages.body: 1 re-encrypted" in result.output
        keyring.configure([new_key])  # the old key is gone
        db.session.expire_all()
        assert db.session.get(User, therapist.id).totp_secret == secret
        message = db.session.query(ChatMessage).one()
        assert message.body == "Hello, before rotation"
        token = db.session.execute(text("SELECT body FROM chat_messages")).scalar()
        assert Fernet(new_key.encode()).decrypt(token.encode()) == b"Hello, before rotation"
    finally:
        keyring.configure(old_keys)
    assert factories.make_user(Role.PATIENT).id  # the app still works with its own keys

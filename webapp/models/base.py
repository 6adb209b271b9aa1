"""Declarative base with constraint naming conventions, and the column types every model shares."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import DateTime, Dialect, MetaData, Text, TypeDecorator
from sqlalchemy.orm import DeclarativeBase

# Named constraints make Alembic migrations (and SQLite batch mode) predictable.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on SQLite as on PostgreSQL.

    SQLite has no time zones, so values are stored as naive UTC and given tzinfo on the way out;
    a naive value coming in is a programming error, not something to guess about.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; pass an aware datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class _Keyring:
    """The Fernet keys for encrypted columns, set from configuration by `create_app`."""

    def __init__(self) -> None:
        self._fernet: MultiFernet | None = None

    def configure(self, keys: Sequence[str]) -> None:
        if not keys:
            raise RuntimeError("ENCRYPTION_KEYS is empty: encrypted columns need at least one key")
        self._fernet = MultiFernet([Fernet(key) for key in keys])

    @property
    def fernet(self) -> MultiFernet:
        if self._fernet is None:
            raise RuntimeError("encryption keys are not configured (create_app sets them)")
        return self._fernet


keyring = _Keyring()


class EncryptedText(TypeDecorator[str]):
    """Text encrypted at rest with MultiFernet; the first key encrypts, every key decrypts.

    Rotation re-encrypts each value under the newest key (`flask rotate-keys`).
    """

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return keyring.fernet.encrypt(value.encode("utf-8")).decode("ascii")

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        try:
            return keyring.fernet.decrypt(value.encode("ascii")).decode("utf-8")
        except InvalidToken as error:
            raise RuntimeError(
                "an encrypted value cannot be read with the configured ENCRYPTION_KEYS"
            ) from error


def enum_values(enum_class: Any) -> list[str]:
    """Store enums by value (stable codes), never by Python member name."""
    return [member.value for member in enum_class]

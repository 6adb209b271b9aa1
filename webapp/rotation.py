"""Key rotation for encrypted columns (`flask rotate-keys`).

ENCRYPTION_KEYS lists Fernet keys newest first: the newest encrypts, every key decrypts. To
rotate, put a new key first, restart, run `flask rotate-keys` (every EncryptedText value in every
table is re-encrypted under the newest key, in batches, one transaction per batch), then drop the
old key from ENCRYPTION_KEYS. Values are read and written as stored tokens, never as plain text.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import Column, Table, select, text
from sqlalchemy import column as raw_column

from webapp.extensions import db
from webapp.models import Base
from webapp.models.base import EncryptedText, keyring

BATCH = 500


def encrypted_columns() -> Iterator[tuple[Table, Column[str]]]:
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, EncryptedText):
                yield table, column


def rotate_all(batch: int = BATCH) -> dict[str, int]:
    """Re-encrypt every encrypted value under the newest key; {"table.column": values done}."""
    fernet = keyring.fernet
    done: dict[str, int] = {}
    for table, column in encrypted_columns():
        (key,) = table.primary_key.columns
        token = raw_column(column.name)  # untyped: the stored token, not the decrypted value
        update = text(
            f"UPDATE {table.name} SET {column.name} = :token WHERE {key.name} = :key"  # noqa: S608 - names from our own metadata
        )
        count, last = 0, None
        while True:
            query = select(key, token).select_from(table).where(token.is_not(None)).order_by(key)
            if last is not None:
                query = query.where(key > last)
            with db.transaction() as session:
                rows = session.execute(query.limit(batch)).all()
                if rows:
                    session.execute(
                        update,
                        [
                            {"key": row[0], "token": fernet.rotate(row[1].encode()).decode()}
                            for row in rows
                        ],
                    )
            if not rows:
                break
            count += len(rows)
            last = rows[-1][0]
        done[f"{table.name}.{column.name}"] = count
    return done

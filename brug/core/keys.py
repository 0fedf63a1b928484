"""Rotating BRUG_DATA_KEYS: re-encrypt every encrypted value with the newest key (`brug keys rotate`)."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import Column, Engine, Table, text
from sqlmodel import SQLModel

import brug.core.models  # noqa: F401  registers the tables on SQLModel.metadata
from brug.core.encrypted import EncryptedInt, EncryptedJSON, EncryptedText, vault_of

BATCH = 500
_ENCRYPTED = (EncryptedInt, EncryptedJSON, EncryptedText)


def encrypted_columns() -> Iterator[tuple[Table, Column[object]]]:
    for table in SQLModel.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, _ENCRYPTED):
                yield table, column


def rotate_keys(engine: Engine) -> int:
    """Re-encrypt every value with the first key; returns how many values were rewritten.

    Safe while the bot runs: a value is replaced only if it is still the one read, so a newer write
    (already made with the new key by a process that has the new BRUG_DATA_KEYS) is never undone.
    """
    return sum(_rotate_column(engine, table, column) for table, column in encrypted_columns())


def _rotate_column(engine: Engine, table: Table, column: Column[object]) -> int:
    (key,) = table.primary_key.columns
    vault = vault_of(engine)
    # Names from our own metadata, not from input.
    select = text(
        f"SELECT {key.name}, {column.name} FROM {table.name} "  # noqa: S608
        f"WHERE {key.name} > :after AND {column.name} IS NOT NULL AND {column.name} <> '' "
        f"ORDER BY {key.name} LIMIT {BATCH}"
    )
    update = text(
        f"UPDATE {table.name} SET {column.name} = :new "  # noqa: S608
        f"WHERE {key.name} = :key AND {column.name} = :old"
    )
    rotated, after = 0, _lowest(key)
    while True:
        with engine.begin() as connection:
            rows = connection.execute(select, {"after": after}).all()
            if not rows:
                return rotated
            changes = [{"key": k, "old": old, "new": vault.rotate(old)} for k, old in rows]
            connection.execute(update, changes)
        rotated += len(rows)
        after = rows[-1][0]


def _lowest(key: Column[object]) -> int | str:
    return -1 if key.type.python_type is int else ""


def unreadable_columns(engine: Engine) -> list[str]:
    """Columns whose newest value none of the keys can decrypt: a key that encrypted data is missing."""
    vault = vault_of(engine)
    missing = []
    with engine.connect() as connection:
        for table, column in encrypted_columns():
            (key,) = table.primary_key.columns
            newest = connection.execute(
                text(
                    f"SELECT {column.name} FROM {table.name} "  # noqa: S608  names from our own metadata
                    f"WHERE {column.name} IS NOT NULL AND {column.name} <> '' "
                    f"ORDER BY {key.name} DESC LIMIT 1"
                )
            ).scalar_one_or_none()
            if newest is not None and not vault.can_decrypt(str(newest)):
                missing.append(f"{table.name}.{column.name}")
    return missing

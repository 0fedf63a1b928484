"""encrypt chat ids and texts at rest; group inbox and outbox rows by a keyed chat hash

Revision ID: f3c9a1d2b7e4
Revises: e5a1c0b4f7d2
Create Date: 2026-11-29 20:40:00

Existing rows are read in clear, the columns become TEXT, and the rows are written back encrypted with the
first key of BRUG_DATA_KEYS (the same column types the models use, so the format is the same).
"""
import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql
from sqlalchemy.types import TypeDecorator

import brug.core.models
from brug.core.encrypted import EncryptedInt, EncryptedJSON, EncryptedText, vault_of

revision: str = 'f3c9a1d2b7e4'
down_revision: str | None = 'e5a1c0b4f7d2'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table, primary key, column, encrypted type, old type
COLUMNS: list[tuple[str, str, str, TypeDecorator[Any], sa.types.TypeEngine[Any]]] = [
    ("users", "id", "chat_id", EncryptedInt(), sa.BigInteger()),
    ("conversations", "user_id", "data", EncryptedJSON(), sa.JSON()),
    ("inbox", "id", "payload", EncryptedJSON(), sa.JSON()),
    ("messages", "id", "text", EncryptedText(), sqlmodel.sql.sqltypes.AutoString()),
    ("outbox", "id", "chat_id", EncryptedInt(), sa.BigInteger()),
    ("outbox", "id", "payload", EncryptedJSON(), sa.JSON()),
    ("key_persons", "id", "telegram_chat_id", EncryptedInt(), sa.BigInteger()),
    ("case_notes", "id", "text", EncryptedText(), sqlmodel.sql.sqltypes.AutoString()),
]
_POSTGRES_PLACEHOLDER = {"BIGINT": "0", "JSON": "'{}'::json", "VARCHAR": None}


def _plain(value: Any, encrypted: TypeDecorator[Any]) -> Any:
    if isinstance(encrypted, EncryptedJSON) and isinstance(value, str):
        return json.loads(value)
    return value


def _read(table: str, key: str, column: str) -> list[tuple[Any, Any]]:
    rows = op.get_bind().execute(sa.text(f"SELECT {key}, {column} FROM {table} WHERE {column} IS NOT NULL"))
    return [(row[0], row[1]) for row in rows]


def _write(table: str, key: str, values: dict[str, list[tuple[Any, Any]]]) -> None:
    for column, rows in values.items():
        if rows:
            op.get_bind().execute(
                sa.text(f"UPDATE {table} SET {column} = :value WHERE {key} = :key"),
                [{"key": row_key, "value": value} for row_key, value in rows],
            )


def upgrade() -> None:
    bind = op.get_bind()
    dialect = bind.dialect
    plain = {
        (table, column): [(k, _plain(v, kind)) for k, v in _read(table, key, column)]
        for table, key, column, kind, _old in COLUMNS
    }
    with op.batch_alter_table('inbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chat_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column('user_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.drop_column('chat_id')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chat_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column('transient', sa.Boolean(), nullable=False, server_default=sa.false()))
    for table, _key, column, _kind, _old in COLUMNS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(column, type_=sa.Text(), postgresql_using=f"{column}::text")

    vault = vault_of(bind)
    transient = [(k, True) for k, p in plain[("outbox", "payload")] if p.pop("transient", None) == "forget"]
    for table, key, column, kind, _old in COLUMNS:
        rows = [(k, kind.process_bind_param(v, dialect)) for k, v in plain[(table, column)]]
        _write(table, key, {column: rows})
    payloads = plain[("inbox", "payload")]
    _write("inbox", "id", {
        "chat_key": [(k, vault.chat_key(p["chat_id"])) for k, p in payloads if p.get("chat_id") is not None],
        "user_key": [(k, p["user_key"]) for k, p in payloads if p.get("user_key") is not None],
    })
    _write("outbox", "id", {
        "chat_key": [(k, vault.chat_key(chat_id)) for k, chat_id in plain[("outbox", "chat_id")]],
        "transient": transient,
    })
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.alter_column('chat_key', existing_type=sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False)


def downgrade() -> None:
    bind = op.get_bind()
    dialect = bind.dialect
    plain = {
        (table, column): [(k, kind.process_result_value(v, dialect)) for k, v in _read(table, key, column)]
        for table, key, column, kind, _old in COLUMNS
    }
    for table, _key, column, _kind, old in COLUMNS:
        using = _POSTGRES_PLACEHOLDER[old.compile(dialect=postgresql.dialect()).split("(")[0]]
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(column, type_=old, existing_type=sa.Text(), postgresql_using=using)
    for table, key, column, _kind, old in COLUMNS:
        as_json = isinstance(old, sa.JSON)
        rows = [(k, json.dumps(v) if as_json else v) for k, v in plain[(table, column)]]
        _write(table, key, {column: rows})
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('transient')
        batch_op.drop_column('chat_key')
    with op.batch_alter_table('inbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chat_id', sa.BigInteger(), nullable=True))
        batch_op.drop_column('user_key')
        batch_op.drop_column('chat_key')
    _write("inbox", "id", {"chat_id": [
        (k, p["chat_id"]) for k, p in plain[("inbox", "payload")] if p.get("chat_id") is not None
    ]})

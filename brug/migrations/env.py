"""Alembic environment. The URL comes from `brug.core.db.alembic_config` or from DATABASE_URL."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import brug.core.models  # noqa: F401  registers the tables on SQLModel.metadata
from brug.core.db import create_db_engine
from brug.core.settings import load_settings

attributes = context.config.attributes
settings = None if "vault" in attributes else load_settings()
url = attributes.get("database_url") or (settings or load_settings()).database
engine = create_db_engine(url, attributes["vault"] if settings is None else settings.vault)
with engine.connect() as connection:
    if connection.dialect.name == "sqlite":
        # Batch migrations copy and drop tables; with foreign keys on, dropping `users` would cascade and
        # delete every message. SQLite ignores this pragma inside a transaction, so it goes to the driver
        # before SQLAlchemy begins one; the rows are checked after the migration instead.
        connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
        if connection.dialect.name == "sqlite":
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"migration left {len(broken)} rows with broken foreign keys")
engine.dispose()

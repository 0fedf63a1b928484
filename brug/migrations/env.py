"""Alembic environment. The URL comes from `brug.core.db.alembic_config` or from DATABASE_URL."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import brug.core.models  # noqa: F401  registers the tables on SQLModel.metadata
from brug.core.db import create_db_engine
from brug.core.settings import load_settings

url = context.config.attributes.get("database_url") or load_settings().database
engine = create_db_engine(url)
with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()

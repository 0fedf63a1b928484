"""Database engine, short-lived sync sessions, and migrations."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import files
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlmodel import Session

from brug.core.crypto import Vault
from brug.core.encrypted import attach_vault

MIGRATIONS = str(files("brug") / "migrations")


def create_db_engine(url: str | URL, vault: Vault) -> Engine:
    """An engine for SQLite (embedded, one process) or PostgreSQL (production), carrying the keys that
    encrypted columns need.

    `hide_parameters`: database errors end up in logs, and their parameters would be message texts.
    """
    engine = _create_engine(make_url(url))
    attach_vault(engine, vault)
    return engine


def _create_engine(url: URL) -> Engine:
    if url.get_backend_name() == "sqlite":
        # One connection for the whole process: threads queue for it in the pool instead of meeting
        # SQLite's lock, whose busy handler sleeps up to 100 ms a try. SQLite mode is one process.
        engine = create_engine(
            url,
            hide_parameters=True,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=1,
            max_overflow=0,
            pool_timeout=60,
        )
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    return create_engine(url, hide_parameters=True, pool_pre_ping=True, pool_size=5, max_overflow=10)


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the driver, start transactions, so _sqlite_on_begin can take the write lock.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_on_begin(connection: Any) -> None:
    """BEGIN IMMEDIATE: a transaction that reads and then writes would otherwise fail with
    "database is locked" instead of waiting when another thread wrote in between."""
    connection.exec_driver_sql("BEGIN IMMEDIATE")


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One short transaction: commit on success, roll back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def alembic_config(url: str | URL, vault: Vault) -> Config:
    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    config.attributes["database_url"] = make_url(url)
    config.attributes["vault"] = vault
    return config


def migrate(url: str | URL, vault: Vault, revision: str = "head") -> None:
    """Bring the database schema up to date (`brug migrate`; `brug run` does it on start). Migrations
    that encrypt existing rows need the keys."""
    command.upgrade(alembic_config(url, vault), revision)

"""Fresh, migrated databases for tests: a SQLite file, or a PostgreSQL database made from a template.

Migrating once and copying is what keeps "every storage test on both databases" fast.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError

from brug.core.db import migrate
from tests.constants import VAULT

POSTGRES_ENV = "TEST_DATABASE_URL"


class PostgresUnavailable(Exception):
    pass


class SqliteDatabases:
    def __init__(self, root: Path) -> None:
        self._template = root / "template.db"
        migrate(f"sqlite:///{self._template}", VAULT)

    def create(self, directory: Path, *, migrated: bool = True) -> URL:
        target = directory / "brug.db"
        if migrated:
            shutil.copyfile(self._template, target)
        return make_url(f"sqlite:///{target}")


class PostgresDatabases:
    """Creates `brug_test_<id>` databases on the server named by TEST_DATABASE_URL."""

    def __init__(self, admin_url: str) -> None:
        self._admin = make_url(admin_url)
        self._engine = create_engine(self._admin, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
        try:
            with self._engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except OperationalError as exc:
            raise PostgresUnavailable(str(exc.orig).splitlines()[0]) from None
        self._template = f"brug_template_{uuid.uuid4().hex[:10]}"
        self._execute(f'CREATE DATABASE "{self._template}"')
        migrate(self._admin.set(database=self._template), VAULT)
        self._created: list[str] = []

    def _execute(self, statement: str) -> None:
        with self._engine.connect() as connection:
            connection.execute(text(statement))

    def create(self, *, migrated: bool = True) -> URL:
        name = f"brug_test_{uuid.uuid4().hex[:12]}"
        template = f' TEMPLATE "{self._template}"' if migrated else ""
        self._execute(f'CREATE DATABASE "{name}"{template}')
        self._created.append(name)
        return self._admin.set(database=name)

    def drop(self, url: URL) -> None:
        self._execute(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')

    def close(self) -> None:
        self._execute(f'DROP DATABASE IF EXISTS "{self._template}" WITH (FORCE)')
        self._engine.dispose()


def postgres_admin_url() -> str | None:
    return os.environ.get(POSTGRES_ENV) or None

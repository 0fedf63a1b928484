from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import URL

from brug.core.db import create_db_engine
from brug.core.settings import Settings, load_settings
from tests.constants import SECRET_KEY, TOKEN, VAULT
from tests.databases import (
    POSTGRES_ENV,
    PostgresDatabases,
    PostgresUnavailable,
    SqliteDatabases,
    postgres_admin_url,
)
from tests.fake_bot_api import FakeBotAPI


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Tests see only the settings they set: no developer's .env or shell variables leak in."""
    for name in list(os.environ):
        if name.startswith(("TELEGRAM_", "BRUG_")) or name == "DATABASE_URL":
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="session")
def sqlite_databases(tmp_path_factory: pytest.TempPathFactory) -> SqliteDatabases:
    return SqliteDatabases(tmp_path_factory.mktemp("sqlite-template"))


@pytest.fixture(scope="session")
def postgres_databases() -> Iterator[PostgresDatabases]:
    admin_url = postgres_admin_url()
    if admin_url is None:
        _skip_or_fail(f"{POSTGRES_ENV} is not set; set it to a PostgreSQL URL to run the PostgreSQL variant")
    try:
        databases = PostgresDatabases(admin_url)  # type: ignore[arg-type]
    except PostgresUnavailable as exc:
        _skip_or_fail(f"PostgreSQL at {POSTGRES_ENV} is not reachable: {exc}")
    yield databases
    databases.close()


def _skip_or_fail(reason: str) -> None:
    """Locally a missing PostgreSQL skips, visibly; in CI it fails, so the variant never silently vanishes."""
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def _database(request: pytest.FixtureRequest, tmp_path: Path, *, migrated: bool) -> Iterator[URL]:
    if request.param == "sqlite":
        yield request.getfixturevalue("sqlite_databases").create(tmp_path, migrated=migrated)
        return
    databases: PostgresDatabases = request.getfixturevalue("postgres_databases")
    url = databases.create(migrated=migrated)
    yield url
    databases.drop(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[URL]:
    """A fresh database, migrated to the newest revision."""
    yield from _database(request, tmp_path, migrated=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[URL]:
    """A fresh database with no tables, for migration tests."""
    yield from _database(request, tmp_path, migrated=False)


@pytest.fixture
def db(database_url: URL) -> Iterator[Engine]:
    engine = create_db_engine(database_url, VAULT)
    yield engine
    engine.dispose()


@pytest.fixture
def fake_telegram() -> Iterator[FakeBotAPI]:
    with FakeBotAPI(token=TOKEN) as fake:
        yield fake


@pytest.fixture
def bot_settings(database_url: URL, fake_telegram: FakeBotAPI) -> Settings:
    return load_settings(
        brug_env="test",
        telegram_bot_token=TOKEN,
        telegram_api_url=fake_telegram.base_url,
        database_url=database_url.render_as_string(hide_password=False),
        brug_secret_key=SECRET_KEY,
        telegram_poll_timeout=1,
    )

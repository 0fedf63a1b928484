"""GET /healthz: the database decides 200 or 503; Telegram only turns "ok" into "degraded"."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from brug.api.app import create_app
from brug.api.routes import health
from brug.core.db import create_db_engine
from brug.core.settings import load_settings
from tests.api.conftest import BackOffice
from tests.constants import SECRET_KEY, VAULT


def _health(back_office: BackOffice, check: Callable[[], Awaitable[bool]] | None) -> tuple[int, object]:
    app = create_app(back_office.settings, back_office.engine, telegram_check=check)
    with TestClient(app) as client:
        response = client.get("/healthz")
    return response.status_code, response.json()


def test_without_a_bot_telegram_is_off(back_office: BackOffice) -> None:
    response = back_office.client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "telegram": "off"}


def test_a_reachable_telegram_is_ok(back_office: BackOffice) -> None:
    async def reachable() -> bool:
        return True

    assert _health(back_office, reachable) == (200, {"status": "ok", "database": "ok", "telegram": "ok"})


def test_an_unreachable_telegram_degrades_but_stays_200(back_office: BackOffice) -> None:
    async def unreachable() -> bool:
        return False

    assert _health(back_office, unreachable) == (
        200,
        {"status": "degraded", "database": "ok", "telegram": "unreachable"},
    )


def test_a_check_that_raises_counts_as_unreachable(back_office: BackOffice) -> None:
    async def broken() -> bool:
        raise RuntimeError("no network")

    assert _health(back_office, broken) == (
        200,
        {"status": "degraded", "database": "ok", "telegram": "unreachable"},
    )


def test_a_check_that_hangs_counts_as_unreachable(
    back_office: BackOffice, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(health, "TELEGRAM_CHECK_TIMEOUT", 0.05)

    async def hangs() -> bool:
        await asyncio.sleep(5)
        return True

    assert _health(back_office, hangs) == (
        200,
        {"status": "degraded", "database": "ok", "telegram": "unreachable"},
    )


def test_an_unreachable_database_is_503(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'missing' / 'brug.db'}"
    engine = create_db_engine(url, VAULT)
    called = []

    async def reachable() -> bool:
        called.append(True)
        return True

    app = create_app(
        load_settings(brug_env="test", database_url=url, brug_secret_key=SECRET_KEY),
        engine,
        telegram_check=reachable,
    )
    with TestClient(app) as client:
        response = client.get("/healthz")
    engine.dispose()
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unreachable"}
    assert called == []

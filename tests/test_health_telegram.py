"""/healthz with the real bot over the fake Bot API, and the cached getMe check the composition root uses."""

from __future__ import annotations

import asyncio

from fastapi.testclient import TestClient
from telegram.error import NetworkError, RetryAfter

from brug.core.db import create_db_engine
from brug.core.settings import Settings
from brug.service import build_app, cached_check
from tests.fake_bot_api import FakeBotAPI


def test_the_app_with_the_bot_reports_telegram_ok_and_asks_it_once(
    bot_settings: Settings, fake_telegram: FakeBotAPI
) -> None:
    engine = create_db_engine(bot_settings.database, bot_settings.vault)
    with TestClient(build_app(bot_settings, engine)) as office:
        before = len(fake_telegram.calls("getMe"))
        first = office.get("/healthz")
        second = office.get("/healthz")
        after = len(fake_telegram.calls("getMe"))
    engine.dispose()
    assert first.status_code == 200
    assert first.json() == {"status": "ok", "database": "ok", "telegram": "ok"}
    assert second.json() == first.json()
    assert after - before == 1  # the second answer came from the cache


def test_the_app_with_the_bot_reports_a_failing_telegram_as_degraded(
    bot_settings: Settings, fake_telegram: FakeBotAPI
) -> None:
    engine = create_db_engine(bot_settings.database, bot_settings.vault)
    with TestClient(build_app(bot_settings, engine)) as office:
        fake_telegram.fail("getMe", status=502, description="Bad Gateway")
        response = office.get("/healthz")
    engine.dispose()
    assert response.status_code == 200
    assert response.json() == {"status": "degraded", "database": "ok", "telegram": "unreachable"}


class _Probe:
    def __init__(self, *errors: BaseException | None, delay: float = 0.0) -> None:
        self.errors = list(errors)
        self.delay = delay
        self.calls = 0

    async def __call__(self) -> object:
        self.calls += 1
        await asyncio.sleep(self.delay)
        error = self.errors.pop(0) if self.errors else None
        if error is not None:
            raise error
        return object()


def test_cached_check_reuses_its_answer_until_the_ttl_passes() -> None:
    now = [100.0]
    probe = _Probe(None, NetworkError("down"))
    check = cached_check(probe, timeout=1.0, ttl=15.0, clock=lambda: now[0])

    async def run() -> list[bool]:
        answers = [await check(), await check()]
        now[0] += 14.9
        answers.append(await check())
        now[0] += 0.2
        answers += [await check(), await check()]
        return answers

    assert asyncio.run(run()) == [True, True, True, False, False]
    assert probe.calls == 2


def test_cached_check_times_out_and_shares_one_probe() -> None:
    probe = _Probe(delay=1.0)
    check = cached_check(probe, timeout=0.05, ttl=15.0)

    async def run() -> list[bool]:
        return list(await asyncio.gather(check(), check(), check()))

    assert asyncio.run(run()) == [False, False, False]
    assert probe.calls == 1


def test_cached_check_counts_a_rate_limit_as_reachable() -> None:
    check = cached_check(_Probe(RetryAfter(5)), timeout=1.0, ttl=15.0)

    async def run() -> bool:
        return await check()

    assert asyncio.run(run()) is True

"""The composition root: the only module that knows both the bot and the back office."""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy import Engine
from telegram.error import RetryAfter

from brug.api.app import create_app
from brug.bot.preview import preview_step
from brug.bot.runtime import BotRuntime
from brug.bot.webhook import webhook_router
from brug.core.db import create_db_engine
from brug.core.settings import Settings, load_settings

# /healthz asks Telegram at most once per TELEGRAM_CHECK_TTL, however often a load balancer polls it.
TELEGRAM_CHECK_TIMEOUT = 2.0
TELEGRAM_CHECK_TTL = 15.0


def cached_check(
    probe: Callable[[], Awaitable[object]],
    *,
    timeout: float = TELEGRAM_CHECK_TIMEOUT,
    ttl: float = TELEGRAM_CHECK_TTL,
    clock: Callable[[], float] = time.monotonic,
) -> Callable[[], Awaitable[bool]]:
    """Run `probe` within `timeout`; its answer (reachable or not) is reused for `ttl` seconds.

    Concurrent callers share one probe. A 429 (RetryAfter) means Telegram answered, so it counts as ok.
    """
    lock = asyncio.Lock()
    last: tuple[float, bool] | None = None

    async def check() -> bool:
        nonlocal last
        async with lock:
            if last is not None and clock() - last[0] < ttl:
                return last[1]
            try:
                await asyncio.wait_for(probe(), timeout=timeout)
                reachable = True
            except RetryAfter:
                reachable = True
            except Exception:  # timeout, network, a refused token: all mean "the bot cannot reach it"
                reachable = False
            last = (clock(), reachable)
            return reachable

    return check


def app_from_environment() -> FastAPI:
    """The app of one worker when `brug run --workers N` starts several: each builds its own from the
    environment (the parent has migrated the database and checked the keys)."""
    settings = load_settings()
    return build_app(settings, create_db_engine(settings.database, settings.vault))


@asynccontextmanager
async def freeze_startup_objects(_app: FastAPI) -> AsyncIterator[None]:
    """Leave what exists once started (modules, lexicons, flows, catalogs: it lives as long as the process)
    out of the garbage collector's oldest generation, whose collections walked all of it and paused a
    request for 100-300 ms every few dozen back-office pages (docs/performance.md). Entered last."""
    gc.collect()
    gc.freeze()
    yield


def build_app(settings: Settings, engine: Engine) -> FastAPI:
    """The back office, plus the Telegram bot in the same process when a token is set."""
    if settings.telegram_bot_token is None:
        return create_app(settings, engine, preview=preview_step, lifespans=[freeze_startup_objects])
    runtime = BotRuntime(settings, engine)

    @asynccontextmanager
    async def run_bot(_app: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    def get_me() -> Awaitable[object]:
        return runtime.bot.get_me(
            read_timeout=TELEGRAM_CHECK_TIMEOUT,
            write_timeout=TELEGRAM_CHECK_TIMEOUT,
            connect_timeout=TELEGRAM_CHECK_TIMEOUT,
            pool_timeout=TELEGRAM_CHECK_TIMEOUT,
        )

    mode = "webhook" if settings.webhook_mode else "long polling"
    routers = [webhook_router(runtime)] if settings.webhook_mode else []
    return create_app(
        settings,
        engine,
        telegram_mode=mode,
        extra_routers=routers,
        lifespans=[run_bot, freeze_startup_objects],
        preview=preview_step,
        telegram_check=cached_check(get_me),
    )

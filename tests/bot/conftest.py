from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from brug.bot.runtime import BotRuntime
from brug.core.db import create_db_engine
from brug.core.settings import Settings


@asynccontextmanager
async def started(settings: Settings, **options: Any) -> AsyncIterator[BotRuntime]:
    engine = create_db_engine(settings.database, settings.vault)
    runtime = BotRuntime(settings, engine, **options)
    await runtime.start()
    try:
        yield runtime
    finally:
        await runtime.stop()
        engine.dispose()


@pytest.fixture
async def runtime(bot_settings: Settings) -> AsyncIterator[BotRuntime]:
    """The bot side of `brug run`, started against the fake Bot API and a fresh database."""
    async with started(bot_settings) as runtime:
        yield runtime


@pytest.fixture
async def fast_runtime(bot_settings: Settings) -> AsyncIterator[BotRuntime]:
    """The same, telling key persons about cases every 0.1 s instead of every 5 s."""
    async with started(bot_settings, escalation_interval=0.1) as runtime:
        yield runtime

from collections.abc import AsyncIterator

import pytest

from brug.bot.runtime import BotRuntime
from brug.core.db import create_db_engine
from brug.core.settings import Settings


@pytest.fixture
async def runtime(bot_settings: Settings) -> AsyncIterator[BotRuntime]:
    """The bot side of `brug run`, started against the fake Bot API and a fresh database."""
    engine = create_db_engine(bot_settings.database)
    runtime = BotRuntime(bot_settings, engine)
    await runtime.start()
    yield runtime
    await runtime.stop()
    engine.dispose()

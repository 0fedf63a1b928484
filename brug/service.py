"""The composition root: the only module that knows both the bot and the back office."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy import Engine

from brug.api.app import create_app
from brug.bot.preview import preview_step
from brug.bot.runtime import BotRuntime
from brug.bot.webhook import webhook_router
from brug.core.settings import Settings


def build_app(settings: Settings, engine: Engine) -> FastAPI:
    """The back office, plus the Telegram bot in the same process when a token is set."""
    if settings.telegram_bot_token is None:
        return create_app(settings, engine, preview=preview_step)
    runtime = BotRuntime(settings, engine)

    @asynccontextmanager
    async def run_bot(_app: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    mode = "webhook" if settings.webhook_mode else "long polling"
    routers = [webhook_router(runtime)] if settings.webhook_mode else []
    return create_app(
        settings, engine, telegram_mode=mode, extra_routers=routers, lifespans=[run_bot], preview=preview_step
    )

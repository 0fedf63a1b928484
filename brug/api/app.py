"""The back office: a FastAPI app. It knows the database, never the Telegram side."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager

from fastapi import APIRouter, FastAPI
from sqlalchemy import Engine

from brug.api.routes import health, home
from brug.core.settings import Settings

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def create_app(
    settings: Settings,
    engine: Engine,
    *,
    telegram_mode: str = "off",
    extra_routers: Sequence[APIRouter] = (),
    lifespans: Sequence[Lifespan] = (),
) -> FastAPI:
    """`extra_routers` and `lifespans` let the composition root add the bot; this package never imports it."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            for part in lifespans:
                await stack.enter_async_context(part(app))
            yield

    app = FastAPI(
        title="Brug back office",
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.telegram_mode = telegram_mode
    app.include_router(health.router)
    app.include_router(home.router)
    for router in extra_routers:
        app.include_router(router)
    return app

"""The back office: a FastAPI app. It knows the database, never the Telegram side."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from datetime import datetime
from importlib.resources import files

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine

from brug.api.deps import NotLoggedIn, storable_form, storable_query
from brug.api.pages import render
from brug.api.routes import admin, api, health, metrics, pages, voice
from brug.api.routes import preview as preview_page
from brug.core.casework import CaseError
from brug.core.models import utcnow
from brug.core.preview import PreviewEngine
from brug.core.settings import Settings

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]

# No inline scripts or styles anywhere: a message text that slips through escaping still cannot run.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; "
        "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def create_app(
    settings: Settings,
    engine: Engine,
    *,
    telegram_mode: str = "off",
    extra_routers: Sequence[APIRouter] = (),
    lifespans: Sequence[Lifespan] = (),
    clock: Callable[[], datetime] = utcnow,
    preview: PreviewEngine | None = None,
    telegram_check: Callable[[], Awaitable[bool]] | None = None,
) -> FastAPI:
    """`extra_routers` and `lifespans` let the composition root add the bot; this package never imports it.

    `telegram_check` answers whether Telegram is reachable, for /healthz; None when no bot runs."""

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
        dependencies=[Depends(storable_query)],
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.telegram_mode = telegram_mode
    app.state.clock = clock
    app.state.preview = preview
    app.state.telegram_check = telegram_check
    app.mount("/static", StaticFiles(directory=str(files("brug.api") / "static")), name="static")
    for router in (health.router, metrics.router, api.router, voice.router, *extra_routers):
        app.include_router(router)
    for router in (pages.router, admin.router, preview_page.router):
        app.include_router(router, dependencies=[Depends(storable_form)])
    _add_handlers(app)
    return app


def _add_handlers(app: FastAPI) -> None:
    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    @app.exception_handler(Exception)
    async def server_error(_request: Request, _exc: Exception) -> Response:
        """Starlette answers an unhandled error outside every middleware: the headers are set here too.
        The error is still raised afterwards, so it is logged as before."""
        return Response("Internal Server Error", status_code=500, headers=SECURITY_HEADERS)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError) -> Response:
        """FastAPI's own handler echoes the input back; a lone surrogate in it cannot be encoded (a 500)."""
        body = json.dumps({"detail": jsonable_encoder(exc.errors())}, ensure_ascii=True, default=str)
        return Response(body, status_code=422, media_type="application/json")

    @app.exception_handler(NotLoggedIn)
    async def not_logged_in(request: Request, _exc: NotLoggedIn) -> Response:
        return pages.login_redirect(request)

    @app.exception_handler(CaseError)
    async def case_error(request: Request, exc: CaseError) -> Response:
        if request.url.path.startswith("/api/") or "text/html" not in request.headers.get("accept", ""):
            return api.case_error_response(exc)
        code = api.STATUS_OF_PROBLEM[exc.problem]
        return render(request, "message.html", status_code=code, heading="That did not work", text=str(exc))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        wants_page = "text/html" in request.headers.get("accept", "") and not request.url.path.startswith(
            "/api/"
        )
        if not wants_page or not isinstance(exc.detail, str):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        return render(
            request, "message.html", status_code=exc.status_code, heading="That did not work", text=exc.detail
        )

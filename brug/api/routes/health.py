from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from brug.core.db import session_scope

log = logging.getLogger(__name__)

router = APIRouter()

TelegramCheck = Callable[[], Awaitable[bool]]

# A safety net around the composition root's own (shorter) timeout: /healthz must answer quickly.
TELEGRAM_CHECK_TIMEOUT = 3.0


def _database_answers(engine: Engine) -> bool:
    try:
        with session_scope(engine) as session:
            session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return False
    return True


async def _telegram_state(check: TelegramCheck | None) -> str:
    if check is None:
        return "off"
    try:
        reachable = await asyncio.wait_for(check(), timeout=TELEGRAM_CHECK_TIMEOUT)
    except Exception as exc:  # a health check reports, it does not fail
        log.warning("Telegram check failed (%s)", type(exc).__name__)
        reachable = False
    return "ok" if reachable else "unreachable"


@router.get("/healthz")
async def healthz(request: Request) -> JSONResponse:
    """For load balancers and operators: 503 when the database does not answer, else 200.

    Telegram being unreachable is 200 with `"status": "degraded"`, not 503: key persons can still read
    and answer cases (replies wait in the outbox until Telegram is back), and a load balancer that took
    every instance out of service for a Telegram outage would take the back office down with it.
    `"telegram"` is "ok", "unreachable", or "off" when this process runs no bot.
    """
    if not await asyncio.to_thread(_database_answers, request.app.state.engine):
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
    telegram = await _telegram_state(request.app.state.telegram_check)
    status = "degraded" if telegram == "unreachable" else "ok"
    return JSONResponse({"status": status, "database": "ok", "telegram": telegram})

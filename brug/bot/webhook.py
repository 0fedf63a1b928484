"""`POST /telegram/webhook`: Telegram delivers updates here in webhook mode.

The update is stored in the inbox before we answer 200; anything else makes Telegram deliver again.
"""

from __future__ import annotations

import hmac
import json
import logging

from fastapi import APIRouter, HTTPException, Request, Response
from telegram import Bot, Update

from brug.bot.runtime import BotRuntime

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105  a header name
MAX_BODY_BYTES = 1_000_000


def webhook_router(runtime: BotRuntime) -> APIRouter:
    router = APIRouter()
    secret = (runtime.settings.brug_webhook_secret or "").encode()

    @router.post("/telegram/webhook", include_in_schema=False)
    async def telegram_webhook(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not secret or not hmac.compare_digest(given, secret):
            raise HTTPException(status_code=403, detail="wrong or missing secret token")
        update = _parse_update(await _read_limited(request), runtime.bot)
        await runtime.receive([update])
        return Response(status_code=200)

    return router


def _parse_update(body: bytes, bot: Bot) -> Update:
    try:
        data = json.loads(body)
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            raise ValueError("no update_id")
        return Update.de_json(data, bot)
    except (ValueError, TypeError, KeyError, AttributeError):
        # python-telegram-bot assumes well-formed nested objects; anything else is the sender's fault.
        raise HTTPException(status_code=400, detail="not a Telegram update") from None


async def _read_limited(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise HTTPException(status_code=413, detail="request body too large")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise HTTPException(status_code=413, detail="request body too large")
    return bytes(body)

"""`POST /telegram/webhook`: Telegram delivers updates here in webhook mode.

The update is stored in the inbox before we answer 200; anything else makes Telegram deliver again.
"""

from __future__ import annotations

import hmac
import json
import logging

from fastapi import APIRouter, HTTPException, Request, Response
from telegram import Update

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
        body = await _read_limited(request)
        try:
            data = json.loads(body)
            update = Update.de_json(data, runtime.bot)
        except (ValueError, TypeError, KeyError):
            raise HTTPException(status_code=400, detail="not a Telegram update") from None
        if update is None:
            raise HTTPException(status_code=400, detail="not a Telegram update")
        await runtime.receive([update])
        return Response(status_code=200)

    return router


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

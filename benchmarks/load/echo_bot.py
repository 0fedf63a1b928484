"""The baseline of the load benchmark: a bare python-telegram-bot bot, nothing but PTB's defaults.

    python -m benchmarks.load.echo_bot polling
    python -m benchmarks.load.echo_bot webhook --port 8081 [--workers N]

It echoes every text and answers every button press (answerCallbackQuery, then a message), without a
database. Settings come from the environment, like `brug run`'s: TELEGRAM_BOT_TOKEN, TELEGRAM_API_URL
(the token is appended), TELEGRAM_POLL_TIMEOUT, and in webhook mode ECHO_WEBHOOK_URL and
ECHO_WEBHOOK_SECRET. With ECHO_RATE_LIMITED=1 it keeps Telegram's overall limit with PTB's own
`AIORateLimiter`, as Brug does: the baseline for what any bot that respects the limit can reach.
Webhook mode is PTB's documented custom-webhook pattern (Starlette under uvicorn,
`application.update_queue.put`), so it is served as Brug's webhook is.
"""

from __future__ import annotations

import argparse
import hmac
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from telegram import Update
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
)
from telegram.ext import filters as ptb_filters

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105  a header name
WEBHOOK_PATH = "/telegram/webhook"


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is not None and message.text is not None:
        await context.bot.send_message(message.chat_id, message.text)


async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None or query.message is None:
        return
    await query.answer()
    await context.bot.send_message(query.message.chat.id, f"You chose {query.data}")


EchoApplication = Application[Any, Any, Any, Any, Any, Any]


def build_application(*, webhook: bool) -> EchoApplication:
    # Any: the builder's generic types change with the rate limiter, which only matters to the type checker.
    builder: Any = ApplicationBuilder().token(os.environ["TELEGRAM_BOT_TOKEN"])
    builder = builder.base_url(os.environ["TELEGRAM_API_URL"])
    if os.environ.get("ECHO_RATE_LIMITED") == "1":
        builder = builder.rate_limiter(AIORateLimiter(max_retries=0))
    application: EchoApplication = (builder.updater(None) if webhook else builder).build()
    application.add_handler(MessageHandler(ptb_filters.TEXT, echo))
    application.add_handler(CallbackQueryHandler(pressed))
    return application


def run_polling() -> None:
    application = build_application(webhook=False)
    application.run_polling(timeout=int(os.environ.get("TELEGRAM_POLL_TIMEOUT", "10")))


def create_webhook_app() -> Starlette:
    """The webhook server; a factory, so that uvicorn can start it in each of several workers."""
    application = build_application(webhook=True)
    secret = os.environ["ECHO_WEBHOOK_SECRET"].encode()

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        async with application:
            await application.bot.set_webhook(
                os.environ["ECHO_WEBHOOK_URL"], secret_token=secret.decode(), allowed_updates=Update.ALL_TYPES
            )
            await application.start()
            yield
            await application.stop()

    async def webhook(request: Request) -> Response:
        if not hmac.compare_digest(request.headers.get(SECRET_HEADER, "").encode(), secret):
            return Response(status_code=403)
        await application.update_queue.put(Update.de_json(await request.json(), application.bot))
        return Response(status_code=200)

    async def health(_request: Request) -> Response:
        return PlainTextResponse("ok")

    routes = [Route(WEBHOOK_PATH, webhook, methods=["POST"]), Route("/healthz", health)]
    return Starlette(routes=routes, lifespan=lifespan)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("mode", choices=["polling", "webhook"])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes (webhook only)")
    args = parser.parse_args()
    if args.mode == "polling":
        run_polling()
        return
    uvicorn.run(
        "benchmarks.load.echo_bot:create_webhook_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="info",
    )


if __name__ == "__main__":
    main()

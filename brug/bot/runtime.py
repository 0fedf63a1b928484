"""The bot side of one process: receive updates (long polling or webhook), handle them, send the outbox;
and on timers, fire check-ins and tell key persons about cases.

Everything between the three loops goes through the database; the asyncio events only save waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import Engine
from telegram import Bot, Update
from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken, RetryAfter, TelegramError
from telegram.ext import AIORateLimiter, ExtBot
from telegram.request import HTTPXRequest

from brug.bot import handler
from brug.bot.checkins import fire_all_due
from brug.bot.inbox import next_offset, reduce_update, store_updates
from brug.bot.sender import Job, OutboxSender, call_telegram, retry_after_seconds
from brug.bot.signals import detect
from brug.core.db import session_scope
from brug.core.escalation import Rules, run_due
from brug.core.flows import load_flows
from brug.core.logs import log_failure
from brug.core.models import utcnow
from brug.core.privacy import drop_outbox_row, run_purge
from brug.core.settings import Settings

log = logging.getLogger(__name__)

# Updates handled between two looks for a newly arrived crisis.
INBOX_CHUNK = 20
# At a stop, how long the sends under way may take to finish before they are cancelled.
FINISH_SENDS_SECONDS = 5.0
# A timer job that stopped for want of room in the outbox (a broadcast of check-ins) runs again this soon.
TIMER_AGAIN_SOON = 1.0


def build_bot(settings: Settings) -> ExtBot[int]:
    """python-telegram-bot's client; `base_url` gets the token appended, as on api.telegram.org."""
    assert settings.telegram_bot_token is not None
    return ExtBot(
        token=settings.telegram_bot_token,
        base_url=settings.telegram_api_url,
        request=HTTPXRequest(connection_pool_size=16, read_timeout=15.0),
        get_updates_request=HTTPXRequest(
            connection_pool_size=1, read_timeout=settings.telegram_poll_timeout + 10
        ),
        # Throttle to Telegram's limits; our outbox does the retrying, so the limiter does not.
        rate_limiter=AIORateLimiter(max_retries=0),
    )


def escalation_rules(settings: Settings) -> Rules:
    return Rules(
        public_url=settings.brug_public_url,
        repage_after=timedelta(minutes=settings.brug_repage_minutes),
        sticky_for=timedelta(minutes=settings.brug_sticky_minutes),
    )


def notify_key_persons(engine: Engine, rules: Rules, now: datetime) -> int:
    """Queue the case notices that are due, in one transaction; returns how many."""
    with session_scope(engine) as session:
        return run_due(session, rules, now)


class BotRuntime:
    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        bot: Bot | None = None,
        *,
        checkin_interval: float = 30.0,
        escalation_interval: float = 5.0,
        purge_interval: float = 24 * 60 * 60,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.checkin_interval = checkin_interval
        self.escalation_interval = escalation_interval
        self.purge_interval = purge_interval
        self.rules = escalation_rules(settings)
        self.bot = bot or build_bot(settings)
        # With several workers on PostgreSQL, others' replies are seen at the sender's next look.
        tick = 0.1 if engine.dialect.name == "postgresql" else 1.0
        self.sender = OutboxSender(engine, self.bot, send=self._send, tick=tick)
        self._inbox_wakeup = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        # Load the signal lexicons and the flows now, not when the first message (perhaps a crisis) arrives.
        await asyncio.to_thread(detect, "warm up")
        await asyncio.to_thread(load_flows)
        await self.bot.initialize()
        if self.settings.webhook_mode:
            await self.bot.set_webhook(
                url=self.settings.brug_webhook_url or "",
                secret_token=self.settings.brug_webhook_secret,
                allowed_updates=Update.ALL_TYPES,
            )
            log.info("Telegram bot @%s started (webhook)", self.bot.username)
        else:
            await self.bot.delete_webhook()
            self._tasks.append(asyncio.create_task(self._poll(), name="brug-poll"))
            log.info("Telegram bot @%s started (long polling)", self.bot.username)
        self._tasks.append(asyncio.create_task(self._handle_inbox(), name="brug-handle"))
        self._tasks.append(asyncio.create_task(self.sender.run(), name="brug-send"))
        self._tasks.append(asyncio.create_task(self._run_timers(), name="brug-timers"))

    async def stop(self) -> None:
        self.sender.finish()
        sending = [task for task in self._tasks if task.get_name() == "brug-send"]
        if sending:
            await asyncio.wait(sending, timeout=FINISH_SENDS_SECONDS)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            # Python 3.11's wait_for can swallow a cancel that arrives just as its wait ends (a wake-up at
            # shutdown): cancel again until the task really ends, instead of waiting for it forever.
            while not task.done():
                await asyncio.wait({task}, timeout=0.2)
                if not task.done():
                    task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        await self.bot.shutdown()

    async def receive(self, updates: Sequence[Update]) -> int:
        """Store updates in the inbox (this is what must happen before Telegram hears "ok")."""
        reduced = [(u.update_id, reduce_update(u, self.settings.vault)) for u in updates]
        new = await asyncio.to_thread(store_updates, self.engine, reduced)
        self._inbox_wakeup.set()
        return new

    async def _poll(self) -> None:
        """Long polling. The offset that confirms a batch to Telegram goes out only after it is stored."""
        offset = await asyncio.to_thread(next_offset, self.engine)
        failures = 0
        while True:
            try:
                updates = await self.bot.get_updates(
                    offset=offset,
                    timeout=self.settings.telegram_poll_timeout,
                    allowed_updates=Update.ALL_TYPES,
                )
            except InvalidToken:
                log.error("Telegram refused the token (TELEGRAM_BOT_TOKEN); polling stopped")
                return
            except RetryAfter as exc:
                await asyncio.sleep(retry_after_seconds(exc))
                continue
            except (Conflict, TelegramError) as exc:
                failures += 1
                log.warning("getUpdates failed (%s); retrying", type(exc).__name__)
                await asyncio.sleep(min(30.0, 0.5 * 2**failures))
                continue
            failures = 0
            if updates:
                await self.receive(updates)
                offset = updates[-1].update_id + 1

    async def _send(self, bot: Bot, job: Job) -> int | None:
        """A call to Telegram; a transient row (to a forgotten person's chat) is deleted once it is done."""
        try:
            message_id = await call_telegram(bot, job)
        except (Forbidden, BadRequest):
            if job.transient:
                await asyncio.to_thread(drop_outbox_row, self.engine, job.id)
            raise
        if job.transient:
            await asyncio.to_thread(drop_outbox_row, self.engine, job.id)
        return message_id

    def _handle(self, inbox_id: int) -> bool:
        return handler.handle(self.engine, inbox_id, retention_days=self.settings.brug_retention_days)

    def _fire_checkins(self) -> tuple[int, bool]:
        fired = fire_all_due(self.engine, utcnow())
        return fired.count, fired.waiting

    def _purge(self) -> int:
        report = run_purge(self.engine, utcnow(), self.settings.brug_retention_days)
        log.info("retention (%s days): %s", self.settings.brug_retention_days, report)
        return 0

    async def _run_timers(self) -> None:
        """Check-ins, case notices and the daily purge (first at start), each on its own interval; a failure
        of one does not stop the others."""
        jobs: list[tuple[float, Callable[[], tuple[int, bool]], str]] = [
            (self.checkin_interval, self._fire_checkins, "check-in schedules"),
            (
                self.escalation_interval,
                lambda: (notify_key_persons(self.engine, self.rules, utcnow()), False),
                "case notices",
            ),
            (self.purge_interval, lambda: (self._purge(), False), "retention purge"),
        ]
        loop = asyncio.get_running_loop()
        due = [loop.time()] * len(jobs)
        while True:
            for index, (interval, job, what) in enumerate(jobs):
                if loop.time() < due[index]:
                    continue
                again_soon = False
                try:
                    queued, again_soon = await asyncio.to_thread(job)
                    if queued:
                        self.sender.wake()
                except Exception as exc:
                    log_failure(log, f"{what} unavailable; trying again", exc)
                due[index] = loop.time() + (TIMER_AGAIN_SOON if again_soon else interval)
            await asyncio.sleep(max(0.0, min(due) - loop.time()))

    async def _handle_inbox(self) -> None:
        while True:
            self._inbox_wakeup.clear()
            try:
                ids = await asyncio.to_thread(handler.pending_ids, self.engine, INBOX_CHUNK)
                for inbox_id in ids:
                    if await asyncio.to_thread(self._handle, inbox_id):
                        self.sender.wake()
            except Exception as exc:
                log_failure(log, "inbox unavailable; trying again", exc)
                ids = []
            if not ids:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._inbox_wakeup.wait(), timeout=1.0)

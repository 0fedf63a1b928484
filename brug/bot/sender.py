"""The outbox sender: makes the calls to Telegram that the outbox holds, in order per chat.

A row is marked sent only after Telegram said ok. Errors are sorted by what helps:
429 pauses every send for `retry_after` (Telegram's limit is global to the bot); network errors and
5xx are retried with exponential backoff and jitter; 403 (blocked by the user) and 400 are final.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine
from sqlmodel import col, select
from telegram import Bot, BotCommand, BotCommandScopeChat, InlineKeyboardButton, InlineKeyboardMarkup
from telegram import Message as TelegramMessage
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from brug.core.db import session_scope
from brug.core.leadership import SENDER, Leadership
from brug.core.logs import log_failure
from brug.core.models import CheckinSchedule, OutboxItem, OutboxStatus, User, utcnow
from brug.core.outbox import Method

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 300.0
# About one second of Telegram's overall limit (30 messages/s), so a new crisis waits at most that long.
BATCH = 30
# Calls under way at once. A process killed hard may send these again (Telegram said ok, the row was not
# yet marked sent), so this bounds the repeats per crash; at ~100 ms a call it still allows 80 a second.
IN_FLIGHT = 8
# A worker that does not send asks for the lead this often (and when it has queued something itself).
FOLLOWER_WAIT = 1.0


@dataclass(frozen=True)
class Job:
    id: int
    chat_id: int
    method: str
    payload: dict[str, Any]
    attempts: int
    transient: bool = False


def due_jobs(engine: Engine, now: datetime, limit: int = BATCH) -> list[list[Job]]:
    """Pending rows grouped per chat, in id order within a chat.

    While a chat has an urgent row (a crisis answer) that can be sent, only such chats are sent, with all
    their pending rows, so a crisis never waits behind a burst of other chats' messages; otherwise the
    oldest `limit` rows. A chat whose oldest row is not yet due waits whole, so a retried message is never
    overtaken by a later one.
    """
    pending = col(OutboxItem.status) == OutboxStatus.PENDING
    by_id = col(OutboxItem.id)
    with session_scope(engine) as session:
        urgent_chats = select(OutboxItem.chat_key).where(pending, col(OutboxItem.urgent))
        urgent = session.exec(
            select(OutboxItem).where(pending, col(OutboxItem.chat_key).in_(urgent_chats)).order_by(by_id)
        )
        if jobs := _due_per_chat(urgent.all(), now):
            return jobs
        return _due_per_chat(
            session.exec(select(OutboxItem).where(pending).order_by(by_id).limit(limit)).all(), now
        )


def _due_per_chat(rows: Sequence[OutboxItem], now: datetime) -> list[list[Job]]:
    chats: dict[str, list[Job]] = {}
    waiting: set[str] = set()
    for row in rows:
        if row.chat_key in waiting:
            continue
        if row.next_attempt_at > now:
            waiting.add(row.chat_key)
            chats.pop(row.chat_key, None)
            continue
        assert row.id is not None
        chats.setdefault(row.chat_key, []).append(
            Job(row.id, row.chat_id, row.method, row.payload, row.attempts, row.transient)
        )
    return list(chats.values())


def mark_sent(engine: Engine, job: Job, message_id: int | None) -> None:
    with session_scope(engine) as session:
        row = session.get(OutboxItem, job.id)
        if row is not None:
            row.status, row.sent_at, row.telegram_message_id = OutboxStatus.SENT, utcnow(), message_id
            row.attempts = job.attempts + 1


def mark_failed(engine: Engine, job: Job, error: str, *, retry_at: datetime | None) -> None:
    """Record a failed attempt: retried at `retry_at`, or final when it is None."""
    with session_scope(engine) as session:
        row = session.get(OutboxItem, job.id)
        if row is None:
            return
        row.attempts = job.attempts + 1
        row.last_error = error[:500]
        if retry_at is None:
            row.status = OutboxStatus.FAILED
        else:
            row.next_attempt_at = retry_at


def mark_blocked(engine: Engine, job: Job, error: str) -> int:
    """Telegram said 403 (the person blocked the bot): this row and every other one waiting for the chat
    fail now, without a try each, and the person's check-ins stop. Returns how many rows were dropped."""
    now = utcnow()
    with session_scope(engine) as session:
        row = session.get(OutboxItem, job.id)
        if row is None:
            return 0
        row.attempts, row.last_error, row.status = job.attempts + 1, error[:500], OutboxStatus.FAILED
        waiting = session.exec(
            select(OutboxItem).where(
                OutboxItem.chat_key == row.chat_key,
                OutboxItem.status == OutboxStatus.PENDING,
                col(OutboxItem.id) != row.id,
            )
        ).all()
        for other in waiting:
            other.status, other.last_error = OutboxStatus.FAILED, "not sent: the chat blocked the bot"
        if row.user_id is not None:
            user = session.get(User, row.user_id)
            if user is not None:
                user.blocked_at = now
            schedule = session.get(CheckinSchedule, row.user_id)
            if schedule is not None:
                schedule.active = False
        return len(waiting)


def backoff(attempts: int) -> timedelta:
    """Exponential backoff with full jitter, capped, so that many failed rows do not retry in step."""
    ceiling = min(MAX_BACKOFF_SECONDS, 2.0 ** min(attempts, 16))
    return timedelta(seconds=random.uniform(ceiling / 2, ceiling))  # noqa: S311  jitter, not crypto


async def call_telegram(bot: Bot, job: Job) -> int | None:
    """Make the call a job stands for; returns the sent message's id where there is one."""
    payload = job.payload
    if job.method == Method.SEND_MESSAGE:
        sent: TelegramMessage = await bot.send_message(
            chat_id=job.chat_id, text=payload["text"], reply_markup=_keyboard(payload.get("keyboard"))
        )
        return sent.message_id
    if job.method == Method.ANSWER_CALLBACK:
        await bot.answer_callback_query(payload["callback_query_id"], text=payload.get("text"))
        return None
    if job.method == Method.SET_COMMANDS:
        commands = [BotCommand(c["command"], c["description"]) for c in payload["commands"]]
        await bot.set_my_commands(commands, scope=BotCommandScopeChat(job.chat_id))
        return None
    if job.method == Method.LEAVE_CHAT:
        await bot.leave_chat(job.chat_id)
        return None
    raise ValueError(f"unknown outbox method {job.method!r}")


def retry_after_seconds(exc: RetryAfter) -> float:
    value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _keyboard(rows: list[list[dict[str, str]]] | None) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(button["text"], url=button["url"])
                if "url" in button
                else InlineKeyboardButton(button["text"], callback_data=button["data"])
                for button in row
            ]
            for row in rows
        ]
    )


class OutboxSender:
    """Runs until cancelled; `wake()` makes it look at the outbox at once instead of at the next tick."""

    def __init__(
        self,
        engine: Engine,
        bot: Bot,
        *,
        tick: float = 1.0,
        send: Callable[[Bot, Job], Awaitable[int | None]] = call_telegram,
    ) -> None:
        self._engine = engine
        self._bot = bot
        self._tick = tick
        self._send = send
        self._wakeup = asyncio.Event()
        self._paused_until: datetime | None = None
        self._leadership = Leadership(engine, SENDER)
        self._finishing = False
        self._in_flight = asyncio.Semaphore(IN_FLIGHT)

    def wake(self) -> None:
        self._wakeup.set()

    def finish(self) -> None:
        """Start no new send; `run` returns once the sends under way are done and marked. Cancelled in the
        middle of a call, a row Telegram already has would stay pending and be sent again after a restart."""
        self._finishing = True
        self._wakeup.set()

    async def run(self) -> None:
        """Send while this process leads (`brug.core.leadership`); other workers wait to take over."""
        try:
            while not self._finishing:
                self._wakeup.clear()
                await self._wait_for_pause()
                leading = False
                try:
                    leading = await asyncio.to_thread(self._leadership.held)
                    if leading:
                        chats = await asyncio.to_thread(due_jobs, self._engine, utcnow())
                        if chats:
                            await asyncio.gather(*(self._send_chat(jobs) for jobs in chats))
                            continue
                except Exception as exc:
                    log_failure(log, "outbox unavailable; trying again", exc)
                with contextlib.suppress(TimeoutError):
                    wait = self._tick if leading else FOLLOWER_WAIT
                    await asyncio.wait_for(self._wakeup.wait(), timeout=wait)
        finally:
            self._leadership.release()

    async def _wait_for_pause(self) -> None:
        if self._paused_until is not None:
            delay = (self._paused_until - utcnow()).total_seconds()
            self._paused_until = None
            if delay > 0:
                await asyncio.sleep(delay)

    async def _send_chat(self, jobs: list[Job]) -> None:
        for job in jobs:
            async with self._in_flight:
                if self._finishing or not await self._send_one(job):
                    return

    async def _send_one(self, job: Job) -> bool:
        """Send one job; False when the rest of this chat must wait."""
        try:
            message_id = await self._send(self._bot, job)
        except RetryAfter as exc:
            seconds = retry_after_seconds(exc)
            until = utcnow() + timedelta(seconds=seconds)
            self._paused_until = max(until, self._paused_until or until)
            log.warning("Telegram asked to slow down for %ss; all sending paused", seconds)
            await asyncio.to_thread(
                mark_failed, self._engine, job, f"429 retry after {seconds}s", retry_at=until
            )
            return False
        except Forbidden as exc:
            dropped = await asyncio.to_thread(mark_blocked, self._engine, job, f"Forbidden: {exc.message}")
            log.warning("outbox %s: Forbidden, chat blocked; %s more for it dropped", job.id, dropped)
            return False
        except BadRequest as exc:
            log.warning("outbox %s: %s %s, not retried", job.id, type(exc).__name__, exc.message)
            await asyncio.to_thread(
                mark_failed, self._engine, job, f"{type(exc).__name__}: {exc.message}", retry_at=None
            )
            return True
        except TelegramError as exc:
            retry_at = utcnow() + backoff(job.attempts + 1)
            log.warning("outbox %s: %s, retry at %s", job.id, type(exc).__name__, retry_at.isoformat())
            await asyncio.to_thread(
                mark_failed, self._engine, job, f"{type(exc).__name__}: {exc.message}", retry_at=retry_at
            )
            return False
        await asyncio.to_thread(mark_sent, self._engine, job, message_id)
        return True

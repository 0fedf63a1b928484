"""`brug run --workers 2` in webhook mode on one PostgreSQL database, as a real process tree.

1,000 people each send two commands; any worker may take any update. Every person gets exactly the two
answers, in order. Then every person's check-in falls due while both workers start again: each person
gets exactly one check-in. All along, no second has more sends than Telegram's overall limit: the test
takes about two minutes because 3,000 messages go out at 30 a second.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import URL
from sqlmodel import select

from brug.core.db import create_db_engine, session_scope
from brug.core.models import CheckinSchedule, User, utcnow
from tests.bot.conversation import engine_replies, texts
from tests.constants import VAULT
from tests.fake_bot_api import FakeBotAPI
from tests.processes import BrugProcess, brug_env

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)]

PEOPLE = int(os.environ.get("BRUG_TEST_PEOPLE", "1000"))
FIRST_CHAT = 3_000_000
COMMANDS = ["/start", "/help"]
# Telegram's overall limit, which python-telegram-bot's AIORateLimiter keeps: a leaky bucket of 30 that
# drains at 30 a second, so any `WINDOW` seconds of the limiter's grants hold at most 30 + 30 × WINDOW sends.
# The fake sees a call when it arrives, up to `JITTER` seconds after its grant on a loaded machine, so the
# calls it sees in `WINDOW` seconds were granted within `WINDOW + JITTER`. Two senders would double the count.
OVERALL_PER_SECOND = 30
WINDOW = 5.0
JITTER = 1.0
CHECKIN = "Time for a short check-in."


def expected_answers() -> list[str]:
    return [engine_replies("en", "start")[0], engine_replies("en", "help")[0]]


def busiest_window(fake: FakeBotAPI) -> int:
    """The most sendMessage calls in any `WINDOW` seconds."""
    times = sorted(call.at for call in fake.calls("sendMessage"))
    most, first = 0, 0
    for last, at in enumerate(times):
        while at - times[first] >= WINDOW:
            first += 1
        most = max(most, last - first + 1)
    return most


async def until(
    predicate: Callable[[], bool], seconds: float, what: str, progress: Callable[[], object] = str
) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {seconds}s waiting for {what}: {progress()}")
        await asyncio.sleep(0.2)


def make_checkins_due(database_url: URL) -> int:
    engine = create_db_engine(database_url, VAULT)
    try:
        with session_scope(engine) as session:
            users = session.exec(select(User)).all()
            now = utcnow()
            for user in users:
                assert user.id is not None
                session.add(
                    CheckinSchedule(user_id=user.id, every_days=7, next_due_at=now - timedelta(minutes=1))
                )
            return len(users)
    finally:
        engine.dispose()


async def test_two_workers_answer_everyone_once_in_order_and_fire_each_checkin_once(
    database_url: URL, fake_telegram: FakeBotAPI, tmp_path: Path
) -> None:
    fake = fake_telegram
    brug = BrugProcess(brug_env(database_url, fake), tmp_path / "brug.log", webhook=True, workers=2)
    chats = [FIRST_CHAT + n for n in range(PEOPLE)]
    brug.start()
    try:
        await until(lambda: fake.webhook_url is not None, 60, "the workers to set the webhook")
        for command in COMMANDS:
            for chat in chats:
                fake.push_text(chat, command)
        answers = expected_answers()
        await until(
            lambda: sum(len(fake.sent_messages(chat)) for chat in chats) >= PEOPLE * len(answers),
            300,
            "every answer",
            lambda: (sum(len(fake.sent_messages(chat)) for chat in chats), len(fake.calls("sendMessage"))),
        )
        await asyncio.sleep(1.0)  # a duplicate would arrive now
        wrong = {chat: texts(fake, chat) for chat in chats if texts(fake, chat) != answers}
        assert wrong == {}, f"{len(wrong)} chats got missing, repeated or reordered answers"
    finally:
        brug.stop()
    assert brug.log().count("Started server process") >= 2, "two worker processes served"

    assert make_checkins_due(database_url) == PEOPLE
    brug.start()
    try:
        await until(
            lambda: all(CHECKIN in " ".join(texts(fake, chat)) for chat in chats), 120, "every check-in"
        )
        await asyncio.sleep(2.0)
        counts = {chat: " ".join(texts(fake, chat)).count(CHECKIN) for chat in chats}
        assert set(counts.values()) == {1}, "each check-in fires once, whichever worker sees it due"
    finally:
        brug.stop()
    limit = OVERALL_PER_SECOND * (1 + WINDOW + JITTER)
    assert busiest_window(fake) <= limit, "one sender keeps Telegram's overall limit (two would double it)"

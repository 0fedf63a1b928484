"""The outbox sender against Telegram's errors, through the fake Bot API."""

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select
from telegram.ext import AIORateLimiter, ExtBot
from telegram.request import HTTPXRequest

from brug.bot import sender
from brug.bot.runtime import BotRuntime
from brug.core.db import session_scope
from brug.core.models import CheckinSchedule, OutboxItem, User
from brug.core.outbox import enqueue_message
from brug.core.settings import Settings
from tests.bot.conftest import started
from tests.bot.conversation import engine_replies, texts
from tests.constants import TOKEN
from tests.fake_bot_api import Call, FakeBotAPI

CHAT, OTHER_CHAT = 6660001, 6660002


@pytest.fixture(autouse=True)
def _short_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sender, "backoff", lambda attempts: timedelta(seconds=0.2 * attempts))


def outbox(engine: Engine) -> list[OutboxItem]:
    with Session(engine) as session:
        return list(session.exec(select(OutboxItem).order_by(OutboxItem.id)))  # type: ignore[arg-type]


def sends(fake: FakeBotAPI, chat_id: int) -> list[Call]:
    return [call for call in fake.calls("sendMessage") if call.params.get("chat_id") == chat_id]


async def test_server_errors_are_retried_and_order_is_kept(
    runtime: BotRuntime, fake_telegram: FakeBotAPI
) -> None:
    fake_telegram.fail("sendMessage", status=502, description="Bad Gateway", times=2, chat_id=CHAT)
    for command in ["/help", "/privacy", "/help"]:
        fake_telegram.push_text(CHAT, command)
    help_text, privacy_text = engine_replies("en", "help")[0], engine_replies("en", "privacy")[0]
    await fake_telegram.await_for(lambda: len(texts(fake_telegram, CHAT)) == 3, what="three replies")
    assert texts(fake_telegram, CHAT) == [help_text, privacy_text, help_text]
    assert len(sends(fake_telegram, CHAT)) == 5, "two failed attempts, then three sends"
    await fake_telegram.await_for(
        lambda: [item.status for item in outbox(runtime.engine)] == ["sent"] * 3, what="all marked sent"
    )


async def test_too_many_requests_pauses_every_chat(runtime: BotRuntime, fake_telegram: FakeBotAPI) -> None:
    fake_telegram.fail(
        "sendMessage", status=429, description="Too Many Requests: retry after 1", retry_after=1
    )
    fake_telegram.push_text(CHAT, "/help")
    await fake_telegram.await_for(lambda: sends(fake_telegram, CHAT), what="the refused send")
    refused_at = sends(fake_telegram, CHAT)[0].at
    fake_telegram.push_text(OTHER_CHAT, "/help")
    await fake_telegram.await_for(
        lambda: len(texts(fake_telegram, CHAT)) == 1 and len(texts(fake_telegram, OTHER_CHAT)) == 1,
        what="both replies",
    )
    for chat in (CHAT, OTHER_CHAT):
        assert sends(fake_telegram, chat)[-1].at - refused_at >= 0.9, (
            "nothing is sent before retry_after is over"
        )


async def test_a_blocked_chat_is_not_retried(runtime: BotRuntime, fake_telegram: FakeBotAPI) -> None:
    fake_telegram.push_text(CHAT, "/start")
    await fake_telegram.await_for(lambda: texts(fake_telegram, CHAT), what="the greeting")
    fake_telegram.block(CHAT)
    fake_telegram.push_text(CHAT, "/help")
    await fake_telegram.await_for(lambda: len(sends(fake_telegram, CHAT)) == 2, what="the refused send")
    await fake_telegram.await_for(
        lambda: outbox(runtime.engine)[-1].status == "failed", what="a final failure"
    )
    item = outbox(runtime.engine)[-1]
    assert item.attempts == 1 and item.last_error is not None and "blocked" in item.last_error
    fake_telegram.push_text(OTHER_CHAT, "/help")
    await fake_telegram.await_for(lambda: texts(fake_telegram, OTHER_CHAT), what="another chat's reply")
    assert len(sends(fake_telegram, CHAT)) == 2, "no retry storm"


async def test_a_bad_request_is_final_and_the_chat_goes_on(
    runtime: BotRuntime, fake_telegram: FakeBotAPI
) -> None:
    fake_telegram.fail(
        "sendMessage", status=400, description="Bad Request: can't parse entities", chat_id=CHAT
    )
    fake_telegram.push_text(CHAT, "/help")
    fake_telegram.push_text(CHAT, "/privacy")
    await fake_telegram.await_for(lambda: texts(fake_telegram, CHAT), what="the second reply")
    assert texts(fake_telegram, CHAT) == engine_replies("en", "privacy")
    await fake_telegram.await_for(
        lambda: [item.status for item in outbox(runtime.engine)] == ["failed", "sent"],
        what="failed, then sent",
    )


async def test_a_block_drops_what_waits_for_the_chat_and_stops_check_ins(
    runtime: BotRuntime, fake_telegram: FakeBotAPI
) -> None:
    fake_telegram.push_text(CHAT, "/start")
    await fake_telegram.await_for(lambda: texts(fake_telegram, CHAT), what="the greeting")
    fake_telegram.block(CHAT)

    def queue_three(session: Session) -> None:
        user = session.exec(select(User)).one()
        session.add(CheckinSchedule(user_id=user.id, every_days=7))  # type: ignore[arg-type]
        for n in range(3):
            enqueue_message(session, user=user, text=f"waiting {n}")

    with session_scope(runtime.engine) as session:
        queue_three(session)
    runtime.sender.wake()
    await fake_telegram.await_for(
        lambda: [item.status for item in outbox(runtime.engine)][-3:] == ["failed"] * 3, what="all dropped"
    )
    await asyncio.sleep(0.5)
    assert len(sends(fake_telegram, CHAT)) == 2, "one refused try for three waiting messages"
    with Session(runtime.engine) as session:
        user = session.exec(select(User)).one()
        schedule = session.get(CheckinSchedule, user.id)
        assert user.blocked_at is not None and schedule is not None and not schedule.active

    fake_telegram.unblock(CHAT)
    fake_telegram.push_text(CHAT, "/help")
    await fake_telegram.await_for(lambda: texts(fake_telegram, CHAT)[1:], what="the answer after unblocking")
    with Session(runtime.engine) as session:
        assert session.exec(select(User)).one().blocked_at is None, "writing again lifts the mark"


async def test_a_timeout_is_retried_and_the_chat_keeps_its_order(
    bot_settings: Settings, fake_telegram: FakeBotAPI
) -> None:
    """A call that times out may still have reached Telegram: it is sent again (at least once), and the
    chat's next message waits for it."""
    impatient = ExtBot(
        token=TOKEN,
        base_url=bot_settings.telegram_api_url,
        request=HTTPXRequest(read_timeout=0.3),
        rate_limiter=AIORateLimiter(max_retries=0),
    )
    fake_telegram.set_delay("sendMessage", 1.0)
    async with started(bot_settings, bot=impatient) as runtime:
        fake_telegram.push_text(CHAT, "/help")
        fake_telegram.push_text(CHAT, "/privacy")
        await fake_telegram.await_for(lambda: sends(fake_telegram, CHAT), what="the first, slow send")
        fake_telegram.set_delay("sendMessage", 0.0)
        (help_text,) = engine_replies("en", "help")
        (privacy,) = engine_replies("en", "privacy")
        await fake_telegram.await_for(lambda: privacy in texts(fake_telegram, CHAT), what="the second reply")
        shown = texts(fake_telegram, CHAT)
        assert shown[-1] == privacy and len(shown) >= 3 and set(shown[:-1]) == {help_text}, (
            "the timed-out reply again, then the next one"
        )
        # The fake shows a message on arrival; the row is marked sent once the answer is back.
        await fake_telegram.await_for(
            lambda: [row.status for row in outbox(runtime.engine)] == ["sent", "sent"],
            what="both marked sent",
        )
        rows = outbox(runtime.engine)
    assert rows[0].attempts >= 2 and "TimedOut" in str(rows[0].last_error)

"""The real python-telegram-bot stack against the fake Bot API, in long-polling mode, on both databases."""

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from brug.bot.runtime import BotRuntime
from brug.core.db import create_db_engine
from brug.core.i18n import translations
from brug.core.models import InboundUpdate, InboxStatus, Message, User
from brug.core.settings import Settings
from tests.bot.conversation import (
    LANGUAGE_LABELS,
    engine_replies,
    keyboard_labels,
    texts,
    wait_for_language_keyboard,
    wait_for_text,
)
from tests.fake_bot_api import FakeBotAPI

CHAT = 5550001


@pytest.fixture
async def engine(bot_settings: Settings) -> AsyncIterator[Engine]:
    engine = create_db_engine(bot_settings.database, bot_settings.vault)
    yield engine
    engine.dispose()


async def started(settings: Settings, engine: Engine) -> BotRuntime:
    runtime = BotRuntime(settings, engine)
    await runtime.start()
    return runtime


async def test_start_choose_a_language_and_keep_it_after_a_restart(
    bot_settings: Settings, engine: Engine, fake_telegram: FakeBotAPI
) -> None:
    ti = translations("ti").gettext
    runtime = await started(bot_settings, engine)
    try:
        fake_telegram.push_text(CHAT, "/start", language_code="am")
        keyboard = await wait_for_language_keyboard(fake_telegram, CHAT)
        assert keyboard["text"].startswith("Hello, I am Brug."), "Amharic phones get English until a tap"
        assert keyboard_labels(keyboard) == LANGUAGE_LABELS

        fake_telegram.push_callback(CHAT, "lang:ti", message_id=keyboard["message_id"])
        await wait_for_text(fake_telegram, CHAT, "ትግርኛ")
        commands = await fake_telegram.await_for(
            lambda: fake_telegram.commands(chat_id=CHAT), what="chat commands"
        )
        names = [c["command"] for c in commands]
        assert names == ["menu", "person", "start", "language", "checkin", "help", "privacy", "forget"]
        assert commands[5]["description"] == ti("What I can do")
        assert [call.params["callback_query_id"] for call in fake_telegram.calls("answerCallbackQuery")]
    finally:
        await runtime.stop()

    runtime = await started(bot_settings, engine)
    try:
        fake_telegram.push_text(CHAT, "/privacy", language_code="en")
        (privacy,) = engine_replies("ti", "privacy")
        await fake_telegram.await_for(
            lambda: sum(privacy in text for text in texts(fake_telegram, CHAT)) == 2,
            what="privacy again (first: with the language confirmation)",
        )
    finally:
        await runtime.stop()
    with Session(engine) as session:
        user = session.exec(select(User)).one()
        assert (user.language, user.language_chosen) == ("ti", True)
        inbound = session.exec(select(Message.update_id).where(Message.direction == "in")).all()
        handled = session.exec(select(InboundUpdate).where(InboundUpdate.status == InboxStatus.DONE)).all()
    assert len(handled) == 3, "each update handled exactly once"
    assert len(inbound) == 1, "kept: /privacy; not /start or the language tap, before privacy was shown"


async def test_language_command_shows_the_keyboard_again(
    bot_settings: Settings, engine: Engine, fake_telegram: FakeBotAPI
) -> None:
    runtime = await started(bot_settings, engine)
    try:
        fake_telegram.push_text(CHAT, "/start", language_code="fa")
        first = await wait_for_language_keyboard(fake_telegram, CHAT)
        assert first["text"] == texts(fake_telegram, CHAT)[0]
        assert not first["text"].startswith("Hello"), "a `fa` phone is greeted in Dari"
        fake_telegram.push_text(CHAT, "/language", language_code="fa")
        await wait_for_language_keyboard(fake_telegram, CHAT, after=1)
    finally:
        await runtime.stop()


async def test_many_chats_are_answered_in_their_own_order(
    bot_settings: Settings, engine: Engine, fake_telegram: FakeBotAPI
) -> None:
    chats = [CHAT + n for n in range(20)]
    runtime = await started(bot_settings, engine)
    try:
        for chat in chats:
            fake_telegram.push_text(chat, "/start", language_code="nl")
            fake_telegram.push_text(chat, "/help", language_code="nl")
            fake_telegram.push_text(chat, "/privacy", language_code="nl")

        def all_answered() -> bool:
            return all(len(texts(fake_telegram, chat)) == 3 for chat in chats)

        await fake_telegram.await_for(all_answered, timeout=20, what="three replies in every chat")
        expected = [
            translations("nl").gettext("Choose your language:"),
            *engine_replies("nl", "help"),
            *engine_replies("nl", "privacy"),
        ]
        for chat in chats:
            greeting, help_text, privacy = texts(fake_telegram, chat)
            assert greeting.endswith(expected[0])
            assert [help_text, privacy] == expected[1:]
    finally:
        await runtime.stop()
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(User)).one() == 20

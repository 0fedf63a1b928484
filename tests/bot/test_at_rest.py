"""What stays behind after a full conversation: a database dump (`sqlite3 .dump` / `pg_dump`) and the logs
hold no Telegram id, name, username or message text in clear."""

import logging
import sqlite3
import subprocess
from typing import Any

import pytest
from sqlalchemy import Engine, func
from sqlalchemy.engine import URL
from sqlmodel import col, select

from brug.bot.runtime import BotRuntime
from brug.core.db import session_scope
from brug.core.models import Case, InboundUpdate, InboxStatus, Message, OutboxItem, OutboxStatus
from brug.core.settings import Settings
from tests.bot.conversation import texts, wait_for_language_keyboard
from tests.fake_bot_api import FakeBotAPI

CHAT = 734_219_865
NAME, USERNAME = "Tsegereda", "tsegereda_asmara_1991"
WORDS = [
    "Mijn man Berhane wacht nog steeds in Addis Abeba",
    "Ik slaap slecht sinds de brief van de IND en ik maak me zorgen",
    "Kan iemand mij bellen over de papieren van Berhane",
]


def quiet(engine: Engine) -> bool | None:
    """Every update handled and every call made."""
    with session_scope(engine) as session:
        inbox = session.exec(
            select(func.count()).where(col(InboundUpdate.status) == InboxStatus.PENDING)
        ).one()
        outbox = session.exec(
            select(func.count()).where(col(OutboxItem.status) == OutboxStatus.PENDING)
        ).one()
        cases = session.exec(select(func.count()).select_from(Case)).one()
    return (inbox == 0 and outbox == 0 and cases == 1) or None


async def converse(fake: FakeBotAPI, engine: Engine) -> None:
    def say(text: str) -> None:
        fake.push_text(CHAT, text, first_name=NAME, username=USERNAME, language_code="nl")

    say("/start")
    keyboard = await wait_for_language_keyboard(fake, CHAT)
    fake.push_callback(CHAT, "lang:nl", message_id=keyboard["message_id"], first_name=NAME, username=USERNAME)
    await fake.await_for(lambda: fake.commands(chat_id=CHAT), what="the chosen language")
    # One reply fails first (a Telegram 502), so the retry path logs too.
    fake.fail("sendMessage", status=502, description="Bad Gateway", chat_id=CHAT)
    say(WORDS[0])
    say(WORDS[1])
    say("/person")
    say(WORDS[2])
    await fake.await_for(lambda: quiet(engine), timeout=20, what="every update handled and every reply sent")


def dump(url: URL) -> str:
    if url.get_backend_name() == "sqlite":
        with sqlite3.connect(str(url.database)) as connection:
            return "\n".join(connection.iterdump())
    libpq = url.set(drivername="postgresql").render_as_string(hide_password=False)
    return subprocess.run(["pg_dump", libpq], check=True, capture_output=True, text=True).stdout


def in_clear(haystack: str, needles: list[str]) -> list[str]:
    return [needle for needle in needles if needle in haystack]


async def test_a_conversation_leaves_no_identity_or_text_in_clear(
    runtime: BotRuntime, fake_telegram: FakeBotAPI, bot_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)  # what `brug run` logs
    caplog.set_level(logging.DEBUG, logger="brug")
    await converse(fake_telegram, runtime.engine)

    replies = [text for text in texts(fake_telegram, CHAT) if len(text) >= 20]
    needles = [str(CHAT), NAME, USERNAME, *WORDS, *replies]
    with session_scope(runtime.engine) as session:
        stored: Any = [message.text for message in session.exec(select(Message))]
    assert set(WORDS) <= set(stored) and set(replies) <= set(stored), "the test would prove nothing"
    assert any(record.name.startswith("brug") for record in caplog.records), "the test would prove nothing"

    assert in_clear(dump(bot_settings.database), needles) == []
    logged = "\n".join(
        f"{record.getMessage()}\n{record.exc_text or ''}\n{record.stack_info or ''}"
        for record in caplog.records
    )
    assert in_clear(logged, needles) == []

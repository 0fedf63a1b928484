"""`brug run` as a real process, stopped hard mid-conversation and started again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import URL
from sqlmodel import Session, col, select

from brug.core.db import create_db_engine
from brug.core.models import Message, OutboxItem, User
from tests.bot.conversation import engine_replies, wait_for_language_keyboard
from tests.constants import TOKEN, VAULT
from tests.fake_bot_api import FakeBotAPI
from tests.processes import BrugProcess, brug_env

CHAT = 4242


@pytest.fixture
def brug(database_url: URL, fake_telegram: FakeBotAPI, tmp_path: Path) -> Iterator[BrugProcess]:
    env = brug_env(database_url, fake_telegram)
    process = BrugProcess(env, tmp_path / "brug.log")
    yield process
    process.stop()


@pytest.fixture
def engine(database_url: URL) -> Iterator[Engine]:
    engine = create_db_engine(database_url, VAULT)
    yield engine
    engine.dispose()


def attempts(fake: FakeBotAPI, text: str) -> int:
    """sendMessage calls with this text to our chat, failed ones included."""
    return sum(
        1
        for call in fake.calls("sendMessage")
        if call.params.get("chat_id") == CHAT and call.params.get("text") == text
    )


@pytest.mark.slow
async def test_language_and_pending_replies_survive_a_kill(
    brug: BrugProcess, fake_telegram: FakeBotAPI, engine: Engine
) -> None:
    brug.start()
    fake_telegram.push_text(CHAT, "/start", language_code="en")
    keyboard = await wait_for_language_keyboard(fake_telegram, CHAT)
    fake_telegram.push_callback(CHAT, "lang:nl", message_id=keyboard["message_id"])
    await fake_telegram.await_for(lambda: fake_telegram.commands(chat_id=CHAT), what="Dutch commands")

    (pending_text,) = engine_replies("nl", "help")
    fake_telegram.fail("sendMessage", status=502, description="Bad Gateway", times=10_000)
    fake_telegram.push_text(CHAT, "/help")
    await fake_telegram.await_for(lambda: attempts(fake_telegram, pending_text), what="a failed attempt")
    brug.kill()

    with Session(engine) as session:
        pending = session.exec(select(OutboxItem).where(OutboxItem.status == "pending")).all()
    assert [item.payload["text"] for item in pending] == [pending_text], "the reply waits in the outbox"

    fake_telegram.clear_faults()
    fake_telegram.push_text(CHAT, "/language")
    brug.start()
    (later_text,) = engine_replies("nl", "language")
    await fake_telegram.await_for(
        lambda: attempts(fake_telegram, later_text) == 1, timeout=60, what="the later reply"
    )
    delivered = [m["text"] for m in fake_telegram.sent_messages(CHAT)]
    assert delivered[-2:] == [pending_text, later_text], "the old reply first, then the new one, in Dutch"
    assert delivered.count(pending_text) == 1

    with Session(engine) as session:
        user = session.exec(select(User)).one()
        inbound = session.exec(select(Message.update_id).where(col(Message.direction) == "in")).all()
    assert (user.language, user.language_chosen) == ("nl", True)
    log = brug.log()
    assert "started (long polling)" in log
    assert TOKEN.split(":")[1] not in log and str(CHAT) not in log, "no token or chat id in the logs"
    # /start and the language tap come before the privacy notice and are not kept; /help and /language are.
    assert None not in inbound and len(set(inbound)) == len(inbound) == 2, "no update handled twice"

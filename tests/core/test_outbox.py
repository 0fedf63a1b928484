"""Nothing the outbox sends is longer than Telegram takes: a longer text becomes several messages."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from brug.core import casework
from brug.core.db import session_scope
from brug.core.models import Message, OutboxItem, User, utcnow
from brug.core.outbox import MAX_MESSAGE_LENGTH, enqueue_message, split_text


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@pytest.mark.parametrize(
    "text",
    [
        "short",
        "x" * MAX_MESSAGE_LENGTH,
        "word " * 2000,
        "ሰላም " * 1500,  # Tigrinya: one code unit a character
        "😀" * 3000,  # two code units each: Telegram counts those
        "line\n" * 1000 + "y" * 5000,
        "z" * MAX_MESSAGE_LENGTH + " ",  # no empty message after the cut
        "w" + " " * 5000 + "w",
    ],
)
def test_split_text_keeps_every_part_within_the_limit_and_loses_nothing(text: str) -> None:
    parts = split_text(text)
    assert all(0 < utf16(part) <= MAX_MESSAGE_LENGTH for part in parts)
    assert "".join(parts).replace(" ", "").replace("\n", "") == text.replace(" ", "").replace("\n", "")
    if utf16(text) <= MAX_MESSAGE_LENGTH:
        assert parts == [text]


def test_a_longest_reply_with_a_long_name_is_sent_in_two_parts_with_the_keyboard_under_the_last(
    db: Engine,
) -> None:
    name = "N" * 120  # the longest name a key person can have
    text = f"{casework.REPLY_FROM.format(name=name)}\n" + "a" * casework.MAX_REPLY_LENGTH
    assert utf16(text) > MAX_MESSAGE_LENGTH, "the test would prove nothing"
    with session_scope(db) as session:
        user = User(telegram_key="k", chat_id=42, language="en", created_at=utcnow())
        session.add(user)
        session.flush()
        enqueue_message(session, user=user, text=text, keyboard=[[{"text": "End", "data": "case:leave"}]])
    with Session(db) as session:
        first, last = session.exec(select(OutboxItem).order_by(col(OutboxItem.id))).all()
        (history,) = session.exec(select(Message)).all()
    assert all(utf16(item.payload["text"]) <= MAX_MESSAGE_LENGTH for item in (first, last))
    assert "keyboard" not in first.payload and last.payload["keyboard"]
    assert (history.text, history.outbox_id) == (text, last.id), "the history keeps the whole text once"

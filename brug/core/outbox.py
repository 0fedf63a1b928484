"""Putting calls to Telegram in the outbox. Bot and back office both send only through here.

A row is written in the same transaction as whatever caused it, and a sender marks it sent only
after Telegram said ok; so a crash can repeat a send but never lose one.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlmodel import Session

from brug.core.encrypted import vault_of
from brug.core.models import Message, OutboxItem, User


class Method(StrEnum):
    SEND_MESSAGE = "send_message"
    ANSWER_CALLBACK = "answer_callback"
    SET_COMMANDS = "set_commands"


Keyboard = list[list[dict[str, str]]]


def enqueue(
    session: Session,
    *,
    chat_id: int,
    method: Method,
    payload: dict[str, Any],
    user: User | None,
    urgent: bool = False,
    transient: bool = False,
) -> OutboxItem:
    item = OutboxItem(
        chat_id=chat_id,
        chat_key=vault_of(session.get_bind()).chat_key(chat_id),
        user_id=user.id if user else None,
        method=method,
        payload=payload,
        urgent=urgent,
        transient=transient,
    )
    session.add(item)
    session.flush()
    return item


def enqueue_text(session: Session, *, chat_id: int, text: str, urgent: bool = False) -> OutboxItem:
    """A plain text to a chat that is not a user's conversation: a key person's own chat, a group, or a
    person whose update could not be handled. Nothing goes into any message history."""
    return enqueue(
        session, chat_id=chat_id, method=Method.SEND_MESSAGE, payload={"text": text}, user=None, urgent=urgent
    )


def enqueue_message(
    session: Session,
    *,
    user: User,
    text: str,
    keyboard: Keyboard | None = None,
    author: str = "bot",
    author_id: int | None = None,
    urgent: bool = False,
) -> OutboxItem:
    """A text message to a user, also written to their conversation history."""
    payload: dict[str, Any] = {"text": text}
    if keyboard:
        payload["keyboard"] = keyboard
    item = enqueue(
        session, chat_id=user.chat_id, method=Method.SEND_MESSAGE, payload=payload, user=user, urgent=urgent
    )
    assert user.id is not None
    session.add(
        Message(
            user_id=user.id, direction="out", kind=author, text=text, outbox_id=item.id, author_id=author_id
        )
    )
    return item

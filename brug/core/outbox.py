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
    LEAVE_CHAT = "leave_chat"


Keyboard = list[list[dict[str, str]]]

# Telegram's limit for one message, counted in UTF-16 code units.
MAX_MESSAGE_LENGTH = 4096


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
    return _enqueue_texts(session, chat_id=chat_id, text=text, keyboard=None, user=None, urgent=urgent)


def enqueue_leave(session: Session, *, chat_id: int) -> OutboxItem:
    """The bot leaves a group or channel, after whatever it still had to say there."""
    return enqueue(session, chat_id=chat_id, method=Method.LEAVE_CHAT, payload={}, user=None)


def split_text(text: str, limit: int = MAX_MESSAGE_LENGTH) -> list[str]:
    """Parts of at most `limit` UTF-16 code units, cut after a line break or a space where there is one."""
    parts: list[str] = []
    while _utf16_length(text) > limit:
        head = _utf16_prefix(text, limit)
        cut = max(head.rfind("\n"), head.rfind(" "))
        head = head[: cut + 1] if cut > 0 else head
        if head.strip():
            parts.append(head.rstrip())
        text = text[len(head) :].lstrip()
    return [*parts, text] if text or not parts else parts


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _utf16_prefix(text: str, limit: int) -> str:
    units = 0
    for end, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return text[:end]
    return text


def _enqueue_texts(
    session: Session,
    *,
    chat_id: int,
    text: str,
    keyboard: Keyboard | None,
    user: User | None,
    urgent: bool,
) -> OutboxItem:
    """One message, or several when the text is longer than Telegram takes; the keyboard goes under the last.
    Returns the last row."""
    *first, last = split_text(text)
    for part in first:
        enqueue(
            session,
            chat_id=chat_id,
            method=Method.SEND_MESSAGE,
            payload={"text": part},
            user=user,
            urgent=urgent,
        )
    payload: dict[str, Any] = {"text": last}
    if keyboard:
        payload["keyboard"] = keyboard
    return enqueue(
        session, chat_id=chat_id, method=Method.SEND_MESSAGE, payload=payload, user=user, urgent=urgent
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
    item = _enqueue_texts(
        session, chat_id=user.chat_id, text=text, keyboard=keyboard, user=user, urgent=urgent
    )
    assert user.id is not None
    session.add(
        Message(
            user_id=user.id, direction="out", kind=author, text=text, outbox_id=item.id, author_id=author_id
        )
    )
    return item

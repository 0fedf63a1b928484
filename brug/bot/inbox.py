"""The inbox: Telegram updates reduced to what we need, stored before Telegram is told we have them.

Names, usernames and the clear Telegram user id never reach the database: the user is kept as a
keyed hash (`user_key`). The chat id is needed to reply: it is kept inside the encrypted payload, and the
row carries only its keyed hash (`chat_key`), to keep each chat's order.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from telegram import ChatMember, ChatMemberUpdated, Update
from telegram import Message as TelegramMessage
from telegram.constants import ChatType

from brug.bot.dialog import InputKind
from brug.bot.signals import detect
from brug.core.crypto import Vault
from brug.core.db import session_scope
from brug.core.encrypted import vault_of
from brug.core.models import InboundUpdate, InboxStatus, utcnow

MAX_COMMAND_LENGTH = 64
# Not an input for the engine: the handler refuses the group and leaves it.
ADDED_TO_GROUP = "added_to_group"
_PRESENT = frozenset({ChatMember.MEMBER, ChatMember.ADMINISTRATOR, ChatMember.RESTRICTED})


def reduce_update(update: Update, vault: Vault) -> dict[str, Any]:
    """The parts of an update the handler needs; kind `ignored` for updates that need no answer."""
    payload: dict[str, Any] = {"kind": "ignored"}
    chat = update.effective_chat
    user = update.effective_user
    if chat is not None:
        payload["chat_id"] = chat.id
        payload["chat_type"] = chat.type
    if user is not None:
        payload["user_key"] = vault.user_key(user.id)
        payload["language_code"] = user.language_code
    if update.callback_query is not None:
        query = update.callback_query
        payload.update(kind=InputKind.BUTTON, value=query.data or "", callback_query_id=query.id)
    elif update.message is not None:
        payload.update(_message_input(update.message))
    elif update.edited_message is not None:
        payload["kind"] = InputKind.EDITED
    elif update.my_chat_member is not None and _added_to_a_group(update.my_chat_member):
        payload["kind"] = ADDED_TO_GROUP
    return payload


def _message_input(message: TelegramMessage) -> dict[str, Any]:
    if message.voice is not None:
        voice = message.voice
        return {"kind": InputKind.VOICE, "file_id": voice.file_id, "duration": _seconds(voice.duration)}
    if message.text is None:
        return {"kind": InputKind.UNSUPPORTED}
    text = _text_input(message.text)
    if message.forward_origin is not None and text["kind"] == InputKind.TEXT:
        text["forwarded"] = True
    return text


def _seconds(duration: int | timedelta) -> int:
    return int(duration.total_seconds()) if isinstance(duration, timedelta) else int(duration)


def _added_to_a_group(change: ChatMemberUpdated) -> bool:
    """The bot became a member of a group or channel: it refuses, and leaves."""
    return change.chat.type != ChatType.PRIVATE and change.new_chat_member.status in _PRESENT


def _text_input(text: str) -> dict[str, Any]:
    if text.startswith("/"):
        # "/start@brug_bot payload" → "start"; deep-link payloads are kept for later use.
        head, _, argument = text[1:].partition(" ")
        name = head.split("@", 1)[0].lower()[:MAX_COMMAND_LENGTH]
        return {"kind": InputKind.COMMAND, "value": name, "argument": argument.strip(), "text": text}
    return {"kind": InputKind.TEXT, "value": text, "text": text}


def is_urgent(payload: dict[str, Any]) -> bool:
    """A crisis signal in a text, checked on arrival so that its chat can be handled first."""
    if payload.get("kind") != InputKind.TEXT:
        return False
    return detect(str(payload.get("value", ""))).severity == "urgent"


def store_updates(engine: Engine, updates: Sequence[tuple[int, dict[str, Any]]]) -> int:
    """Insert reduced updates, ignoring update_ids we already have. Returns how many were new."""
    if not updates:
        return 0
    now = utcnow()
    vault = vault_of(engine)
    rows = [
        {
            "update_id": update_id,
            "payload": payload,
            "chat_key": None if payload.get("chat_id") is None else vault.chat_key(payload["chat_id"]),
            "user_key": payload.get("user_key"),
            "urgent": is_urgent(payload),
            "status": InboxStatus.PENDING,
            "attempts": 0,
            "received_at": now,
        }
        for update_id, payload in updates
    ]
    table = InboundUpdate.__table__  # type: ignore[attr-defined]
    with session_scope(engine) as session:
        dialect = session.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        statement = insert(table).values(rows).on_conflict_do_nothing(index_elements=["update_id"])
        return len(session.execute(statement.returning(table.c.update_id)).all())


def next_offset(engine: Engine) -> int | None:
    """The getUpdates offset after a restart: one past the newest update already stored."""
    with session_scope(engine) as session:
        newest = session.execute(select(func.max(InboundUpdate.update_id))).scalar_one_or_none()
    return None if newest is None else newest + 1

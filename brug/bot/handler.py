"""One inbox row → one database transaction: the new state, the replies (as outbox rows), done."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from brug.bot import engine as conversation
from brug.core.db import session_scope
from brug.core.i18n import N_, translations
from brug.core.languages import guess_language
from brug.core.models import Conversation, InboundUpdate, InboxStatus, Message, User, utcnow
from brug.core.outbox import Method, enqueue, enqueue_message

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
_PRIVATE_ONLY = N_("I only talk in private chats. Please write to me directly.")
_SORRY = N_("Sorry, something went wrong on our side. Please try again, or write /help.")


def pending_ids(engine: Engine, limit: int = 100) -> list[int]:
    """Inbox rows still to handle, oldest update first (which keeps each chat's order)."""
    with session_scope(engine) as session:
        query = (
            select(col(InboundUpdate.id))
            .where(InboundUpdate.status == InboxStatus.PENDING)
            .order_by(col(InboundUpdate.update_id))
            .limit(limit)
        )
        return [inbox_id for inbox_id in session.exec(query) if inbox_id is not None]


def handle(engine: Engine, inbox_id: int) -> bool:
    """Handle one stored update. Returns True when it produced something to send."""
    try:
        with session_scope(engine) as session:
            row = session.get(InboundUpdate, inbox_id)
            if row is None or row.status != InboxStatus.PENDING:
                return False
            sent = _handle_row(session, row)
            row.status, row.handled_at = InboxStatus.DONE, utcnow()
            return sent
    except Exception as exc:
        log.exception("update %s failed", inbox_id)
        return _record_failure(engine, inbox_id, exc)


def _handle_row(session: Session, row: InboundUpdate) -> bool:
    payload = row.payload
    kind = str(payload.get("kind", "ignored"))
    if kind == "ignored" or "chat_id" not in payload or "user_key" not in payload:
        return False
    if payload.get("chat_type") != "private":
        _refuse_group(session, payload)
        return True
    user = _user(session, payload)
    assert user.id is not None
    state_row = session.get(Conversation, user.id) or Conversation(user_id=user.id)
    state = conversation.State(user.language, user.language_chosen, state_row.node)
    user_input = conversation.Input(conversation.InputKind(kind), str(payload.get("value", "")))
    session.add(
        Message(
            user_id=user.id, direction="in", kind=kind, text=_history_text(payload), update_id=row.update_id
        )
    )
    result = conversation.step(state, user_input, translations)
    user.language, user.language_chosen = result.state.language, result.state.language_chosen
    user.updated_at = state_row.updated_at = utcnow()
    state_row.node = result.state.node
    session.add_all([user, state_row])
    for output in result.outputs:
        _enqueue_output(session, user, output, payload)
    return bool(result.outputs)


def _user(session: Session, payload: dict[str, Any]) -> User:
    user = session.exec(select(User).where(User.telegram_key == payload["user_key"])).one_or_none()
    if user is None:
        user = User(
            telegram_key=payload["user_key"],
            chat_id=payload["chat_id"],
            language=guess_language(payload.get("language_code")),
        )
        session.add(user)
        session.flush()
    user.chat_id = payload["chat_id"]
    return user


def _history_text(payload: dict[str, Any]) -> str:
    if payload["kind"] == conversation.InputKind.BUTTON:
        return f"[button] {payload.get('value', '')}"
    return str(payload.get("text", f"[{payload['kind']}]"))


def _enqueue_output(
    session: Session, user: User, output: conversation.Output, payload: dict[str, Any]
) -> None:
    if isinstance(output, conversation.Reply):
        keyboard = [[{"text": b.label, "data": b.data} for b in row] for row in output.buttons]
        enqueue_message(session, user=user, text=output.text, keyboard=keyboard)
    elif isinstance(output, conversation.ButtonAnswer):
        answer = {"callback_query_id": payload.get("callback_query_id", ""), "text": output.text}
        enqueue(session, chat_id=user.chat_id, method=Method.ANSWER_CALLBACK, payload=answer, user=user)
    else:
        commands = [{"command": name, "description": text} for name, text in output.commands]
        enqueue(
            session,
            chat_id=user.chat_id,
            method=Method.SET_COMMANDS,
            payload={"commands": commands},
            user=user,
        )


def _refuse_group(session: Session, payload: dict[str, Any]) -> None:
    if payload.get("kind") not in {conversation.InputKind.COMMAND, conversation.InputKind.TEXT}:
        return
    text = translations(guess_language(payload.get("language_code"))).gettext(_PRIVATE_ONLY)
    enqueue(
        session, chat_id=payload["chat_id"], method=Method.SEND_MESSAGE, payload={"text": text}, user=None
    )


def _record_failure(engine: Engine, inbox_id: int, exc: Exception) -> bool:
    """Count the failed attempt; after the last one, give up on the update and apologise to the user."""
    with session_scope(engine) as session:
        row = session.get(InboundUpdate, inbox_id)
        if row is None:
            return False
        row.attempts += 1
        row.error = type(exc).__name__
        if row.attempts < MAX_ATTEMPTS:
            return False
        row.status, row.handled_at = InboxStatus.FAILED, utcnow()
        chat_id = row.payload.get("chat_id")
        if chat_id is None or row.payload.get("chat_type") != "private":
            return False
        text = translations(guess_language(row.payload.get("language_code"))).gettext(_SORRY)
        enqueue(session, chat_id=chat_id, method=Method.SEND_MESSAGE, payload={"text": text}, user=None)
        return True

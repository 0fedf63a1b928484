"""One inbox row → one database transaction: signals, the new state, the replies (as outbox rows), cases."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from brug.bot import engine as conversation
from brug.bot.dialog import CaseState, Context, Input, InputKind
from brug.bot.effects import apply_step, conversation_of, state_of
from brug.bot.inbox import ADDED_TO_GROUP
from brug.bot.signals import detect
from brug.core.cases import open_case_of
from brug.core.db import session_scope
from brug.core.i18n import N_, translations
from brug.core.languages import guess_language
from brug.core.logs import log_failure
from brug.core.models import Case, CaseStatus, InboundUpdate, InboxStatus, Message, User, utcnow
from brug.core.outbox import enqueue_leave, enqueue_text
from brug.core.settings import RETENTION_DAYS
from brug.core.staff import link_telegram, redeem_invite

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
CONCERN_WINDOW = timedelta(days=7)
NETHERLANDS = ZoneInfo("Europe/Amsterdam")
_CASE_AWARE = frozenset({InputKind.TEXT, InputKind.BUTTON, InputKind.UNSUPPORTED, InputKind.VOICE})
# Without the stress signals of recent days: only text and buttons can lead to a concern answer.
_CASE_ONLY = frozenset({InputKind.UNSUPPORTED, InputKind.VOICE})
_PRIVATE_ONLY = N_("I only talk in private chats. Please write to me directly.")
_SORRY = N_("Sorry, something went wrong on our side. Please try again, or write /help.")
# To key persons, who work in English: not translated.
_LINKED = (
    "Linked. You will get a message here for each new case in your languages "
    "(coordinators: also for every urgent case), and for a returning person you helped before."
)
_NOT_LINKED = "This code is not valid or has expired. Make a new one in the back office."


def pending_ids(engine: Engine, limit: int = 100) -> list[int]:
    """Inbox rows still to handle, in update order within a chat. Chats with a crisis message waiting come
    first, with all their pending rows; then the oldest `limit` rows."""
    pending = col(InboundUpdate.status) == InboxStatus.PENDING
    by_update = col(InboundUpdate.update_id)
    with session_scope(engine) as session:
        urgent_chats = select(InboundUpdate.chat_key).where(pending, col(InboundUpdate.urgent))
        in_urgent_chat = col(InboundUpdate.chat_key).in_(urgent_chats)
        urgent = session.exec(
            select(col(InboundUpdate.id)).where(pending, in_urgent_chat).order_by(by_update)
        ).all()
        oldest = session.exec(
            select(col(InboundUpdate.id)).where(pending).order_by(by_update).limit(limit)
        ).all()
    return [inbox_id for inbox_id in dict.fromkeys([*urgent, *oldest]) if inbox_id is not None]


def handle(
    engine: Engine, inbox_id: int, now: datetime | None = None, *, retention_days: int = RETENTION_DAYS
) -> bool:
    """Handle one stored update. Returns True when it produced something to send."""
    now = now or utcnow()
    try:
        with session_scope(engine) as session:
            row = _claim(session, inbox_id)
            if row is None:
                return False
            sent = _handle_row(session, row, now, retention_days)
            row.status, row.handled_at = InboxStatus.DONE, now
            return sent
    except Exception as exc:
        log_failure(log, f"update {inbox_id} failed", exc)
        return _record_failure(engine, inbox_id, exc)


def _claim(session: Session, inbox_id: int) -> InboundUpdate | None:
    """The row, locked for this transaction, if it is this chat's turn; None if another worker has it
    or the chat has an earlier update not yet handled.

    With several workers on PostgreSQL, any worker may take any update: the row lock makes it handled
    once; and since an update being handled stays pending for everyone else until its transaction
    commits, the check for an earlier one keeps each chat in order.
    """
    row = session.exec(
        select(InboundUpdate).where(InboundUpdate.id == inbox_id).with_for_update(skip_locked=True)
    ).one_or_none()
    if row is None or row.status != InboxStatus.PENDING:
        return None
    if row.chat_key is None:
        return row
    earlier = select(InboundUpdate.id).where(
        InboundUpdate.chat_key == row.chat_key,
        InboundUpdate.status == InboxStatus.PENDING,
        col(InboundUpdate.update_id) < row.update_id,
    )
    return None if session.exec(earlier.limit(1)).first() is not None else row


def _handle_row(session: Session, row: InboundUpdate, now: datetime, retention_days: int) -> bool:
    payload = row.payload
    kind = str(payload.get("kind", "ignored"))
    if kind == "ignored" or "chat_id" not in payload or "user_key" not in payload:
        return False
    if kind == InputKind.COMMAND and payload.get("value") == "link":
        # A key person, not a user, and the code is a credential: no user row, no message, no copy kept.
        row.payload = {**payload, "argument": "", "text": "/link"}
        if payload.get("chat_type") != "private":
            _refuse_group(session, payload)
        else:
            _link_key_person(session, payload, now)
        return True
    if payload.get("chat_type") != "private":
        _refuse_group(session, payload)
        return True
    user = _user(session, payload, now)
    assert user.id is not None
    user_input = _input(payload, user)
    if user_input.kind is InputKind.COMMAND and user_input.value == "start" and payload.get("argument"):
        # A key person's invite link (t.me/<bot>?start=<code>); an unknown code is simply ignored.
        redeem_invite(session, str(payload["argument"]), user, now)
    context = replace(_context(session, user, user_input, now), retention_days=retention_days)
    if user.language_chosen or user_input.severity != "none":
        _keep(session, user, row, user_input, now)
    state_row = conversation_of(session, user)
    result = conversation.step(state_of(user, state_row), user_input, translations, context)
    apply_step(session, user, state_row, result, now=now, callback_query_id=payload.get("callback_query_id"))
    return bool(result.outputs)


def _keep(session: Session, user: User, row: InboundUpdate, user_input: Input, now: datetime) -> None:
    """The message in the person's history. Until they chose a language (and so saw what we keep) only
    a message with a stress signal is kept: a key person answering a crisis must be able to read it."""
    assert user.id is not None
    session.add(
        Message(
            user_id=user.id,
            direction="in",
            kind=row.payload["kind"],
            text=_history_text(row.payload),
            update_id=row.update_id,
            file_id=row.payload.get("file_id"),
            duration=row.payload.get("duration"),
            severity=None if user_input.severity == "none" else user_input.severity,
            categories=list(user_input.categories),
            created_at=now,
        )
    )


def _input(payload: dict[str, Any], user: User) -> Input:
    kind = InputKind(payload["kind"])
    value = str(payload.get("value", ""))
    if kind is not InputKind.TEXT:
        return Input(kind, value)
    detection = detect(value, user.language)
    return Input(kind, value, detection.severity, detection.categories, detection.ask)


def _user(session: Session, payload: dict[str, Any], now: datetime) -> User:
    user = session.exec(select(User).where(User.telegram_key == payload["user_key"])).one_or_none()
    if user is None:
        user = User(
            telegram_key=payload["user_key"],
            chat_id=payload["chat_id"],
            language=guess_language(payload.get("language_code")),
            created_at=now,
        )
        session.add(user)
        session.flush()
    user.chat_id, user.blocked_at = payload["chat_id"], None
    return user


def _link_key_person(session: Session, payload: dict[str, Any], now: datetime) -> None:
    """`/link CODE`: a key person's own chat gets their notifications. The code is never logged."""
    code = str(payload.get("argument", "")).strip()
    person = link_telegram(session, code, payload["chat_id"], now) if code else None
    enqueue_text(session, chat_id=payload["chat_id"], text=_LINKED if person is not None else _NOT_LINKED)


def _context(session: Session, user: User, user_input: Input, now: datetime) -> Context:
    """What the engine needs from the database; commands and timers do not use it, so they skip the
    queries, and only text and buttons need the recent concerns."""
    asks_for_a_person = user_input.kind is InputKind.COMMAND and user_input.value == "person"
    if user_input.kind not in _CASE_AWARE and not asks_for_a_person:
        return Context(today=local_date(now))
    open_case = open_case_of(session, user)
    case, case_id = _case_state(open_case), open_case.id if open_case else None
    if user_input.kind in _CASE_ONLY:
        return Context(case=case, case_id=case_id, today=local_date(now))
    concerns = _recent_concerns(session, user, now)
    return Context(recent_concerns=concerns, case=case, case_id=case_id, today=local_date(now))


def local_date(now: datetime) -> date:
    """Today where our users live: the timeline counts Dutch calendar days."""
    return now.astimezone(NETHERLANDS).date()


def _case_state(case: Case | None) -> CaseState:
    if case is None:
        return "none"
    return "joined" if case.status == CaseStatus.CLAIMED else "waiting"


def _recent_concerns(session: Session, user: User, now: datetime) -> int:
    query = select(func.count()).where(
        Message.user_id == user.id,
        Message.direction == "in",
        Message.severity == "concern",
        col(Message.created_at) >= now - CONCERN_WINDOW,
    )
    return session.exec(query).one()


def _history_text(payload: dict[str, Any]) -> str:
    if payload["kind"] == InputKind.BUTTON:
        return f"[button] {payload.get('value', '')}"
    if payload["kind"] == InputKind.COMMAND and payload.get("value") == "start":
        return "/start"  # without an invite code
    if payload.get("forwarded"):
        return f"[forwarded] {payload.get('text', '')}"
    return str(payload.get("text", f"[{payload['kind']}]"))


def _refuse_group(session: Session, payload: dict[str, Any]) -> None:
    """Say why (to whoever wrote or added the bot), then leave: the bot talks only in private chats."""
    if payload.get("kind") in {InputKind.COMMAND, InputKind.TEXT, ADDED_TO_GROUP}:
        text = translations(guess_language(payload.get("language_code"))).gettext(_PRIVATE_ONLY)
        enqueue_text(session, chat_id=payload["chat_id"], text=text)
    enqueue_leave(session, chat_id=payload["chat_id"])


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
        enqueue_text(session, chat_id=chat_id, text=text)
        return True

"""The user's right to be forgotten (`/forget`), and retention: old data goes away by itself (`brug purge`).

What stays after `forget_user` is only what cannot point back to the person: their cases, closed, without
a user (language, severity, reason and times, for statistics), and the audit trail of those cases without
details (who did what, when). Inbox rows still to be handled are scrubbed instead of deleted: the handler is
finishing the current one in the same transaction, and the newest update id must stay so that a restart does
not fetch the person's updates from Telegram again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, or_, update
from sqlmodel import Session, col, select

from brug.core.casework import user_left
from brug.core.db import session_scope
from brug.core.encrypted import vault_of
from brug.core.models import (
    AuditEntry,
    Case,
    CaseNote,
    CaseStatus,
    Checkin,
    CheckinSchedule,
    Conversation,
    InboundUpdate,
    InboxStatus,
    Message,
    OutboxItem,
    OutboxStatus,
    User,
)
from brug.core.outbox import Method, enqueue


def forget_user(session: Session, user: User, now: datetime) -> None:
    """Delete everything about a user, in the caller's transaction; their cases stay, closed and anonymous."""
    assert user.id is not None
    session.flush()
    user_id, chat_id, key = user.id, user.chat_id, user.telegram_key
    # Open cases close as "user left" (the key person holding one is told, by pseudonym).
    while user_left(session, user, now) is not None:
        session.flush()
    cases = session.exec(select(Case).where(Case.user_id == user_id)).all()
    case_ids = [case.id for case in cases if case.id is not None]
    if case_ids:
        session.exec(delete(CaseNote).where(col(CaseNote.case_id).in_(case_ids)))
        session.exec(update(AuditEntry).where(col(AuditEntry.case_id).in_(case_ids)).values(detail=""))
    for case in cases:
        case.user_id = None
        session.add(case)
    session.exec(delete(Message).where(col(Message.user_id) == user_id))
    session.exec(delete(Checkin).where(col(Checkin.user_id) == user_id))
    session.exec(delete(CheckinSchedule).where(col(CheckinSchedule.user_id) == user_id))
    session.exec(delete(Conversation).where(col(Conversation.user_id) == user_id))
    # Every call to Telegram for their chat, pending or done: the rows hold the chat id and the texts.
    chat_key = vault_of(session.get_bind()).chat_key(chat_id)
    session.exec(
        delete(OutboxItem).where(
            or_(col(OutboxItem.chat_key) == chat_key, col(OutboxItem.user_id) == user_id)
        )
    )
    mine = or_(col(InboundUpdate.chat_key) == chat_key, col(InboundUpdate.user_key) == key)
    for row in session.exec(select(InboundUpdate).where(mine)).all():
        if row.status == InboxStatus.PENDING:
            # Perhaps the row being handled now: the handler marks it done; there is nothing left to do.
            row.payload, row.urgent, row.error = {"kind": "ignored"}, False, None
            row.chat_key = row.user_key = None
            session.add(row)
        else:
            session.delete(row)
    session.flush()
    session.delete(user)
    session.flush()


def enqueue_transient(session: Session, *, chat_id: int, method: Method, payload: dict[str, Any]) -> None:
    """A call to a chat whose person was forgotten: no user, no history, and deleted once made."""
    enqueue(session, chat_id=chat_id, method=method, payload=payload, user=None, transient=True)


def drop_outbox_row(engine: Engine, outbox_id: int) -> None:
    """Delete a transient row after its call was made; the sender then finds nothing to mark."""
    with session_scope(engine) as session:
        session.exec(delete(OutboxItem).where(col(OutboxItem.id) == outbox_id))


@dataclass(frozen=True)
class PurgeReport:
    messages_blanked: int
    inbox_deleted: int
    outbox_deleted: int
    notes_deleted: int

    def __str__(self) -> str:
        return (
            f"messages blanked: {self.messages_blanked}, inbox rows deleted: {self.inbox_deleted}, "
            f"outbox rows deleted: {self.outbox_deleted}, case notes deleted: {self.notes_deleted}"
        )


def purge(session: Session, now: datetime, retention: timedelta) -> PurgeReport:
    """Remove what is older than the retention period, in the caller's transaction.

    Message texts are blanked, not deleted: the rows keep direction, kind, time, severity and categories,
    which the dashboard counts and which say nothing in the person's words.
    """
    cutoff = now - retention
    blanked = session.exec(
        update(Message)
        .where(col(Message.created_at) < cutoff, col(Message.text) != "")
        .values(text="", file_id=None)
        .execution_options(synchronize_session=False)
    )
    finished = [InboxStatus.DONE, InboxStatus.FAILED]
    inbox = session.exec(
        delete(InboundUpdate)
        .where(col(InboundUpdate.status).in_(finished), col(InboundUpdate.received_at) < cutoff)
        .execution_options(synchronize_session=False)
    )
    done = col(OutboxItem.status).in_([OutboxStatus.SENT, OutboxStatus.FAILED])
    leftover = col(OutboxItem.transient)
    outbox = session.exec(
        delete(OutboxItem)
        .where(done, or_(col(OutboxItem.created_at) < cutoff, leftover))
        .execution_options(synchronize_session=False)
    )
    old_cases = select(Case.id).where(Case.status == CaseStatus.CLOSED, col(Case.closed_at) < cutoff)
    notes = session.exec(
        delete(CaseNote)
        .where(col(CaseNote.case_id).in_(old_cases))
        .execution_options(synchronize_session=False)
    )
    return PurgeReport(blanked.rowcount, inbox.rowcount, outbox.rowcount, notes.rowcount)


def run_purge(engine: Engine, now: datetime, retention_days: int) -> PurgeReport:
    with session_scope(engine) as session:
        return purge(session, now, timedelta(days=retention_days))

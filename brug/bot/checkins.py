"""Firing the check-ins that are due.

A due schedule is claimed and moved forward in the same transaction that writes the first question to
the outbox. On PostgreSQL the claim uses `FOR UPDATE SKIP LOCKED`, so two workers never send the same
check-in; on SQLite, BEGIN IMMEDIATE serialises the transactions to the same effect.

A broadcast is fed to the outbox only as fast as it drains: the sender takes rows in order, so ten
thousand check-ins queued at once would keep everyone who writes meanwhile waiting five minutes for an
answer (a crisis answer jumps the queue; ordinary answers do not).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import Engine, func
from sqlmodel import col, select

from brug.bot import engine as conversation
from brug.bot.dialog import Input, InputKind
from brug.bot.effects import apply_step, conversation_of, state_of
from brug.core.db import session_scope
from brug.core.i18n import translations
from brug.core.models import CheckinSchedule, OutboxItem, OutboxStatus, User

# About two seconds of Telegram's overall limit (30 messages/s): how far a broadcast runs ahead of the sender.
OUTBOX_ROOM: Final = 60


@dataclass(frozen=True)
class Fired:
    count: int
    waiting: bool  # check-ins may still be due, held back until the outbox has room


def fire_due(engine: Engine, now: datetime, limit: int = 100) -> int:
    """Send the first question of every due check-in; returns how many were sent."""
    with session_scope(engine) as session:
        query = (
            select(CheckinSchedule)
            .where(col(CheckinSchedule.active), col(CheckinSchedule.next_due_at) <= now)
            .order_by(col(CheckinSchedule.next_due_at))
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        due = session.exec(query).all()
        for schedule in due:
            user = session.get(User, schedule.user_id)
            if user is None:
                continue
            state_row = conversation_of(session, user)
            result = conversation.step(
                state_of(user, state_row), Input(InputKind.TIMER, "checkin"), translations
            )
            apply_step(session, user, state_row, result, now=now)
            schedule.next_due_at = now + timedelta(days=schedule.every_days)
            session.add(schedule)
        return len(due)


def fire_all_due(engine: Engine, now: datetime, batch: int = 100, room: int = OUTBOX_ROOM) -> Fired:
    """Due check-ins, at most `batch` to a transaction, until the outbox holds `room` pending rows."""
    total = 0
    while (space := min(batch, room - pending_rows(engine))) > 0:
        fired = fire_due(engine, now, space)
        total += fired
        if fired < space:
            return Fired(total, waiting=False)
    return Fired(total, waiting=True)


def pending_rows(engine: Engine) -> int:
    with session_scope(engine) as session:
        pending = col(OutboxItem.status) == OutboxStatus.PENDING
        return session.exec(select(func.count()).select_from(OutboxItem).where(pending)).one()

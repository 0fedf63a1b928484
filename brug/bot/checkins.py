"""Firing the check-ins that are due.

A due schedule is claimed and moved forward in the same transaction that writes the first question to
the outbox. On PostgreSQL the claim uses `FOR UPDATE SKIP LOCKED`, so two workers never send the same
check-in; on SQLite, BEGIN IMMEDIATE serialises the transactions to the same effect.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import col, select

from brug.bot import engine as conversation
from brug.bot.dialog import Input, InputKind
from brug.bot.effects import apply_step, conversation_of, state_of
from brug.core.db import session_scope
from brug.core.i18n import translations
from brug.core.models import CheckinSchedule, User


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


def fire_all_due(engine: Engine, now: datetime, batch: int = 100) -> int:
    """Every due check-in, `batch` to a transaction: a broadcast to thousands is queued at once, and the
    sender's rate limiter spreads it out."""
    total = 0
    while fired := fire_due(engine, now, batch):
        total += fired
        if fired < batch:
            break
    return total

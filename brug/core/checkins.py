"""Check-in schedules: a user's opt-in to regular check-ins, and opting out."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from brug.core.models import CheckinSchedule, User


def set_schedule(session: Session, user: User, every_days: int | None, *, now: datetime) -> None:
    schedule = session.get(CheckinSchedule, user.id)
    if every_days is None:
        if schedule is not None:
            schedule.active, schedule.updated_at = False, now
            session.add(schedule)
        return
    assert user.id is not None
    schedule = schedule or CheckinSchedule(user_id=user.id, every_days=every_days)
    schedule.every_days, schedule.active, schedule.updated_at = every_days, True, now
    schedule.next_due_at = now + timedelta(days=every_days)
    session.add(schedule)

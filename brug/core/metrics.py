"""Operational numbers for /metrics, read from the database at scrape time.

Counts and ages only: no chat id, pseudonym, name or message text ever becomes a number's label. Reading
everything from the database (not from in-process counters) is what lets several workers, or a worker
that just restarted, give the same answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from brug.core.models import (
    Case,
    CaseStatus,
    InboundUpdate,
    InboxStatus,
    OutboxItem,
    OutboxStatus,
    Severity,
)

OPEN_STATUSES = (CaseStatus.OPEN, CaseStatus.CLAIMED)


@dataclass(frozen=True)
class Snapshot:
    updates: dict[str, int]
    """Inbox rows by status (every known status present, 0 when none)."""
    replies: dict[str, int]
    """Outbox rows by status."""
    outbox_pending: int
    outbox_oldest_pending_age: float
    """Seconds since the oldest pending outbox row was created; 0 when none is pending."""
    cases_open: dict[tuple[str, str], int]
    """Open and claimed cases by (severity, status)."""
    urgent_unclaimed: int
    urgent_unclaimed_oldest_age: float
    """Seconds since the oldest open urgent case was created; 0 when there is none."""


def _age(oldest: datetime | None, now: datetime) -> float:
    return max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0


def read_snapshot(session: Session, now: datetime) -> Snapshot:
    updates = {str(status): 0 for status in InboxStatus}
    for status, count in session.exec(
        select(InboundUpdate.status, func.count()).group_by(col(InboundUpdate.status))
    ):
        updates[status] = count

    replies = {str(status): 0 for status in OutboxStatus}
    for status, count in session.exec(
        select(OutboxItem.status, func.count()).group_by(col(OutboxItem.status))
    ):
        replies[status] = count

    oldest_pending = session.exec(
        select(func.min(OutboxItem.created_at)).where(OutboxItem.status == OutboxStatus.PENDING)
    ).one()

    cases_open = {(str(severity), str(status)): 0 for severity in Severity for status in OPEN_STATUSES}
    for severity, status, count in session.exec(
        select(Case.severity, Case.status, func.count())
        .where(col(Case.status).in_(OPEN_STATUSES))
        .group_by(col(Case.severity), col(Case.status))
    ):
        cases_open[(severity, status)] = count

    urgent_count, urgent_oldest = session.exec(
        select(func.count(), func.min(Case.created_at)).where(
            Case.severity == Severity.URGENT, Case.status == CaseStatus.OPEN
        )
    ).one()

    return Snapshot(
        updates=updates,
        replies=replies,
        outbox_pending=replies[OutboxStatus.PENDING],
        outbox_oldest_pending_age=_age(oldest_pending, now),
        cases_open=cases_open,
        urgent_unclaimed=urgent_count,
        urgent_unclaimed_oldest_age=_age(urgent_oldest, now),
    )

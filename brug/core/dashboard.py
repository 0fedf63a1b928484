"""Numbers for the coordinators' dashboard: counts, medians and averages, never a person, text or name.

Every function takes a Session and a `Window` of whole UTC weeks and runs on SQLite and PostgreSQL.
The database counts per day (`date()` exists in both; SQLite returns text, PostgreSQL a date) and
Python adds the days up into weeks, which avoids each database's own week functions. The median and
the JSON category lists have no portable SQL aggregate, so for those the few needed columns are read
and reduced here.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func
from sqlmodel import Session, col, select

from brug.core.models import Case, Checkin, Message, Severity, User

WEEKS = 12
NOT_SAID = "not said"


@dataclass(frozen=True)
class Window:
    """`weeks` whole weeks from `start`, a Monday 00:00 UTC; the end is excluded."""

    start: datetime
    weeks: int

    def __post_init__(self) -> None:
        if self.weeks < 1:
            raise ValueError("a window needs at least one week")
        if self.start.tzinfo is None:
            raise ValueError("naive datetime; use an aware UTC datetime")

    @classmethod
    def last_weeks(cls, now: datetime, weeks: int = WEEKS) -> Window:
        """The week that holds `now` and the `weeks - 1` weeks before it."""
        today = now.astimezone(UTC).date()
        monday = datetime.combine(today - timedelta(days=today.weekday()), time(), tzinfo=UTC)
        return cls(start=monday - timedelta(weeks=weeks - 1), weeks=weeks)

    @property
    def end(self) -> datetime:
        return self.start + timedelta(weeks=self.weeks)

    @property
    def week_starts(self) -> list[date]:
        first = self.start.date()
        return [first + timedelta(weeks=index) for index in range(self.weeks)]

    def week_of(self, day: date) -> int | None:
        """The index of the week that holds `day`, or None outside the window."""
        index = (day - self.start.date()).days // 7
        return index if 0 <= index < self.weeks else None

    def holds(self, column: Any) -> ColumnElement[bool]:
        return (col(column) >= self.start) & (col(column) < self.end)


@dataclass(frozen=True)
class FirstReply:
    """How long cases waited for a key person's first reply; only cases that got one count."""

    median_minutes: float | None
    cases: int


def _as_date(value: object) -> date:
    """`date()` gives a `date` on PostgreSQL and 'YYYY-MM-DD' text on SQLite."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _by_count(counts: Counter[str]) -> dict[str, int]:
    """Largest first; ties by name, so the order does not depend on the database."""
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def cases_per_week_by_reason(session: Session, window: Window) -> dict[str, list[int]]:
    """Reason → number of cases opened in each week of the window (reasons in name order)."""
    day = func.date(col(Case.created_at))
    query = (
        select(Case.reason, day, func.count())
        .where(window.holds(Case.created_at))
        .group_by(col(Case.reason), day)
    )
    weekly: dict[str, list[int]] = {}
    for reason, on, count in session.exec(query).all():
        index = window.week_of(_as_date(on))
        if index is not None:
            weekly.setdefault(reason, [0] * window.weeks)[index] += count
    return dict(sorted(weekly.items()))


def cases_by_language(session: Session, window: Window) -> dict[str, int]:
    query = (
        select(Case.language, func.count()).where(window.holds(Case.created_at)).group_by(col(Case.language))
    )
    return _by_count(Counter(dict(session.exec(query).all())))


def cases_by_phase(session: Session, window: Window) -> dict[str, int]:
    """The phase the user last said (User.phase); `NOT_SAID` when they did not say, or are gone."""
    query = (
        select(User.phase, func.count(col(Case.id)))
        .select_from(Case)
        .outerjoin(User, col(Case.user_id) == col(User.id))
        .where(window.holds(Case.created_at))
        .group_by(col(User.phase))
    )
    counts: Counter[str] = Counter()
    for phase, count in session.exec(query).all():
        counts[phase or NOT_SAID] += count
    return _by_count(counts)


def median_first_reply(session: Session, window: Window) -> dict[str, FirstReply]:
    """Urgent and normal (always both keys): median minutes from opening to the first reply."""
    query = select(Case.severity, Case.created_at, Case.first_reply_at).where(
        window.holds(Case.created_at), col(Case.first_reply_at).is_not(None)
    )
    waits: dict[str, list[float]] = {Severity.URGENT: [], Severity.NORMAL: []}
    for severity, created_at, first_reply_at in session.exec(query).all():
        assert first_reply_at is not None
        minutes = max(0.0, (first_reply_at - created_at).total_seconds() / 60)
        waits.setdefault(severity, []).append(minutes)
    return {
        severity: FirstReply(statistics.median(values) if values else None, len(values))
        for severity, values in waits.items()
    }


def signals_by_category(session: Session, window: Window) -> dict[str, int]:
    """Category → inbound messages in which it was found (a message with two categories counts twice)."""
    query = select(Message.categories).where(
        window.holds(Message.created_at),
        col(Message.direction) == "in",
        col(Message.severity).is_not(None),
    )
    counts: Counter[str] = Counter()
    for categories in session.exec(query).all():
        counts.update(set(categories or []))
    return _by_count(counts)


def checkin_average_per_week(session: Session, window: Window) -> list[float | None]:
    """The average check-in total (4 = bad … 20 = good) in each week; None for a week without any."""
    day = func.date(col(Checkin.created_at))
    total = col(Checkin.mood) + col(Checkin.sleep) + col(Checkin.calm) + col(Checkin.coping)
    query = select(day, func.sum(total), func.count()).where(window.holds(Checkin.created_at)).group_by(day)
    sums, counts = [0] * window.weeks, [0] * window.weeks
    for on, day_sum, count in session.exec(query).all():
        index = window.week_of(_as_date(on))
        if index is not None:
            sums[index] += int(day_sum)
            counts[index] += count
    return [sums[i] / counts[i] if counts[i] else None for i in range(window.weeks)]

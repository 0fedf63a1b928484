"""The dashboard's numbers, computed by hand for a small data set, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from brug.core import dashboard
from brug.core.dashboard import NOT_SAID, FirstReply, Window
from brug.core.db import session_scope
from brug.core.models import Case, Checkin, Message, Severity, User

# A Thursday: its week starts on Monday 23 November; twelve weeks start on Monday 7 September.
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
FIRST_MONDAY = datetime(2026, 9, 7, tzinfo=UTC)


def at(month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def test_the_window_is_twelve_whole_utc_weeks_ending_with_the_current_one() -> None:
    window = Window.last_weeks(NOW)
    assert window.start == FIRST_MONDAY and window.weeks == 12
    assert window.end == datetime(2026, 11, 30, tzinfo=UTC)
    assert window.week_starts[0] == date(2026, 9, 7) and window.week_starts[-1] == date(2026, 11, 23)
    assert window.week_of(date(2026, 9, 6)) is None
    assert window.week_of(date(2026, 9, 13)) == 0
    assert window.week_of(date(2026, 11, 29)) == 11
    assert window.week_of(date(2026, 11, 30)) is None
    # A Monday just after midnight UTC belongs to its own week; another zone is converted first.
    monday = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
    assert Window.last_weeks(monday).start == FIRST_MONDAY
    assert Window.last_weeks(monday - timedelta(seconds=1)).start == FIRST_MONDAY - timedelta(weeks=1)
    assert Window.last_weeks(NOW, weeks=1).start == monday
    with pytest.raises(ValueError, match="at least one week"):
        Window(start=FIRST_MONDAY, weeks=0)


def _user(session: Session, chat_id: int, phase: str | None) -> int:
    user = User(telegram_key=f"key-{chat_id}", chat_id=chat_id, language="ar", phase=phase)
    session.add(user)
    session.flush()
    assert user.id is not None
    return user.id


def _case(
    session: Session,
    user_id: int | None,
    created_at: datetime,
    *,
    reason: str = "asked_for_person",
    language: str = "ar",
    severity: Severity = Severity.NORMAL,
    reply_after: int | None = None,
) -> None:
    first_reply = created_at + timedelta(minutes=reply_after) if reply_after is not None else None
    session.add(
        Case(
            user_id=user_id,
            reason=reason,
            language=language,
            severity=severity,
            created_at=created_at,
            first_reply_at=first_reply,
        )
    )


def _seed(engine: Engine) -> None:
    with session_scope(engine) as session:
        waiting = _user(session, 1, "waiting")
        silent = _user(session, 2, None)
        arrived = _user(session, 3, "arrived")
        # Inside the window: weeks 0, 5, 9, 10 and 11.
        _case(session, waiting, FIRST_MONDAY, reason="concern_signals", language="nl", reply_after=50)
        _case(session, None, at(10, 14), language="ti")  # the user is gone: phase "not said"
        _case(session, silent, at(11, 15, 23, 30), reply_after=30)  # Sunday: still week 9
        _case(session, silent, at(11, 16, 0, 30))  # Monday: week 10
        _case(session, waiting, at(11, 23, 10), reply_after=10)
        _case(session, arrived, at(11, 24), reason="crisis_signal", severity=Severity.URGENT, reply_after=4)
        _case(session, arrived, at(11, 25), reason="crisis_signal", severity=Severity.URGENT, reply_after=8)
        _case(session, silent, at(11, 25), reason="checkin", severity=Severity.URGENT)
        # Outside: the Sunday before, and the Monday after.
        _case(session, waiting, at(9, 6, 23, 59), reply_after=1000)
        _case(session, waiting, datetime(2026, 11, 30, tzinfo=UTC), reply_after=1000)

        def message(
            when: datetime, severity: str | None, categories: list[str], direction: str = "in"
        ) -> None:
            session.add(
                Message(
                    user_id=waiting,
                    direction=direction,
                    kind="text",
                    text="…",
                    severity=severity,
                    categories=categories,
                    created_at=when,
                )
            )

        message(at(11, 20), "urgent", ["crisis", "hopelessness"])
        message(at(10, 1), "concern", ["hopelessness"])
        message(at(9, 8), "concern", ["waiting_stress", "financial"])
        message(at(11, 20), None, [])
        message(at(11, 20), "concern", ["health"], direction="out")  # not a user's message
        message(at(9, 1), "urgent", ["crisis"])  # before the window

        def checkin(when: datetime, answer: int) -> None:
            """Four equal answers, so the total is four times `answer`."""
            session.add(
                Checkin(
                    user_id=silent, mood=answer, sleep=answer, calm=answer, coping=answer, created_at=when
                )
            )

        checkin(at(11, 23), 2)  # total 8
        checkin(at(11, 29, 23, 59), 3)  # total 12, on the week's last minute
        checkin(at(11, 17), 5)  # total 20
        checkin(at(9, 28), 1)  # total 4
        checkin(at(9, 6), 5)  # before the window


def test_cases_per_week_by_reason(db: Engine) -> None:
    _seed(db)
    with session_scope(db) as session:
        weekly = dashboard.cases_per_week_by_reason(session, Window.last_weeks(NOW))

    def weeks(**counts: int) -> list[int]:
        result = [0] * 12
        for key, count in counts.items():
            result[int(key[1:])] = count
        return result

    assert weekly == {
        "asked_for_person": weeks(w5=1, w9=1, w10=1, w11=1),
        "checkin": weeks(w11=1),
        "concern_signals": weeks(w0=1),
        "crisis_signal": weeks(w11=2),
    }
    assert list(weekly) == sorted(weekly)


def test_cases_by_language_and_phase(db: Engine) -> None:
    _seed(db)
    window = Window.last_weeks(NOW)
    with session_scope(db) as session:
        languages = dashboard.cases_by_language(session, window)
        phases = dashboard.cases_by_phase(session, window)
    assert list(languages.items()) == [("ar", 6), ("nl", 1), ("ti", 1)]
    assert list(phases.items()) == [("not said", 4), ("arrived", 2), ("waiting", 2)]
    assert NOT_SAID == "not said"


def test_median_minutes_to_the_first_reply(db: Engine) -> None:
    _seed(db)
    with session_scope(db) as session:
        medians = dashboard.median_first_reply(session, Window.last_weeks(NOW))
    # Normal: 50, 30 and 10 minutes; the case without a reply does not count. Urgent: 4 and 8.
    assert medians == {"urgent": FirstReply(6.0, 2), "normal": FirstReply(30.0, 3)}


def test_signals_per_category_count_inbound_messages_with_a_severity(db: Engine) -> None:
    _seed(db)
    with session_scope(db) as session:
        signals = dashboard.signals_by_category(session, Window.last_weeks(NOW))
    assert list(signals.items()) == [
        ("hopelessness", 2),
        ("crisis", 1),
        ("financial", 1),
        ("waiting_stress", 1),
    ]


def test_checkin_average_per_week(db: Engine) -> None:
    _seed(db)
    with session_scope(db) as session:
        averages = dashboard.checkin_average_per_week(session, Window.last_weeks(NOW))
    expected: list[float | None] = [None] * 12
    expected[3], expected[10], expected[11] = 4.0, 20.0, 10.0
    assert averages == expected


def test_an_empty_database_gives_empty_numbers(db: Engine) -> None:
    window = Window.last_weeks(NOW)
    with session_scope(db) as session:
        assert dashboard.cases_per_week_by_reason(session, window) == {}
        assert dashboard.cases_by_language(session, window) == {}
        assert dashboard.cases_by_phase(session, window) == {}
        assert dashboard.median_first_reply(session, window) == {
            "urgent": FirstReply(None, 0),
            "normal": FirstReply(None, 0),
        }
        assert dashboard.signals_by_category(session, window) == {}
        assert dashboard.checkin_average_per_week(session, window) == [None] * 12

"""Cases as the back office shows them: pseudonym, labels, the re-page rule, the thread."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from brug.api.schemas import CaseDetail, CaseSummary, ThreadEntry
from brug.core import casework
from brug.core.models import Case, KeyPerson, Severity, User
from brug.core.pseudonyms import pseudonym
from brug.core.settings import Settings


def queue_summaries(rows: list[casework.QueueRow], settings: Settings) -> list[CaseSummary]:
    return [_summary(row, settings) for row in rows]


def summaries(session: Session, cases: list[Case], settings: Settings) -> list[CaseSummary]:
    last = casework.last_message_times(session, cases)
    users = _columns_by_id(session, User.id, [User.role, User.phase], {c.user_id for c in cases})
    people = _columns_by_id(session, KeyPerson.id, [KeyPerson.name], {c.assigned_to for c in cases})
    result = []
    for case in cases:
        role, phase = users.get(case.user_id, (None, None))
        (name,) = people.get(case.assigned_to, (None,))
        at = last.get(case.user_id) if case.user_id is not None else None
        result.append(_summary(casework.QueueRow(case, role, phase, name, at), settings))
    return result


def _summary(row: casework.QueueRow, settings: Settings) -> CaseSummary:
    case = row.case
    assert case.id is not None
    return CaseSummary(
        id=case.id,
        pseudonym=pseudonym(case.user_id),
        language=case.language,
        severity=case.severity,
        status=case.status,
        reason=case.reason,
        assigned_to=case.assigned_to,
        assigned_to_name=row.holder,
        role=row.role,
        phase=row.phase,
        interpreter_needed=case.interpreter_needed,
        created_at=case.created_at,
        last_message_at=row.last_message_at,
        repage_rule=repage_rule(case, settings),
    )


def detail(session: Session, case: Case, settings: Settings) -> CaseDetail:
    summary = summaries(session, [case], settings)[0]
    messages = [
        ThreadEntry(
            direction=m.direction,
            text=m.text,
            at=m.at,
            author=m.author,
            severity=m.severity,
            categories=list(m.categories),
        )
        for m in casework.thread(session, case)
    ]
    return CaseDetail(**summary.model_dump(), outcome=case.outcome, messages=messages)


def repage_rule(case: Case, settings: Settings) -> str:
    """The escalation rule as the key person should read it on the case."""
    if case.severity != Severity.URGENT:
        return ""
    rule = (
        f"Urgent: if nobody claims it within {settings.brug_repage_minutes} min, all coordinators are told."
    )
    if case.repaged_at is not None:
        return f"{rule} Sent to all coordinators at {case.repaged_at:%H:%M} UTC."
    return rule


def waiting_minutes(case: Case, now: datetime) -> int:
    return max(0, int((now - case.created_at).total_seconds() // 60))


def _columns_by_id(
    session: Session, key: Any, columns: list[Any], ids: set[int | None]
) -> dict[int | None, tuple[Any, ...]]:
    """Only the columns shown: a queue has hundreds of cases, and whole rows cost an ORM object each
    and the decoding of every column."""
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    rows = session.execute(sa_select(key, *columns).where(col(key).in_(wanted))).all()
    return {row[0]: tuple(row[1:]) for row in rows}

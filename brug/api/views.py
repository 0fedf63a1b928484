"""Cases as the back office shows them: pseudonym, labels, the re-page rule, the thread."""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

from sqlmodel import Session, col, select

from brug.api.schemas import CaseDetail, CaseSummary, ThreadEntry
from brug.core import casework
from brug.core.models import Case, KeyPerson, Severity, User
from brug.core.pseudonyms import pseudonym
from brug.core.settings import Settings

_Row = TypeVar("_Row", User, KeyPerson)


def summaries(session: Session, cases: list[Case], settings: Settings) -> list[CaseSummary]:
    last = casework.last_message_times(session, cases)
    users = _by_id(session, User, {c.user_id for c in cases})
    people = _by_id(session, KeyPerson, {c.assigned_to for c in cases})
    result = []
    for case in cases:
        user = users.get(case.user_id) if case.user_id is not None else None
        person = people.get(case.assigned_to) if case.assigned_to is not None else None
        assert case.id is not None
        result.append(
            CaseSummary(
                id=case.id,
                pseudonym=pseudonym(case.user_id),
                language=case.language,
                severity=case.severity,
                status=case.status,
                reason=case.reason,
                assigned_to=case.assigned_to,
                assigned_to_name=person.name if person else None,
                role=user.role if user else None,
                phase=user.phase if user else None,
                interpreter_needed=case.interpreter_needed,
                created_at=case.created_at,
                last_message_at=last.get(case.user_id) if case.user_id is not None else None,
                repage_rule=repage_rule(case, settings),
            )
        )
    return result


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
            voice_url=f"/cases/{case.id}/voice/{m.message_id}" if m.voice else None,
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


def _by_id(session: Session, model: type[_Row], ids: set[int | None]) -> dict[int, _Row]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.exec(select(model).where(col(model.id).in_(wanted))).all()
    return {row.id: row for row in rows if row.id is not None}

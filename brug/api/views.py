"""Cases as the back office shows them: pseudonym, labels, the re-page rule, the thread."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from brug.api.schemas import CaseDetail, CaseSummary, ThreadEntry
from brug.core import casework
from brug.core.models import Case, Severity
from brug.core.pseudonyms import pseudonym
from brug.core.settings import Settings


def queue_summaries(rows: list[casework.QueueRow], settings: Settings) -> list[CaseSummary]:
    return [_summary(row, settings) for row in rows]


def summaries(session: Session, cases: list[Case], settings: Settings) -> list[CaseSummary]:
    return queue_summaries(casework.rows_of(session, cases), settings)


def _summary(row: casework.QueueRow, settings: Settings) -> CaseSummary:
    return CaseSummary(
        id=row.id,
        pseudonym=pseudonym(row.user_id),
        language=row.language,
        severity=row.severity,
        status=row.status,
        reason=row.reason,
        assigned_to=row.assigned_to,
        assigned_to_name=row.holder,
        role=row.role,
        phase=row.phase,
        interpreter_needed=row.interpreter_needed,
        created_at=row.created_at,
        last_message_at=row.last_message_at,
        repage_rule=repage_rule(row, settings),
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
            voice_url=f"/cases/{case.id}/voice/{m.message_id}" if m.voice else None,
        )
        for m in casework.thread(session, case)
    ]
    return CaseDetail(**summary.model_dump(), outcome=case.outcome, messages=messages)


def repage_rule(case: Case | casework.QueueRow, settings: Settings) -> str:
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

"""Escalation rules shared by the bot and the back office: at most one open case per user.

Key persons are told by `brug.core.escalation.run_due`, which looks for cases not yet notified.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from brug.core.models import Case, CaseStatus, Severity, User


def open_case_of(session: Session, user: User) -> Case | None:
    query = select(Case).where(Case.user_id == user.id, col(Case.status) != CaseStatus.CLOSED)
    return session.exec(query.order_by(col(Case.id).desc())).first()


def request_person(session: Session, *, user: User, severity: Severity, reason: str, now: datetime) -> Case:
    """Open a case, or raise the user's open one to urgent: a crisis never waits behind a normal request."""
    case = open_case_of(session, user)
    if case is None:
        case = Case(user_id=user.id, severity=severity, reason=reason, language=user.language, created_at=now)
        if severity == Severity.NORMAL:
            # Sticky: a returning user's case is offered first to the key person who helped them before.
            case.preferred_id = user.contact_person_id
    elif severity == Severity.URGENT and case.severity != Severity.URGENT:
        # Everyone in the language is told again, and nobody waits for a sticky first turn.
        case.severity, case.reason = Severity.URGENT, reason
        case.notified_at, case.widened_at = None, now
    case.updated_at = now
    session.add(case)
    session.flush()
    return case

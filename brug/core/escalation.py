"""Telling key persons about cases: new ones, sticky first turns that run out, urgent ones nobody took.

`run_due` is called every few seconds by the bot process (it is the one that can send); each step
marks what it did on the case in the same transaction as the outbox rows, so each notice goes once.
Notices name the case by pseudonym and language only: a Telegram message may be read over a shoulder.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from brug.core.casework import audit
from brug.core.languages import LANGUAGES
from brug.core.models import Case, CaseStatus, KeyPerson, Role, Severity
from brug.core.outbox import enqueue_text
from brug.core.pseudonyms import pseudonym

REASONS = {
    "asked_for_person": "asked for a person",
    "crisis_signal": "crisis signal",
    "said_yes_when_asked": "said yes when asked about ending their life",
    "concern_signals": "concern signals",
    "checkin": "check-in",
}


@dataclass(frozen=True)
class Rules:
    public_url: str
    repage_after: timedelta
    sticky_for: timedelta


def run_due(session: Session, rules: Rules, now: datetime) -> int:
    """Send what is due; returns how many notices were queued."""
    return _new_cases(session, rules, now) + _widen(session, rules, now) + _repage(session, rules, now)


def _new_cases(session: Session, rules: Rules, now: datetime) -> int:
    sent = 0
    query = select(Case).where(col(Case.notified_at).is_(None), col(Case.status) != CaseStatus.CLOSED)
    for case in session.exec(_claimed(query)).all():
        case.notified_at = now
        if case.preferred_id is not None and case.severity == Severity.NORMAL and case.widened_at is None:
            recipients = _first_turn(session, case.preferred_id)
            # Nobody to take the first turn (the earlier contact and their backup are inactive): widen now
            # (`_widen` runs next), instead of hiding the case from everyone for the whole sticky window.
            case.preferred_until = now + rules.sticky_for if recipients else now
            note = f" You helped this person before; others are told in {_minutes(rules.sticky_for)} min."
        else:
            recipients = _speakers(session, case.language, with_coordinators=case.severity == Severity.URGENT)
            note = ""
        session.add(case)
        sent += _notify(session, recipients, case, rules, _headline(case) + note)
    return sent


def _widen(session: Session, rules: Rules, now: datetime) -> int:
    """A sticky case the first key person did not claim in time goes to everyone in its language."""
    sent = 0
    query = select(Case).where(
        col(Case.preferred_until) <= now,
        col(Case.widened_at).is_(None),
        col(Case.assigned_to).is_(None),
        Case.status == CaseStatus.OPEN,
    )
    for case in session.exec(_claimed(query)).all():
        case.widened_at = now
        session.add(case)
        first = set(_ids(_first_turn(session, case.preferred_id)))
        others = [p for p in _speakers(session, case.language) if p.id not in first]
        sent += _notify(
            session, others, case, rules, _headline(case) + " Not yet claimed by their earlier contact."
        )
        audit(session, None, "widened", case, now=now)
    return sent


def _repage(session: Session, rules: Rules, now: datetime) -> int:
    """An urgent case nobody claimed within the set time goes again to every coordinator."""
    sent = 0
    query = select(Case).where(
        Case.severity == Severity.URGENT,
        Case.status == CaseStatus.OPEN,
        col(Case.assigned_to).is_(None),
        col(Case.repaged_at).is_(None),
        col(Case.notified_at) <= now - rules.repage_after,
    )
    for case in session.exec(_claimed(query)).all():
        case.repaged_at = now
        session.add(case)
        coordinators = session.exec(
            select(KeyPerson).where(KeyPerson.role == Role.COORDINATOR, col(KeyPerson.active))
        ).all()
        waited = _minutes(now - (case.notified_at or now))
        text = f"STILL UNCLAIMED after {waited} min: {_headline(case)}"
        sent += _notify(session, coordinators, case, rules, text)
        audit(session, None, "repaged", case, f"to {len(coordinators)} coordinators", now=now)
    return sent


def _claimed(query: SelectOfScalar[Case]) -> SelectOfScalar[Case]:
    """Rows locked for this transaction; another worker skips them (PostgreSQL; SQLite has one writer)."""
    return query.with_for_update(skip_locked=True)


def _first_turn(session: Session, preferred_id: int | None) -> list[KeyPerson]:
    person = session.get(KeyPerson, preferred_id) if preferred_id is not None else None
    if person is None or not person.active:
        return []
    backup = session.get(KeyPerson, person.backup_id) if person.backup_id is not None else None
    return [person] + ([backup] if backup is not None and backup.active else [])


def _speakers(session: Session, language: str, *, with_coordinators: bool = False) -> list[KeyPerson]:
    people = session.exec(select(KeyPerson).where(col(KeyPerson.active))).all()
    return [
        p for p in people if language in p.languages or (with_coordinators and p.role == Role.COORDINATOR)
    ]


def _notify(session: Session, people: Iterable[KeyPerson], case: Case, rules: Rules, text: str) -> int:
    link = f"{rules.public_url.rstrip('/')}/cases/{case.id}"
    sent = 0
    for person in {p.id: p for p in people}.values():
        if person.telegram_chat_id is None:
            continue
        urgent = case.severity == Severity.URGENT
        enqueue_text(session, chat_id=person.telegram_chat_id, text=f"{text}\n{link}", urgent=urgent)
        sent += 1
    return sent


def _headline(case: Case) -> str:
    kind = "URGENT case" if case.severity == Severity.URGENT else "New case"
    reason = REASONS.get(case.reason, case.reason)
    return f"{kind} {pseudonym(case.user_id)} · {LANGUAGES.get(case.language, case.language)} · {reason}."


def _ids(people: Iterable[KeyPerson]) -> list[int | None]:
    return [p.id for p in people]


def _minutes(delta: timedelta) -> int:
    return int(delta.total_seconds() // 60)

"""What key persons do with cases: who may see which, claim, hand over, reply, close, notes, audit.

Shared by the back office's JSON API and its pages. Every change to a case that the user should know
of (a person joined, left, handed over) is written to the outbox in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, and_, false, func, or_, true
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from brug.core.i18n import N_, translations
from brug.core.models import (
    AuditEntry,
    Case,
    CaseNote,
    CaseStatus,
    Checkin,
    KeyPerson,
    Message,
    OutboxItem,
    Outcome,
    Role,
    Severity,
    User,
)
from brug.core.outbox import Keyboard, enqueue_message, enqueue_text
from brug.core.pseudonyms import pseudonym

PERSON_REQUEST = "person:request"
LEAVE_CASE = "case:leave"
MAX_REPLY_LENGTH = 4000
MESSAGES_BEFORE_CASE = 10
CLOSING_OUTCOMES = tuple(outcome for outcome in Outcome if outcome is not Outcome.USER_LEFT)

JOINED = N_(
    "{name} from our team has joined this chat. Everything you write here now goes to {name}.\n"
    "You can end the conversation at any time with the button."
)
HANDED_OVER = N_(
    "{old} has passed the conversation to {name}, also from our team. {name} will write to you here."
)
REPLY_FROM = N_("{name}, from our team:")
ENDED = N_(
    "{name} has ended the conversation. Thank you for talking with us.\n"
    "If you want to talk to a person again, tap the button."
)
END_BUTTON = N_("End the conversation")
AGAIN_BUTTON = N_("Talk to a person")


def leave_data(case: Case) -> str:
    """The End button names its case, so that an old button cannot end a later conversation."""
    return f"{LEAVE_CASE}:{case.id}"


class Problem(StrEnum):
    NOT_FOUND = "not_found"
    FORBIDDEN = "forbidden"
    CONFLICT = "conflict"
    INVALID = "invalid"


class CaseError(Exception):
    """A request about a case that cannot be done; the message is shown to the key person."""

    def __init__(self, problem: Problem, message: str) -> None:
        super().__init__(message)
        self.problem = problem


@dataclass(frozen=True)
class ThreadMessage:
    direction: str
    text: str
    at: datetime
    author: str
    severity: str | None
    categories: tuple[str, ...]
    message_id: int | None = None
    voice: bool = False


_QUEUE_ORDER = ((col(Case.severity) == Severity.URGENT).desc(), col(Case.created_at), col(Case.id))


def visible(person: KeyPerson, now: datetime) -> ColumnElement[bool]:
    """Cases this person may see: all for coordinators; else their own, and unassigned ones in their
    languages, except while another key person (not theirs to back up) has the sticky first turn."""
    if person.role == Role.COORDINATOR:
        return true()
    backs_up = select(KeyPerson.id).where(KeyPerson.backup_id == person.id)
    first_turn_of_another = and_(
        col(Case.preferred_id).is_not(None),
        col(Case.preferred_id) != person.id,
        col(Case.preferred_id).not_in(backs_up),
        col(Case.widened_at).is_(None),
        or_(col(Case.preferred_until).is_(None), col(Case.preferred_until) > now),
    )
    in_languages = col(Case.language).in_(person.languages) if person.languages else false()
    # The user's earlier contact (or their backup) may have talked through an interpreter: language aside.
    earlier_contact = or_(col(Case.preferred_id) == person.id, col(Case.preferred_id).in_(backs_up))
    unassigned = and_(
        col(Case.assigned_to).is_(None), or_(in_languages, earlier_contact), ~first_turn_of_another
    )
    return or_(col(Case.assigned_to) == person.id, unassigned)


@dataclass(frozen=True)
class QueueRow:
    """What a queue row shows of a case, its user and its holder: columns, not a loaded Case, because
    building hundreds of ORM objects cost three times the rest of the query."""

    id: int
    user_id: int | None
    language: str
    severity: str
    status: str
    reason: str
    assigned_to: int | None
    interpreter_needed: bool
    created_at: datetime
    repaged_at: datetime | None
    role: str | None
    phase: str | None
    holder: str | None
    last_message_at: datetime | None


def queue(session: Session, person: KeyPerson, now: datetime, statuses: list[str]) -> list[Case]:
    """Urgent first, then oldest first."""
    query = select(Case).where(visible(person, now), col(Case.status).in_(statuses))
    return list(session.exec(query.order_by(*_QUEUE_ORDER)).all())


def queue_rows(session: Session, person: KeyPerson, now: datetime, statuses: list[str]) -> list[QueueRow]:
    """`queue` with what each row shows, in one query: a coordinator's queue has hundreds of cases and is
    polled every few seconds by every open queue page."""
    query = (
        sa_select(*_row_columns())
        .where(visible(person, now), col(Case.status).in_(statuses))
        .order_by(*_QUEUE_ORDER)
    )
    return [QueueRow(*row) for row in session.execute(query)]


def rows_of(session: Session, cases: list[Case]) -> list[QueueRow]:
    """The same for cases already loaded (a case page, the answer to a claim), in their order."""
    ids = [case.id for case in cases if case.id is not None]
    if not ids:
        return []
    query = sa_select(*_row_columns()).where(col(Case.id).in_(ids))
    rows = {row.id: row for row in (QueueRow(*found) for found in session.execute(query))}
    return [rows[case.id] for case in cases if case.id in rows]


def _row_columns() -> tuple[Any, ...]:
    own = (
        Case.id, Case.user_id, Case.language, Case.severity, Case.status, Case.reason, Case.assigned_to,
        Case.interpreter_needed, Case.created_at, Case.repaged_at,
    )  # fmt: skip
    return (*(col(column) for column in own), *_shown_with_case())


def _shown_with_case() -> tuple[ScalarSelect[Any], ...]:
    """The user's role and phase, the holder's name and the user's last message time: correlated
    subqueries, one index probe per case. Joined instead, PostgreSQL hashes the whole users table
    for a few hundred cases."""
    return tuple(
        query.correlate(Case).scalar_subquery()
        for query in (
            select(User.role).where(col(User.id) == col(Case.user_id)),
            select(User.phase).where(col(User.id) == col(Case.user_id)),
            select(KeyPerson.name).where(col(KeyPerson.id) == col(Case.assigned_to)),
            select(func.max(Message.created_at)).where(col(Message.user_id) == col(Case.user_id)),
        )
    )


def case_for(session: Session, person: KeyPerson, case_id: int, now: datetime) -> Case:
    case = session.exec(select(Case).where(Case.id == case_id, visible(person, now))).first()
    if case is not None:
        return case
    if session.get(Case, case_id) is None:
        raise CaseError(Problem.NOT_FOUND, f"there is no case {case_id}")
    raise CaseError(Problem.FORBIDDEN, "this case is not in your languages or is assigned to someone else")


def claim(session: Session, person: KeyPerson, case: Case, now: datetime) -> None:
    _must_be_active(case)
    if case.assigned_to == person.id:
        return
    if case.assigned_to is not None:
        raise CaseError(Problem.CONFLICT, f"already claimed by {_name(session, case.assigned_to)}")
    _take(session, person, case, now)
    _tell_user(session, case, JOINED, now, name=person.name, button=(END_BUTTON, leave_data(case)))
    audit(session, person, "claim", case, now=now)


def assign(session: Session, actor: KeyPerson, case: Case, target_id: int, now: datetime) -> None:
    """A coordinator assigns any case; a key person hands over a case they hold."""
    _must_be_active(case)
    if actor.role != Role.COORDINATOR and case.assigned_to != actor.id:
        raise CaseError(
            Problem.FORBIDDEN, "only the key person who holds a case, or a coordinator, can hand it over"
        )
    target = session.get(KeyPerson, target_id)
    if target is None or not target.active:
        raise CaseError(Problem.INVALID, "choose an active key person")
    if case.assigned_to == target.id:
        return
    previous = case.assigned_to
    _take(session, target, case, now)
    if previous is None:
        _tell_user(session, case, JOINED, now, name=target.name, button=(END_BUTTON, leave_data(case)))
    else:
        _tell_user(session, case, HANDED_OVER, now, name=target.name, old=_name(session, previous))
    audit(session, actor, "assign", case, f"to {target.username}", now=now)


def reply(session: Session, person: KeyPerson, case: Case, text: str, now: datetime) -> None:
    """Send a key person's text to the user's chat; replying to an unclaimed case claims it."""
    text = text.strip()
    if not text or len(text) > MAX_REPLY_LENGTH:
        raise CaseError(Problem.INVALID, f"a reply needs 1 to {MAX_REPLY_LENGTH} characters")
    _must_be_active(case)
    if case.assigned_to is None:
        claim(session, person, case, now)
    elif case.assigned_to != person.id:
        raise CaseError(Problem.FORBIDDEN, f"this case is held by {_name(session, case.assigned_to)}")
    user = _user(session, case)
    _ = translations(user.language).gettext
    item = enqueue_message(
        session,
        user=user,
        text=f"{_(REPLY_FROM).format(name=person.name)}\n{text}",
        author="keyperson",
        author_id=person.id,
        urgent=case.severity == Severity.URGENT,
    )
    _stamp(session, item, now)
    case.first_reply_at = case.first_reply_at or now
    case.updated_at = now
    session.add(case)
    audit(session, person, "reply", case, now=now)


def close(session: Session, actor: KeyPerson, case: Case, outcome: str, now: datetime) -> None:
    if outcome not in CLOSING_OUTCOMES:
        raise CaseError(Problem.INVALID, f"outcome must be one of {', '.join(CLOSING_OUTCOMES)}")
    _must_be_active(case)
    if case.assigned_to not in {None, actor.id} and actor.role != Role.COORDINATOR:
        raise CaseError(
            Problem.FORBIDDEN, "only the key person who holds a case, or a coordinator, can close it"
        )
    if case.assigned_to is not None:
        name = _name(session, case.assigned_to)
        _tell_user(session, case, ENDED, now, name=name, button=(AGAIN_BUTTON, PERSON_REQUEST))
    _end(session, case, outcome, now)
    audit(session, actor, "close", case, outcome, now=now)


def reopen(session: Session, actor: KeyPerson, case: Case, now: datetime) -> None:
    if case.status != CaseStatus.CLOSED:
        raise CaseError(Problem.CONFLICT, "this case is not closed")
    if actor.role != Role.COORDINATOR and case.assigned_to not in {None, actor.id}:
        raise CaseError(
            Problem.FORBIDDEN, "only the key person who held this case, or a coordinator, can re-open it"
        )
    user = _user(session, case)
    other = session.exec(
        select(Case.id).where(Case.user_id == user.id, col(Case.status) != CaseStatus.CLOSED)
    ).first()
    if other is not None:
        raise CaseError(Problem.CONFLICT, f"this person already has an open case: {other}")
    case.status = CaseStatus.CLAIMED if case.assigned_to is not None else CaseStatus.OPEN
    if case.assigned_to is None:
        case.notified_at = None  # nobody holds it: key persons are told again
    case.closed_at = case.outcome = None
    case.updated_at = now
    session.add(case)
    if case.assigned_to is not None:
        name = _name(session, case.assigned_to)
        _tell_user(session, case, JOINED, now, name=name, button=(END_BUTTON, leave_data(case)))
    audit(session, actor, "reopen", case, now=now)


def user_left(session: Session, user: User, now: datetime, *, case_id: int | None = None) -> Case | None:
    """The user tapped "End the conversation": their open case closes (only `case_id`, when given), and
    the key person holding it is told on Telegram, if linked: after a crisis they may want to follow up."""
    query = select(Case).where(Case.user_id == user.id, col(Case.status) != CaseStatus.CLOSED)
    if case_id is not None:
        query = query.where(Case.id == case_id)
    case = session.exec(query).first()
    if case is None:
        return None
    _end(session, case, Outcome.USER_LEFT, now)
    audit(session, None, "user_left", case, now=now)
    holder = session.get(KeyPerson, case.assigned_to) if case.assigned_to is not None else None
    if holder is not None and holder.telegram_chat_id is not None:
        notice = f"{pseudonym(case.user_id)} ended the conversation (case {case.id}, {case.severity})."
        enqueue_text(session, chat_id=holder.telegram_chat_id, text=notice)
    return case


def add_note(session: Session, person: KeyPerson, case: Case, text: str, now: datetime) -> CaseNote:
    text = text.strip()
    if not text or len(text) > MAX_REPLY_LENGTH:
        raise CaseError(Problem.INVALID, f"a note needs 1 to {MAX_REPLY_LENGTH} characters")
    assert case.id is not None
    note = CaseNote(case_id=case.id, author_id=person.id, text=text, created_at=now)
    session.add(note)
    audit(session, person, "note", case, now=now)
    return note


def set_interpreter(session: Session, person: KeyPerson, case: Case, needed: bool, now: datetime) -> None:
    case.interpreter_needed, case.updated_at = needed, now
    session.add(case)
    audit(session, person, "interpreter", case, "needed" if needed else "not needed", now=now)


def notes(session: Session, case: Case) -> list[tuple[CaseNote, str]]:
    query = (
        select(CaseNote, KeyPerson.name)
        .join(KeyPerson, col(KeyPerson.id) == col(CaseNote.author_id), isouter=True)
        .where(CaseNote.case_id == case.id)
        .order_by(col(CaseNote.created_at), col(CaseNote.id))
    )
    return [(note, name or "?") for note, name in session.exec(query).all()]


def thread(session: Session, case: Case) -> list[ThreadMessage]:
    """What the user wrote to the bot shortly before the case, then everything since (until it closed)."""
    if case.user_id is None:
        return []
    mine = Message.user_id == case.user_id
    before = (
        select(Message.created_at)
        .where(mine, col(Message.created_at) < case.created_at)
        .order_by(col(Message.created_at).desc())
        .offset(MESSAGES_BEFORE_CASE - 1)
        .limit(1)
        .scalar_subquery()
    )
    query = select(Message, KeyPerson.name).join(
        KeyPerson, col(KeyPerson.id) == col(Message.author_id), isouter=True
    )
    # One bound, not "before IS NULL OR …": PostgreSQL then reads only the window from the index.
    first = select(func.min(Message.created_at)).where(mine).scalar_subquery()
    query = query.where(mine, col(Message.created_at) >= func.coalesce(before, first))
    if case.closed_at is not None:
        query = query.where(col(Message.created_at) <= case.closed_at)
    rows = session.exec(query.order_by(col(Message.created_at), col(Message.id))).all()
    who = pseudonym(case.user_id)
    return [
        ThreadMessage(
            direction=message.direction,
            text=message.text,
            at=message.created_at,
            author=who if message.direction == "in" else (name or "Brug"),
            severity=message.severity,
            categories=tuple(message.categories),
            message_id=message.id,
            voice=message.file_id is not None,
        )
        for message, name in rows
    ]


def checkin_totals(session: Session, case: Case) -> list[tuple[datetime, int]]:
    if case.user_id is None:
        return []
    rows = session.exec(
        select(Checkin).where(Checkin.user_id == case.user_id).order_by(col(Checkin.created_at))
    )
    return [(row.created_at, row.total) for row in rows.all()]


def audit(
    session: Session,
    actor: KeyPerson | None,
    action: str,
    case: Case | None,
    detail: str = "",
    *,
    now: datetime,
) -> None:
    session.add(
        AuditEntry(
            actor_id=actor.id if actor else None,
            action=action,
            case_id=case.id if case else None,
            detail=detail[:200],
            at=now,
        )
    )


def _take(session: Session, person: KeyPerson, case: Case, now: datetime) -> None:
    case.assigned_to, case.status = person.id, CaseStatus.CLAIMED
    case.claimed_at = case.claimed_at or now
    case.updated_at = now
    user = _user(session, case)
    user.contact_person_id = person.id
    session.add_all([case, user])


def _end(session: Session, case: Case, outcome: str, now: datetime) -> None:
    case.status, case.outcome = CaseStatus.CLOSED, outcome
    case.closed_at = case.updated_at = now
    session.add(case)


def _must_be_active(case: Case) -> None:
    if case.status == CaseStatus.CLOSED:
        raise CaseError(Problem.CONFLICT, "this case is closed; re-open it first")
    if case.user_id is None:
        raise CaseError(Problem.CONFLICT, "this person has left Brug; the case can only be read")


def _user(session: Session, case: Case) -> User:
    user = session.get(User, case.user_id) if case.user_id is not None else None
    if user is None:
        raise CaseError(Problem.CONFLICT, "this person has left Brug; the case can only be read")
    return user


def _name(session: Session, key_person_id: int) -> str:
    person = session.get(KeyPerson, key_person_id)
    return person.name if person else "?"


def _tell_user(
    session: Session,
    case: Case,
    text: str,
    now: datetime,
    *,
    button: tuple[str, str] | None = None,
    **names: str,
) -> None:
    user = _user(session, case)
    _ = translations(user.language).gettext
    keyboard: Keyboard | None = [[{"text": _(button[0]), "data": button[1]}]] if button else None
    _stamp(session, enqueue_message(session, user=user, text=_(text).format(**names), keyboard=keyboard), now)


def _stamp(session: Session, item: OutboxItem, now: datetime) -> None:
    """Date the history row of a message to the user at the action's `now`, not the wall clock a moment
    later: the thread of a closed case stops at `closed_at`, and would otherwise lose the closing notice."""
    for row in session.new:
        if isinstance(row, Message) and row.outbox_id == item.id:
            row.created_at = now

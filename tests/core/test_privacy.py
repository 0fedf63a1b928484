"""Retention on both databases: what is older than the period goes, what is just inside it stays; and
forget_user on its own: closed anonymous cases, audit entries without details."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from brug.core.casework import audit
from brug.core.db import session_scope
from brug.core.models import (
    AuditEntry,
    Case,
    CaseNote,
    CaseStatus,
    InboundUpdate,
    InboxStatus,
    Message,
    OutboxItem,
    OutboxStatus,
    Outcome,
    User,
)
from brug.core.privacy import forget_user, purge
from tests.constants import VAULT

NOW = datetime(2027, 6, 1, 12, 0, tzinfo=UTC)
RETENTION = timedelta(days=180)
OLD = NOW - RETENTION - timedelta(minutes=1)
INSIDE = NOW - RETENTION + timedelta(minutes=1)


def seed(session: Session) -> None:
    user = User(telegram_key="k" * 64, chat_id=4242, language="ti", created_at=OLD)
    session.add(user)
    session.flush()
    assert user.id is not None
    for n, at in enumerate([OLD, INSIDE], start=1):
        label = "old" if at == OLD else "inside"
        session.add(
            Message(
                user_id=user.id,
                direction="in",
                kind="text",
                text=f"{label} words",
                severity="concern",
                categories=["sleep"],
                created_at=at,
            )
        )
        for inbox_status in InboxStatus:
            session.add(
                InboundUpdate(
                    update_id=n * 10 + list(InboxStatus).index(inbox_status),
                    payload={"kind": "text", "text": label, "chat_id": 4242},
                    chat_key=VAULT.chat_key(4242),
                    status=inbox_status,
                    received_at=at,
                )
            )
        for status in OutboxStatus:
            session.add(
                OutboxItem(
                    chat_id=4242,
                    chat_key=VAULT.chat_key(4242),
                    method="send_message",
                    payload={"text": label},
                    status=status,
                    created_at=at,
                )
            )
        case = Case(
            user_id=user.id, reason="asked_for_person", language="ti", status=CaseStatus.CLOSED, closed_at=at
        )
        session.add(case)
        session.flush()
        assert case.id is not None
        session.add(CaseNote(case_id=case.id, text=f"{label} note", created_at=at))
    open_case = Case(user_id=user.id, reason="crisis", language="ti", created_at=OLD)
    session.add(open_case)
    session.flush()
    assert open_case.id is not None
    session.add(CaseNote(case_id=open_case.id, text="open case note", created_at=OLD))


def test_purge_removes_what_is_older_than_the_period_and_keeps_the_rest(db: Engine) -> None:
    with session_scope(db) as session:
        seed(session)
    with session_scope(db) as session:
        report = purge(session, NOW, RETENTION)
    assert (report.messages_blanked, report.inbox_deleted, report.outbox_deleted, report.notes_deleted) == (
        1,
        2,
        2,
        1,
    )
    with Session(db) as session:
        messages = session.exec(select(Message).order_by(col(Message.created_at))).all()
        assert [m.text for m in messages] == ["", "inside words"]
        assert [m.categories for m in messages] == [["sleep"], ["sleep"]], "statistics stay"
        inbox = {(r.payload["text"], r.status) for r in session.exec(select(InboundUpdate))}
        assert inbox == {("old", "pending"), *(("inside", status) for status in InboxStatus)}
        outbox = {(r.payload["text"], r.status) for r in session.exec(select(OutboxItem))}
        assert outbox == {("old", "pending"), *(("inside", status) for status in OutboxStatus)}
        notes = sorted(note.text for note in session.exec(select(CaseNote)))
        assert notes == ["inside note", "open case note"], "an open case keeps its notes, however old"
    with session_scope(db) as session:
        again = purge(session, NOW, RETENTION)
    assert (again.messages_blanked, again.inbox_deleted, again.outbox_deleted, again.notes_deleted) == (
        0,
        0,
        0,
        0,
    )


def test_forget_user_closes_cases_and_keeps_them_anonymous(db: Engine) -> None:
    with session_scope(db) as session:
        seed(session)
        case = session.exec(select(Case).where(Case.status == CaseStatus.OPEN)).one()
        audit(session, None, "interpreter", case, "needed for Tigrinya, brother in Kampala", now=OLD)
    with session_scope(db) as session:
        forget_user(session, session.exec(select(User)).one(), NOW)
    with Session(db) as session:
        assert session.exec(select(User)).all() == []
        assert session.exec(select(Message)).all() == []
        assert session.exec(select(CaseNote)).all() == []
        assert session.exec(select(OutboxItem)).all() == []
        inbox = session.exec(select(InboundUpdate)).all()
        assert all(
            row.payload == {"kind": "ignored"} and row.chat_key is row.user_key is None for row in inbox
        )
        assert {row.status for row in inbox} == {InboxStatus.PENDING}, "only rows still to handle, scrubbed"
        cases = session.exec(select(Case)).all()
        assert len(cases) == 3
        assert all(c.user_id is None and c.status == CaseStatus.CLOSED and c.language == "ti" for c in cases)
        reopened = next(c for c in cases if c.reason == "crisis")
        assert reopened.outcome == Outcome.USER_LEFT and reopened.closed_at == NOW
        entries = session.exec(select(AuditEntry)).all()
        assert {(e.action, e.detail) for e in entries} == {("interpreter", ""), ("user_left", "")}

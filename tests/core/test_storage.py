"""Storage on SQLite and PostgreSQL: migrations, the inbox, one transaction per update, the outbox."""

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy import Engine, func, inspect, text
from sqlmodel import Session, select

from brug.bot.handler import _claim, handle, pending_ids
from brug.bot.inbox import next_offset, store_updates
from brug.core.crypto import telegram_user_key
from brug.core.db import session_scope
from brug.core.keypersons import create_key_person
from brug.core.models import (
    Case,
    Conversation,
    InboundUpdate,
    InboxStatus,
    KeyPerson,
    Message,
    OutboxItem,
    Role,
    User,
)
from tests.constants import SECRET_KEY as SECRET
from tests.constants import VAULT

TELEGRAM_ID = 987654321


def text_update(update_id: int, text: str, *, language_code: str = "en") -> tuple[int, dict[str, Any]]:
    kind = "command" if text.startswith("/") else "text"
    value = text[1:] if kind == "command" else text
    return update_id, {
        "kind": kind, "value": value, "text": text, "chat_id": TELEGRAM_ID, "chat_type": "private",
        "user_key": telegram_user_key(SECRET, TELEGRAM_ID), "language_code": language_code,
    }  # fmt: skip


def test_migrations_create_every_table(db: Engine) -> None:
    tables = set(inspect(db).get_table_names())
    assert {
        "users",
        "conversations",
        "inbox",
        "messages",
        "outbox",
        "key_persons",
        "alembic_version",
    } <= tables


def test_an_update_is_stored_once_whatever_telegram_repeats(db: Engine) -> None:
    assert store_updates(db, [text_update(10, "/start"), text_update(11, "hello")]) == 2
    assert store_updates(db, [text_update(11, "hello"), text_update(12, "again")]) == 1
    with session_scope(db) as session:
        assert session.exec(select(func.count()).select_from(InboundUpdate)).one() == 3
    assert next_offset(db) == 13


def test_next_offset_is_none_on_an_empty_inbox(db: Engine) -> None:
    assert next_offset(db) is None


def test_one_update_is_one_transaction_with_state_messages_and_outbox(db: Engine) -> None:
    store_updates(db, [text_update(1, "/start", language_code="fa")])
    (inbox_id,) = pending_ids(db)
    assert handle(db, inbox_id) is True
    assert handle(db, inbox_id) is False, "a handled update is never handled again"
    with Session(db) as session:
        user = session.exec(select(User)).one()
        assert user.language == "fa_AF" and not user.language_chosen
        assert session.get(Conversation, user.id).node == "choose_language"  # type: ignore[union-attr]
        directions = [m.direction for m in session.exec(select(Message).order_by(Message.id))]  # type: ignore[arg-type]
        assert directions == ["out"], "nothing the person wrote is kept before they chose a language"
        (item,) = session.exec(select(OutboxItem)).all()
        assert item.method == "send_message" and item.status == "pending" and item.chat_id == TELEGRAM_ID
        assert len(item.payload["keyboard"]) == 5
        assert session.get(InboundUpdate, inbox_id).status == InboxStatus.DONE  # type: ignore[union-attr]


def test_before_the_language_choice_only_a_message_with_a_signal_is_kept(db: Engine) -> None:
    store_updates(db, [
        text_update(1, "/start"), text_update(2, "my brother is in Kampala"), text_update(3, "I want to die"),
    ])  # fmt: skip
    for inbox_id in pending_ids(db):
        handle(db, inbox_id)
    with Session(db) as session:
        kept = [(m.text, m.severity) for m in session.exec(select(Message).where(Message.direction == "in"))]
    assert kept == [("I want to die", "urgent")], "a key person answering a crisis must read it"


def test_users_are_pseudonymous(db: Engine) -> None:
    store_updates(db, [text_update(1, "/start")])
    handle(db, pending_ids(db)[0])
    with Session(db) as session:
        user = session.exec(select(User)).one()
    assert user.telegram_key == telegram_user_key(SECRET, TELEGRAM_ID)
    assert str(TELEGRAM_ID) not in user.telegram_key
    assert telegram_user_key("another key", TELEGRAM_ID) != user.telegram_key


def test_a_failing_update_is_retried_then_answered_with_an_apology(db: Engine) -> None:
    update_id, payload = text_update(5, "/start")
    payload["kind"] = "no-such-kind"
    store_updates(db, [(update_id, payload)])
    (inbox_id,) = pending_ids(db)
    assert [handle(db, inbox_id) for _ in range(3)] == [False, False, True]
    assert pending_ids(db) == []
    with Session(db) as session:
        row = session.get(InboundUpdate, inbox_id)
        assert row is not None and row.status == InboxStatus.FAILED and row.attempts == 3
        (apology,) = session.exec(select(OutboxItem)).all()
        assert apology.payload["text"].startswith("Sorry, something went wrong")
        assert session.exec(select(func.count()).select_from(User)).one() == 0, (
            "the failed transaction left nothing"
        )


def test_key_person_passwords_are_argon2_hashes(db: Engine) -> None:
    with session_scope(db) as session:
        create_key_person(
            session, username="selam", name="Selam", languages=["ti", "en"], role=Role.COORDINATOR,
            password="a long enough password",
        )  # fmt: skip
    with Session(db) as session:
        person = session.exec(select(KeyPerson)).one()
    assert person.languages == ["ti", "en"] and person.role == "coordinator"
    assert person.password_hash is not None and person.password_hash.startswith("$argon2")
    assert PasswordHasher().verify(person.password_hash, "a long enough password")


def test_timestamps_come_back_in_utc(db: Engine) -> None:
    store_updates(db, [text_update(1, "hi")])
    with Session(db) as session:
        row = session.exec(select(InboundUpdate)).one()
    assert row.received_at.utcoffset() is not None and row.received_at.utcoffset().total_seconds() == 0  # type: ignore[union-attr]


def test_no_clear_identity_is_stored(db: Engine) -> None:
    """The inbox keeps the reduced update, encrypted: no name or username, and the Telegram user id only as
    a key."""
    store_updates(db, [text_update(1, "/start")])
    with db.connect() as connection:
        raw = connection.execute(text("SELECT payload FROM inbox")).scalar_one()
    assert "/start" not in raw and "user_key" not in raw, "the payload is encrypted at rest"
    stored = json.loads(VAULT.decrypt(raw))
    assert "user_key" in stored and "first_name" not in stored and "username" not in stored


def test_a_chat_with_a_crisis_waiting_is_handled_first_in_its_own_order(db: Engine) -> None:
    def message(update_id: int, chat_id: int, text: str) -> tuple[int, dict[str, Any]]:
        update = text_update(update_id, text)
        update[1]["chat_id"] = chat_id
        return update

    store_updates(db, [
        message(1, 1, "/start"), message(2, 1, "/help"), message(3, 2, "/start"),
        message(4, 2, "I want to kill myself"), message(5, 1, "thanks"),
    ])  # fmt: skip
    with session_scope(db) as session:
        order = {row.id: row.update_id for row in session.exec(select(InboundUpdate))}
    assert [order[inbox_id] for inbox_id in pending_ids(db, limit=2)] == [3, 4, 1, 2]


def test_the_third_concern_within_a_week_opens_one_case(db: Engine) -> None:
    start = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
    concern = "I can't sleep at night and my head hurts all the time"
    times = [start, start + timedelta(days=8), start + timedelta(days=9), start + timedelta(days=10)]
    store_updates(db, [text_update(n, concern) for n in range(1, 5)])
    opened = []
    for inbox_id, now in zip(pending_ids(db), times, strict=True):
        handle(db, inbox_id, now)
        with Session(db) as session:
            opened.append(len(session.exec(select(Case)).all()))
    assert opened == [0, 0, 0, 1], "the first concern is more than a week older than the third"
    with Session(db) as session:
        (case,) = session.exec(select(Case)).all()
        signals = [
            (m.severity, m.categories) for m in session.exec(select(Message).where(Message.direction == "in"))
        ]
    assert (case.severity, case.reason, case.status) == ("normal", "concern_signals", "open")
    assert signals == [("concern", ["health"])] * 4


def test_a_worker_takes_a_chat_s_update_only_in_its_turn(db: Engine) -> None:
    """Two workers: while one handles a chat's first update, the other takes neither it nor the next."""
    store_updates(db, [text_update(1, "/start"), text_update(2, "/help")])
    first, second = pending_ids(db)
    with session_scope(db) as worker:
        assert _claim(worker, first) is not None
        if db.dialect.name == "postgresql":  # SQLite is one process: its writers queue instead
            assert handle(db, first) is False, "held by the other worker"
            assert handle(db, second) is False, "the chat's earlier update is still being handled"
    assert handle(db, second) is False, "the earlier one is still pending"
    assert handle(db, first) is True
    assert handle(db, second) is True

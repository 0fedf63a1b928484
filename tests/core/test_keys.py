"""Encryption at rest and key rotation: old rows stay readable after a new key is added, and after
`rotate_keys` only the new key is needed."""

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import URL
from sqlmodel import select

from brug.core.crypto import InvalidToken, Vault, new_data_key
from brug.core.db import create_db_engine, session_scope
from brug.core.keys import encrypted_columns, rotate_keys, unreadable_columns
from brug.core.models import Conversation, InboundUpdate, KeyPerson, Message, OutboxItem, User
from brug.core.outbox import enqueue_message, enqueue_text
from brug.core.settings import DEV_DATA_KEY
from tests.constants import SECRET_KEY, VAULT

CHAT_ID = 5_550_123_987
TEXT = "Mijn dochter Rahwa is nog in Khartoum"


def seed(engine: Engine) -> None:
    with session_scope(engine) as session:
        user = User(telegram_key="k" * 64, chat_id=CHAT_ID, language="nl")
        session.add(user)
        session.flush()
        assert user.id is not None
        session.add(Conversation(user_id=user.id, node="main.menu", data={"permit_date": "2026-10-01"}))
        session.add(Message(user_id=user.id, direction="in", kind="text", text=TEXT))
        enqueue_message(session, user=user, text=f"reply to {TEXT}")
        enqueue_text(session, chat_id=CHAT_ID + 1, text="to a key person")
        session.add(InboundUpdate(update_id=1, payload={"text": TEXT}, chat_key=VAULT.chat_key(CHAT_ID)))
        session.add(KeyPerson(username="amal", name="Amal", telegram_chat_id=CHAT_ID + 1))


def read_all(engine: Engine) -> list[object]:
    with session_scope(engine) as session:
        user = session.exec(select(User)).one()
        conversation = session.exec(select(Conversation)).one()
        return [
            user.chat_id,
            conversation.data,
            sorted(m.text for m in session.exec(select(Message))),
            sorted(item.payload["text"] for item in session.exec(select(OutboxItem))),
            session.exec(select(InboundUpdate)).one().payload,
            session.exec(select(KeyPerson)).one().telegram_chat_id,
        ]


EXPECTED = [
    CHAT_ID,
    {"permit_date": "2026-10-01"},
    [TEXT, f"reply to {TEXT}"],
    [f"reply to {TEXT}", "to a key person"],
    {"text": TEXT},
    CHAT_ID + 1,
]


def test_values_are_stored_encrypted_and_read_back(db: Engine) -> None:
    seed(db)
    assert read_all(db) == EXPECTED
    with db.connect() as connection:
        stored = [
            str(value)
            for table, column in encrypted_columns()
            for value in connection.execute(text(f"SELECT {column.name} FROM {table.name}")).scalars()  # noqa: S608
            if value is not None  # a column with nothing in it, such as a text message's voice file_id
        ]
    assert stored, "the test would prove nothing"
    assert all(value.startswith("gAAAAA") for value in stored), "every value is a Fernet token"
    assert not any(str(CHAT_ID) in value or "Rahwa" in value or "permit" in value for value in stored)


def test_old_rows_stay_readable_after_rotating_and_then_need_only_the_new_key(
    db: Engine, database_url: URL
) -> None:
    seed(db)
    new_key = new_data_key()
    engines = {
        "both": create_db_engine(database_url, Vault(SECRET_KEY, [new_key, DEV_DATA_KEY])),
        "new": create_db_engine(database_url, Vault(SECRET_KEY, [new_key])),
    }
    try:
        assert read_all(engines["both"]) == EXPECTED, "a new first key still reads what the old key wrote"
        assert unreadable_columns(engines["new"]), "before rotating, the new key alone cannot read old rows"
        rotated = rotate_keys(engines["both"])
        # user chat id, conversation, inbox payload, key person's chat id, 2 messages, 2 outbox rows × 2
        assert rotated == 10
        assert read_all(engines["new"]) == EXPECTED
        assert unreadable_columns(engines["new"]) == []
        with pytest.raises(InvalidToken):
            read_all(db)
        assert rotate_keys(engines["both"]) == rotated, "rotating again is harmless"
    finally:
        for engine in engines.values():
            engine.dispose()


def test_the_chat_key_groups_a_chat_without_its_id(db: Engine) -> None:
    seed(db)
    with session_scope(db) as session:
        keys = {item.chat_key for item in session.exec(select(OutboxItem))}
    assert keys == {VAULT.chat_key(CHAT_ID), VAULT.chat_key(CHAT_ID + 1)}
    assert not any(str(CHAT_ID) in key for key in keys)
    assert Vault("another secret", [DEV_DATA_KEY]).chat_key(CHAT_ID) != VAULT.chat_key(CHAT_ID)

"""Migrations keep existing data: each revision upgrades a database that already has rows."""

import json

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import URL
from sqlmodel import Session, SQLModel, select

from brug.core.db import alembic_config, create_db_engine, migrate
from brug.core.keys import encrypted_columns
from brug.core.models import Conversation, InboundUpdate, Message, OutboxItem, User
from tests.constants import VAULT

FIRST = "dca051493f2e"
BEFORE_ENCRYPTION = "e5a1c0b4f7d2"


def test_upgrading_keeps_old_messages_and_gives_them_no_signals(empty_database_url: URL) -> None:
    migrate(empty_database_url, VAULT, FIRST)
    engine = create_db_engine(empty_database_url, VAULT)
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO users (telegram_key, chat_id, language, language_chosen, created_at, updated_at) "
            "VALUES ('k', 1, 'ar', true, '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
        ))  # fmt: skip
        connection.execute(text(
            "INSERT INTO messages (user_id, direction, kind, text, created_at) "
            "VALUES (1, 'in', 'text', 'مرحبا', '2026-01-01 00:00:00')"
        ))  # fmt: skip
    migrate(empty_database_url, VAULT)
    with Session(engine) as session:
        message = session.exec(select(Message)).one()
    engine.dispose()
    assert (message.text, message.categories, message.severity) == ("مرحبا", [], None)


def test_upgrading_encrypts_what_was_stored_in_clear(empty_database_url: URL) -> None:
    migrate(empty_database_url, VAULT, BEFORE_ENCRYPTION)
    engine = create_db_engine(empty_database_url, VAULT)
    chat_id, words = 612_345_678, "Mijn man Yonas wacht in Kampala"
    inbox_payload = {"kind": "text", "text": words, "chat_id": chat_id, "user_key": "u" * 64}
    forgotten = {"text": "Everything about you is deleted.", "transient": "forget"}
    with engine.begin() as connection:
        now = "2026-01-01 00:00:00"
        connection.execute(
            text(
                "INSERT INTO users (telegram_key, chat_id, language, language_chosen, created_at, "
                "updated_at) VALUES ('k', :chat, 'nl', true, :now, :now)"
            ),
            {"chat": chat_id, "now": now},
        )
        connection.execute(
            text("INSERT INTO conversations (user_id, node, data, updated_at) VALUES (1, 'menu', :d, :now)"),
            {"d": json.dumps({"permit_date": "2026-10-01"}), "now": now},
        )
        connection.execute(
            text(
                "INSERT INTO messages (user_id, direction, kind, text, categories, created_at) "
                "VALUES (1, 'in', 'text', :words, '[]', :now)"
            ),
            {"words": words, "now": now},
        )
        connection.execute(
            text(
                "INSERT INTO inbox (update_id, payload, chat_id, urgent, status, attempts, received_at) "
                "VALUES (7, :p, :chat, false, 'done', 0, :now)"
            ),
            {"p": json.dumps(inbox_payload), "chat": chat_id, "now": now},
        )
        for payload in [{"text": f"reply to {words}"}, forgotten]:
            connection.execute(
                text(
                    "INSERT INTO outbox (chat_id, method, payload, urgent, status, attempts, "
                    "next_attempt_at, created_at) "
                    "VALUES (:chat, 'send_message', :p, false, 'pending', 0, :now, :now)"
                ),
                {"chat": chat_id, "p": json.dumps(payload), "now": now},
            )
    migrate(empty_database_url, VAULT)
    with engine.connect() as connection:
        stored = " ".join(
            str(value)
            for table, column in encrypted_columns()
            for value in connection.execute(text(f"SELECT {column.name} FROM {table.name}")).scalars()  # noqa: S608
        )
    with Session(engine) as session:
        user = session.exec(select(User)).one()
        conversation = session.exec(select(Conversation)).one()
        message = session.exec(select(Message)).one()
        inbox = session.exec(select(InboundUpdate)).one()
        outbox = session.exec(select(OutboxItem).order_by(OutboxItem.id)).all()  # type: ignore[arg-type]
    engine.dispose()
    assert str(chat_id) not in stored and "Yonas" not in stored and "permit" not in stored
    assert (user.chat_id, conversation.data, message.text) == (chat_id, {"permit_date": "2026-10-01"}, words)
    assert (inbox.payload, inbox.chat_key, inbox.user_key) == (
        inbox_payload,
        VAULT.chat_key(chat_id),
        "u" * 64,
    )
    assert [(item.chat_id, item.chat_key, item.transient) for item in outbox] == [
        (chat_id, VAULT.chat_key(chat_id), False),
        (chat_id, VAULT.chat_key(chat_id), True),
    ]
    assert [item.payload for item in outbox] == [{"text": f"reply to {words}"}, {"text": forgotten["text"]}]


def test_the_migrations_build_what_the_models_describe(db: Engine) -> None:
    """A model change without its migration (or a migration the models do not know) shows up here."""
    with db.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []


def test_the_back_office_indexes_go_down_and_up_again(empty_database_url: URL) -> None:
    migrate(empty_database_url, VAULT)
    engine = create_db_engine(empty_database_url, VAULT)
    try:
        assert {"ix_messages_user_created", "ix_messages_signals"} <= _message_indexes(engine)
        command.downgrade(alembic_config(empty_database_url, VAULT), "-1")
        assert "ix_messages_user_id" in _message_indexes(engine)
        assert not {"ix_messages_user_created", "ix_messages_signals"} & _message_indexes(engine)
        migrate(empty_database_url, VAULT)
        assert "ix_messages_user_id" not in _message_indexes(engine)
    finally:
        engine.dispose()


def _message_indexes(engine: Engine) -> set[str]:
    return {str(index["name"]) for index in inspect(engine).get_indexes("messages")}

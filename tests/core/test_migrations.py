"""Migrations keep existing data: each revision upgrades a database that already has rows."""

from alembic import command
from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import URL
from sqlmodel import Session, select

from brug.core.db import alembic_config, create_db_engine, migrate
from brug.core.models import Message

FIRST = "dca051493f2e"


def test_upgrading_keeps_old_messages_and_gives_them_no_signals(empty_database_url: URL) -> None:
    migrate(empty_database_url, FIRST)
    engine = create_db_engine(empty_database_url)
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO users (telegram_key, chat_id, language, language_chosen, created_at, updated_at) "
            "VALUES ('k', 1, 'ar', true, '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
        ))  # fmt: skip
        connection.execute(text(
            "INSERT INTO messages (user_id, direction, kind, text, created_at) "
            "VALUES (1, 'in', 'text', 'مرحبا', '2026-01-01 00:00:00')"
        ))  # fmt: skip
    migrate(empty_database_url)
    with Session(engine) as session:
        message = session.exec(select(Message)).one()
    engine.dispose()
    assert (message.text, message.categories, message.severity) == ("مرحبا", [], None)


def test_the_back_office_indexes_go_down_and_up_again(empty_database_url: URL) -> None:
    migrate(empty_database_url)
    engine = create_db_engine(empty_database_url)
    try:
        assert {"ix_messages_user_created", "ix_messages_signals"} <= _message_indexes(engine)
        command.downgrade(alembic_config(empty_database_url), "e5a1c0b4f7d2")
        assert "ix_messages_user_id" in _message_indexes(engine)
        assert not {"ix_messages_user_created", "ix_messages_signals"} & _message_indexes(engine)
        migrate(empty_database_url)
        assert "ix_messages_user_id" not in _message_indexes(engine)
    finally:
        engine.dispose()


def _message_indexes(engine: Engine) -> set[str]:
    return {str(index["name"]) for index in inspect(engine).get_indexes("messages")}

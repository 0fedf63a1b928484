"""Migrations keep existing data: each revision upgrades a database that already has rows."""

from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlmodel import Session, select

from brug.core.db import create_db_engine, migrate
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

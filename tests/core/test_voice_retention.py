"""A voice note's file_id is personal data like a text: retention removes it with the text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from brug.core.db import session_scope
from brug.core.models import Message, User
from brug.core.privacy import purge

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
RETENTION = timedelta(days=180)


def test_retention_removes_an_old_voice_notes_file_id_and_keeps_a_new_one(db: Engine) -> None:
    with session_scope(db) as session:
        user = User(telegram_key="k", chat_id=42, language="ar", created_at=NOW - timedelta(days=400))
        session.add(user)
        session.flush()
        assert user.id is not None
        for age, file_id in ((200, "old-voice"), (10, "new-voice")):
            session.add(
                Message(
                    user_id=user.id, direction="in", kind="voice", text="[voice]", file_id=file_id,
                    duration=5, created_at=NOW - timedelta(days=age),
                )
            )  # fmt: skip
    with session_scope(db) as session:
        purge(session, NOW, RETENTION)
    with Session(db) as session:
        rows = session.exec(select(Message).order_by(col(Message.created_at))).all()
    assert [(m.text, m.file_id, m.duration) for m in rows] == [("", None, 5), ("[voice]", "new-voice", 5)]

"""Which outbox rows the sender takes next: crisis answers first, per-chat order always, nobody starved."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from brug.bot.sender import due_jobs
from brug.core.db import session_scope
from brug.core.outbox import Method, enqueue

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def add(db: Engine, chat_id: int, text: str, *, urgent: bool = False, due: datetime = NOW) -> None:
    with session_scope(db) as session:
        item = enqueue(
            session,
            chat_id=chat_id,
            method=Method.SEND_MESSAGE,
            payload={"text": text},
            user=None,
            urgent=urgent,
        )
        item.next_attempt_at = due


def planned(db: Engine) -> list[list[str]]:
    return [[job.payload["text"] for job in jobs] for jobs in due_jobs(db, NOW)]


def test_chats_with_a_crisis_answer_go_first_with_their_earlier_rows(db: Engine) -> None:
    add(db, 1, "a1")
    add(db, 2, "b1")
    add(db, 1, "a2")
    add(db, 2, "b2 crisis", urgent=True)
    assert planned(db) == [["b1", "b2 crisis"]]


def test_without_crisis_answers_the_oldest_rows_go_per_chat(db: Engine) -> None:
    for text, chat in [("a1", 1), ("b1", 2), ("a2", 1)]:
        add(db, chat, text)
    assert planned(db) == [["a1", "a2"], ["b1"]]


def test_a_chat_waiting_for_a_retry_holds_back_only_itself(db: Engine) -> None:
    later = NOW + timedelta(minutes=5)
    add(db, 1, "a1 retry", due=later)
    add(db, 1, "a2 crisis", urgent=True)
    add(db, 2, "b1")
    assert planned(db) == [["b1"]], "an urgent chat in backoff must not starve the others"

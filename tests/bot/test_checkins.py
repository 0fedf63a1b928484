"""Check-in schedules in the database: they fire when due, once, also with two workers at the same time."""

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from brug.bot.checkins import Fired, fire_all_due, fire_due, pending_rows
from brug.bot.handler import handle, pending_ids
from brug.bot.inbox import store_updates
from brug.bot.sender import BATCH, due_jobs
from brug.core.crypto import telegram_user_key
from brug.core.models import CheckinSchedule, OutboxItem, OutboxStatus
from tests.constants import SECRET_KEY

NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
QUESTION = "Time for a short check-in.\n\nHow are you this week?"


def tap(update_id: int, chat_id: int, data: str) -> tuple[int, dict[str, Any]]:
    return update_id, {
        "kind": "button", "value": data, "chat_id": chat_id, "chat_type": "private",
        "user_key": telegram_user_key(SECRET_KEY, chat_id), "language_code": "en", "callback_query_id": "q",
    }  # fmt: skip


def handle_all(db: Engine, now: datetime) -> None:
    for inbox_id in pending_ids(db):
        handle(db, inbox_id, now)


def questions_sent(db: Engine) -> int:
    with Session(db) as session:
        texts = [item.payload.get("text") for item in session.exec(select(OutboxItem))]
    return texts.count(QUESTION)


def test_a_weekly_check_in_fires_when_due_and_only_once(db: Engine) -> None:
    store_updates(db, [tap(1, 100, "ck:every:7")])
    handle_all(db, NOW)
    assert fire_due(db, NOW + timedelta(days=6, hours=23)) == 0
    assert fire_due(db, NOW + timedelta(days=7)) == 1
    assert fire_due(db, NOW + timedelta(days=7, minutes=1)) == 0
    assert questions_sent(db) == 1
    with Session(db) as session:
        schedule = session.exec(select(CheckinSchedule)).one()
    assert schedule.next_due_at == NOW + timedelta(days=14)


def test_stopped_check_ins_do_not_fire(db: Engine) -> None:
    store_updates(db, [tap(1, 100, "ck:every:1"), tap(2, 100, "ck:stop")])
    handle_all(db, NOW)
    assert fire_due(db, NOW + timedelta(days=30)) == 0


def test_two_workers_never_send_the_same_check_in(db: Engine) -> None:
    users = 40
    store_updates(db, [tap(n, 1000 + n, "ck:every:1") for n in range(1, users + 1)])
    handle_all(db, NOW)
    due = NOW + timedelta(days=1)
    with ThreadPoolExecutor(max_workers=2) as pool:
        fired = list(pool.map(lambda _: fire_due(db, due, limit=users), range(4)))
    assert sum(fired) == users
    assert questions_sent(db) == users
    with Session(db) as session:
        early = session.exec(
            select(func.count()).select_from(CheckinSchedule).where(col(CheckinSchedule.next_due_at) <= due)
        ).one()
    assert early == 0


def mark_all_sent(db: Engine) -> None:
    with Session(db) as session:
        for item in session.exec(select(OutboxItem).where(OutboxItem.status == OutboxStatus.PENDING)):
            item.status = OutboxStatus.SENT
            session.add(item)
        session.commit()


def test_a_broadcast_is_queued_in_batches_when_the_outbox_has_room(db: Engine) -> None:
    users = 25
    store_updates(db, [tap(n, 2000 + n, "ck:every:7") for n in range(1, users + 1)])
    handle_all(db, NOW)
    mark_all_sent(db)
    fired = fire_all_due(db, NOW + timedelta(days=7), batch=10, room=100)
    assert fired == Fired(users, waiting=False), "three batches, not one"
    assert questions_sent(db) == users
    assert fire_all_due(db, NOW + timedelta(days=7), batch=10) == Fired(0, waiting=False)


def test_a_broadcast_runs_only_as_far_ahead_of_the_sender_as_the_outbox_room(db: Engine) -> None:
    users, room = 25, 8
    store_updates(db, [tap(n, 3000 + n, "ck:every:7") for n in range(1, users + 1)])
    handle_all(db, NOW)
    mark_all_sent(db)
    due = NOW + timedelta(days=7)
    first = fire_all_due(db, due, batch=5, room=room)
    assert first.waiting
    assert pending_rows(db) == room
    assert fire_all_due(db, due, batch=5, room=room) == Fired(0, waiting=True), "no room until rows are sent"
    total = first.count
    for _ in range(users):
        mark_all_sent(db)
        fired = fire_all_due(db, due, batch=5, room=room)
        total += fired.count
        if not fired.waiting:
            break
    assert total == users
    assert questions_sent(db) == users


def test_someone_who_writes_during_a_broadcast_is_answered_in_the_next_send_batch(db: Engine) -> None:
    users = 3 * BATCH
    store_updates(db, [tap(n, 4000 + n, "ck:every:7") for n in range(1, users + 1)])
    handle_all(db, NOW)
    mark_all_sent(db)
    due = NOW + timedelta(days=7)
    assert fire_all_due(db, due, room=BATCH // 2).waiting
    writer = 4000 + users + 1
    store_updates(db, [tap(users + 1, writer, "ck:every:7")])
    handle_all(db, due)
    next_batch = {job.chat_id for jobs in due_jobs(db, due) for job in jobs}
    assert writer in next_batch, "the answer waits behind half a batch of check-ins, not the whole broadcast"

"""/forget: the engine asks first; "yes" deletes everything about the person, through the whole stack, on both
databases, and leaves only an anonymous closed case; "no" deletes nothing."""

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine
from sqlmodel import SQLModel, select

from brug.bot.dialog import ButtonAnswer, Context, Forget, Input, InputKind, Reply, State
from brug.bot.engine import step
from brug.bot.runtime import BotRuntime
from brug.core.crypto import telegram_user_key
from brug.core.db import session_scope
from brug.core.i18n import translations
from brug.core.models import (
    Case,
    CaseNote,
    CaseStatus,
    Checkin,
    CheckinSchedule,
    Message,
    OutboxItem,
    Outcome,
    User,
    utcnow,
)
from brug.core.outbox import Method, enqueue
from brug.core.settings import Settings
from tests.bot.conftest import started
from tests.bot.conversation import (
    buttons,
    choose_language,
    wait_for_language_keyboard,
    wait_for_message,
    wait_for_text,
)
from tests.constants import SECRET_KEY
from tests.fake_bot_api import FakeBotAPI

WARNING = (
    "This deletes everything we have about you: your messages, your answers and your settings. "
    "Our team can then no longer see your conversation. This cannot be undone."
)
DONE = "Everything about you is deleted. If you write again, we start fresh."
CHAT = 918273645
SECRET = "Mijn broer Tesfay zit nog in Kampala"
NOTE = "Brother in Kampala, call back on Friday"
PENDING = "A queued reply that must never be sent"
FORGET = Input(InputKind.COMMAND, "forget")


def test_forget_warns_and_asks_before_deleting() -> None:
    (reply,) = step(State("en", True, "idle"), FORGET, translations).outputs
    assert isinstance(reply, Reply)
    assert reply.text == WARNING
    assert [(b.label, b.data) for row in reply.buttons for b in row] == [
        ("Yes, delete everything", "forget:yes"),
        ("No, keep it", "forget:no"),
    ]
    nl = translations("nl").gettext
    (dutch,) = step(State("nl", True, "idle"), FORGET, translations).outputs
    assert isinstance(dutch, Reply) and dutch.text == nl(WARNING) != WARNING


def test_yes_forgets_first_then_confirms() -> None:
    result = step(State("ar", True, "idle"), Input(InputKind.BUTTON, "forget:yes"), translations)
    forget, answer, reply = result.outputs
    assert isinstance(forget, Forget) and isinstance(answer, ButtonAnswer) and isinstance(reply, Reply)
    assert reply.text == translations("ar").gettext(DONE) != DONE


def test_no_deletes_nothing_also_during_a_case() -> None:
    for context in [Context(), Context(case="joined", case_id=7)]:
        result = step(State("en", True, "idle"), Input(InputKind.BUTTON, "forget:no"), translations, context)
        assert not any(isinstance(output, Forget) for output in result.outputs)
        assert isinstance(result.outputs[0], ButtonAnswer)
        assert [o.text for o in result.outputs if isinstance(o, Reply)] == ["Nothing was deleted."]


def dump(engine: Engine) -> str:
    """Every row of every table, as text, decrypted (the columns' types decrypt as they are read)."""
    with engine.connect() as connection:
        return "\n".join(
            repr(tuple(row))
            for table in SQLModel.metadata.sorted_tables
            for row in connection.execute(table.select())
        )


def in_db(engine: Engine, work: Any) -> Any:
    with session_scope(engine) as session:
        return work(session)


def add_history(engine: Engine) -> int:
    """A check-in, a schedule, a note on the open case and calls still waiting for the chat."""

    def work(session: Any) -> int:
        user = session.exec(select(User)).one()
        case = session.exec(select(Case).where(Case.user_id == user.id)).one()
        now = utcnow()
        session.add(Checkin(user_id=user.id, mood=2, sleep=1, calm=2, coping=3, created_at=now))
        session.add(CheckinSchedule(user_id=user.id, every_days=7, next_due_at=now + timedelta(days=7)))
        session.add(CaseNote(case_id=case.id, text=NOTE, created_at=now))
        for text in [PENDING, f"{PENDING} (2)"]:
            item = enqueue(
                session, chat_id=user.chat_id, method=Method.SEND_MESSAGE, payload={"text": text}, user=user
            )
            # Not due for an hour: still waiting when the person says yes.
            item.next_attempt_at = now + timedelta(hours=1)
        assert case.id is not None
        return int(case.id)

    return int(in_db(engine, work))


async def test_forget_leaves_nothing_about_the_person(
    fast_runtime: BotRuntime, fake_telegram: FakeBotAPI
) -> None:
    engine = fast_runtime.engine
    user_key = telegram_user_key(SECRET_KEY, CHAT)
    await choose_language(fake_telegram, CHAT, "en")
    fake_telegram.push_text(CHAT, "/person")
    await fake_telegram.await_for(
        lambda: in_db(engine, lambda s: s.exec(select(Case)).first()), what="the open case"
    )
    fake_telegram.push_text(CHAT, SECRET)
    await fake_telegram.await_for(
        lambda: in_db(engine, lambda s: SECRET in [m.text for m in s.exec(select(Message))] or None),
        what="the message stored",
    )
    fake_telegram.push_text(CHAT, "/forget")
    warning = await wait_for_message(fake_telegram, CHAT, WARNING)
    assert buttons(warning) == [("Yes, delete everything", "forget:yes"), ("No, keep it", "forget:no")]
    case_id = await asyncio.to_thread(add_history, engine)
    before = await asyncio.to_thread(dump, engine)
    for needle in [str(CHAT), user_key, SECRET, NOTE, PENDING]:
        assert needle in before, f"the test would prove nothing: {needle!r} was never stored"

    fake_telegram.push_callback(CHAT, "forget:yes", message_id=warning["message_id"])
    await wait_for_text(fake_telegram, CHAT, DONE)

    def forgotten() -> str | None:
        rows = dump(engine)
        return None if any(n in rows for n in [str(CHAT), user_key, SECRET, NOTE]) else rows

    await fake_telegram.await_for(forgotten, what="no trace of the person")
    with session_scope(engine) as session:
        assert session.exec(select(User)).all() == []
        assert session.exec(select(OutboxItem)).all() == [], "the confirmation is not kept once sent"
        case = session.get(Case, case_id)
        assert case is not None and case.user_id is None
        assert case.status == CaseStatus.CLOSED and case.outcome == Outcome.USER_LEFT
        assert case.language == "en" and case.reason == "asked_for_person"
    texts = [m.get("text") for m in fake_telegram.sent_messages(CHAT)]
    assert PENDING not in " ".join(str(t) for t in texts), "pending replies were deleted, not sent"
    assert fake_telegram.calls("answerCallbackQuery"), "the button's spinner stops"

    # Writing again starts fresh: a new person, nothing from before.
    seen = len(fake_telegram.sent_messages(CHAT))
    fake_telegram.push_text(CHAT, "/start")
    await wait_for_language_keyboard(fake_telegram, CHAT, after=seen)
    await fake_telegram.await_for(
        lambda: in_db(engine, lambda s: s.exec(select(User)).first()), what="a new user"
    )
    with session_scope(engine) as session:
        user = session.exec(select(User)).one()
        assert not user.language_chosen
        assert session.exec(select(Case).where(Case.user_id == user.id)).all() == []


async def test_the_running_bot_purges_old_texts_on_its_timer(bot_settings: Settings) -> None:
    async with started(bot_settings, purge_interval=0.1) as runtime:

        def seed(session: Any) -> None:
            user = User(telegram_key="k", chat_id=1, language="en")
            session.add(user)
            session.flush()
            assert user.id is not None
            old = utcnow() - timedelta(days=bot_settings.brug_retention_days, minutes=1)
            session.add(Message(user_id=user.id, direction="in", kind="text", text=SECRET, created_at=old))

        await asyncio.to_thread(in_db, runtime.engine, seed)
        for _ in range(100):
            texts = await asyncio.to_thread(
                in_db, runtime.engine, lambda s: [m.text for m in s.exec(select(Message))]
            )
            if texts == [""]:
                break
            await asyncio.sleep(0.05)
        assert texts == [""], "the text was blanked; the row stays for statistics"

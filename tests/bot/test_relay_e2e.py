"""The key-person relay through the whole stack: a user asks for a person, a key person claims the case in
the back office, the user's text goes to them (and the bot keeps quiet), their replies come back, and the
user ends the conversation. Also: key persons link their Telegram with a code, invite users with a link,
and are told about new cases there."""

import asyncio
import json
import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from brug.bot import case_dialog, support
from brug.bot.handler import handle, pending_ids
from brug.bot.inbox import store_updates
from brug.bot.runtime import BotRuntime
from brug.core import casework
from brug.core.crypto import telegram_user_key
from brug.core.db import session_scope
from brug.core.i18n import translations
from brug.core.keypersons import create_key_person
from brug.core.models import Case, InboundUpdate, KeyPerson, Message, OutboxItem, Role, User, utcnow
from brug.core.pseudonyms import pseudonym
from brug.core.staff import new_invite, new_link_code
from tests.bot.conversation import (
    buttons,
    choose_language,
    engine_replies,
    wait_for_language_keyboard,
    wait_for_message,
    wait_for_text,
)
from tests.constants import SECRET_KEY
from tests.fake_bot_api import FakeBotAPI

T = TypeVar("T")

GREETING = {"en": "Hello", "ar": "مرحبا"}
NEWS = {"en": "The letter from the IND came today", "ar": "وصلت اليوم رسالة من دائرة الهجرة"}
CRISIS = {"en": "i don't want to live anymore", "ar": "ما بدي عيش بعد اليوم"}
ANSWER = "Thank you for telling me. What does the letter say?"
LINKED = (
    "Linked. You will get a message here for each new case in your languages "
    "(coordinators: also for every urgent case), and for a returning person you helped before."
)
NOT_LINKED = "This code is not valid or has expired. Make a new one in the back office."
QUIET = 0.5


async def in_db(engine: Engine, work: Callable[[Session], T]) -> T:
    """One transaction, off the event loop (the runtime's threads share the engine)."""

    def run() -> T:
        with session_scope(engine) as session:
            return work(session)

    return await asyncio.to_thread(run)


def key_person(session: Session, name: str, languages: list[str]) -> KeyPerson:
    return create_key_person(
        session, username=name.lower(), name=name, languages=languages, role=Role.KEYPERSON, password=None
    )


async def ask_for_a_person(fake: FakeBotAPI, chat: int, language: str) -> None:
    """Choose a language, write something, and tap "talk to a person" under the answer."""
    _ = translations(language).gettext
    await choose_language(fake, chat, language)
    fake.push_text(chat, GREETING[language])
    offer = await fake.await_for(
        lambda: next(
            (
                m
                for m in fake.sent_messages(chat)
                if "person:request" in [data for _label, data in buttons(m)]
            ),
            None,
        ),
        what="the offer of a person",
    )
    fake.push_callback(chat, support.PERSON_REQUEST, message_id=offer["message_id"])
    await wait_for_text(fake, chat, _(support.PERSON_COMING))


async def joined(
    runtime: BotRuntime, fake: FakeBotAPI, chat: int, language: str
) -> tuple[int, dict[str, Any]]:
    """A user asked for a person and Amal claimed the case; returns the case id and the "joined" message."""
    _ = translations(language).gettext
    await ask_for_a_person(fake, chat, language)

    def claim(session: Session) -> int:
        case = session.exec(select(Case)).one()
        assert (case.status, case.reason, case.language) == ("open", "asked_for_person", language)
        casework.claim(session, key_person(session, "Amal", [language]), case, utcnow())
        assert case.id is not None
        return case.id

    case_id = await in_db(runtime.engine, claim)
    runtime.sender.wake()
    message = await wait_for_message(fake, chat, _(casework.JOINED).format(name="Amal"))
    assert buttons(message) == [(_(casework.END_BUTTON), f"case:leave:{case_id}")]
    return case_id, message


def ids(messages: list[dict[str, Any]]) -> list[int]:
    return [int(message["message_id"]) for message in messages]


@pytest.mark.parametrize("language", ["en", "ar"])
async def test_a_key_person_joins_reads_and_answers_and_the_user_ends_the_conversation(
    runtime: BotRuntime, fake_telegram: FakeBotAPI, language: str
) -> None:
    fake, chat = fake_telegram, 550000 + len(language)
    _ = translations(language).gettext
    case_id, joined_message = await joined(runtime, fake, chat, language)

    # What the user writes now is for Amal: stored, and not answered by the bot. A command after it is a
    # marker: updates of a chat are handled, and their answers sent, in order.
    fake.push_text(chat, NEWS[language])
    fake.push_text(chat, "/help")
    (help_text,) = engine_replies(language, "help")
    marker = await wait_for_message(fake, chat, help_text)
    sent = ids(fake.sent_messages(chat))
    assert sent.index(marker["message_id"]) == sent.index(joined_message["message_id"]) + 1
    await asyncio.sleep(QUIET)
    assert ids(fake.sent_messages(chat)) == sent
    with Session(runtime.engine) as session:
        (news,) = [m for m in session.exec(select(Message)) if m.text == NEWS[language]]
    assert (news.direction, news.kind, news.severity) == ("in", "text", None)

    def answer(session: Session) -> None:
        case = session.get(Case, case_id)
        person = session.exec(select(KeyPerson)).one()
        assert case is not None
        casework.reply(session, person, case, ANSWER, utcnow())

    await in_db(runtime.engine, answer)
    runtime.sender.wake()
    await wait_for_message(fake, chat, f"{_(casework.REPLY_FROM).format(name='Amal')}\n{ANSWER}")

    fake.push_callback(chat, buttons(joined_message)[0][1], message_id=joined_message["message_id"])
    left = await wait_for_message(fake, chat, _(case_dialog.LEFT))
    assert buttons(left) == [(_(casework.AGAIN_BUTTON), "person:request")]
    with Session(runtime.engine) as session:
        case = session.get(Case, case_id)
        assert case is not None
        assert (case.status, case.outcome) == ("closed", "user_left")
        assert case.closed_at is not None

    # Without a case the bot answers text again, with the offer of a person.
    fake.push_text(chat, GREETING[language])
    await fake.await_for(
        lambda: "person:request" in [data for _label, data in buttons(fake.sent_messages(chat)[-1])],
        what="the offer of a person after the case",
    )


async def test_a_crisis_while_a_person_has_joined_gets_the_helplines_and_makes_the_case_urgent(
    runtime: BotRuntime, fake_telegram: FakeBotAPI
) -> None:
    fake, chat = fake_telegram, 440001
    _ = translations("ar").gettext
    case_id, _joined = await joined(runtime, fake, chat, "ar")

    photo = {"file_id": "p1", "file_unique_id": "u1", "width": 90, "height": 90}
    fake.push_update(
        {
            "message": {
                "message_id": 9000,
                "date": int(time.time()),
                "chat": {"id": chat, "type": "private", "first_name": "Amanuel"},
                "from": {"id": chat, "is_bot": False, "first_name": "Amanuel", "language_code": "ar"},
                "photo": [photo],
            }
        }
    )
    await wait_for_message(fake, chat, _(case_dialog.TEXT_ONLY))

    fake.push_text(chat, CRISIS["ar"])
    reply = await wait_for_text(fake, chat, _(support.PROMISE))
    assert reply.startswith(_(support.CRISIS))
    assert not buttons(fake.sent_messages(chat)[-1]), "no menu in a crisis"
    with Session(runtime.engine) as session:
        case = session.get(Case, case_id)
        assert case is not None
        assert (case.severity, case.reason, case.status) == ("urgent", "crisis_signal", "claimed")
        assert len(session.exec(select(Case)).all()) == 1


async def test_a_key_person_links_their_telegram_with_a_one_time_code(
    runtime: BotRuntime, fake_telegram: FakeBotAPI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="brug")
    fake, chat, other = fake_telegram, 330001, 330002

    def make_code(session: Session) -> str:
        return new_link_code(session, key_person(session, "Amal", ["en"]), utcnow())

    code = await in_db(runtime.engine, make_code)
    fake.push_text(chat, f"/link {code}")
    await wait_for_message(fake, chat, LINKED)
    fake.push_text(other, f"/link {code}")  # used once, it is no good to anybody else
    await wait_for_message(fake, other, NOT_LINKED)

    with Session(runtime.engine) as session:
        person = session.exec(select(KeyPerson)).one()
        assert person.telegram_chat_id == chat
        assert person.link_code_hash is None
        assert session.exec(select(User)).all() == [], "a key person is not a user"
        assert session.exec(select(Message)).all() == []
        inbox = [json.dumps(row.payload) for row in session.exec(select(InboundUpdate))]
    assert len(inbox) == 2 and not any(code in payload for payload in inbox)
    logged = [record.getMessage() for record in caplog.records]
    assert not any(code in line or str(chat) in line for line in logged)


async def test_a_wrong_link_code_is_refused(runtime: BotRuntime, fake_telegram: FakeBotAPI) -> None:
    fake, chat = fake_telegram, 330003

    def make_code(session: Session) -> None:
        new_link_code(session, key_person(session, "Amal", ["en"]), utcnow())

    await in_db(runtime.engine, make_code)
    fake.push_text(chat, "/link 1234")
    await wait_for_message(fake, chat, NOT_LINKED)
    fake.push_text(chat, "/link")
    await fake.await_for(lambda: [m["text"] for m in fake.sent_messages(chat)] == [NOT_LINKED] * 2)
    with Session(runtime.engine) as session:
        assert session.exec(select(KeyPerson)).one().telegram_chat_id is None
        assert session.exec(select(User)).all() == []


async def test_an_invite_link_makes_the_key_person_the_users_contact(
    runtime: BotRuntime, fake_telegram: FakeBotAPI
) -> None:
    fake, invited, stranger = fake_telegram, 220001, 220002

    def invite(session: Session) -> tuple[int, str]:
        person = key_person(session, "Amal", ["ti"])
        assert person.id is not None
        return person.id, new_invite(session, person, utcnow())

    person_id, code = await in_db(runtime.engine, invite)
    assert code.startswith("kp")
    fake.push_text(invited, f"/start {code}")
    await wait_for_language_keyboard(fake, invited)
    fake.push_text(stranger, "/start kpNotAnInviteCode")  # a bad code does not stop /start
    await wait_for_language_keyboard(fake, stranger)

    with Session(runtime.engine) as session:
        users = {user.chat_id: user.contact_person_id for user in session.exec(select(User))}
        texts = [message.text for message in session.exec(select(Message).where(Message.direction == "in"))]
    assert users == {invited: person_id, stranger: None}
    assert texts == [], "nothing they wrote is kept before they chose a language, and never the code"


async def test_a_linked_key_person_is_told_of_a_new_case_in_their_language(
    fast_runtime: BotRuntime, fake_telegram: FakeBotAPI
) -> None:
    runtime, fake = fast_runtime, fake_telegram
    amal, bram, user = 110001, 110002, 110003

    def codes(session: Session) -> tuple[str, str]:
        now = utcnow()
        return (
            new_link_code(session, key_person(session, "Amal", ["ar", "en"]), now),
            new_link_code(session, key_person(session, "Bram", ["nl"]), now),
        )

    amal_code, bram_code = await in_db(runtime.engine, codes)
    fake.push_text(amal, f"/link {amal_code}")
    fake.push_text(bram, f"/link {bram_code}")
    await wait_for_message(fake, amal, LINKED)
    await wait_for_message(fake, bram, LINKED)

    await ask_for_a_person(fake, user, "ar")
    with Session(runtime.engine) as session:
        case = session.exec(select(Case)).one()
        (user_id,) = [u.id for u in session.exec(select(User)) if u.chat_id == user]
    notice = await wait_for_text(fake, amal, "New case")
    assert notice == (
        f"New case {pseudonym(user_id)} · العربية · asked for a person.\nhttp://127.0.0.1:8000/cases/{case.id}"
    )
    await asyncio.sleep(QUIET)
    assert [m["text"] for m in fake.sent_messages(bram)] == [LINKED]
    assert [m["text"] for m in fake.sent_messages(amal)] == [LINKED, notice], "told once"


def test_a_link_code_sent_in_a_group_is_refused_and_not_kept(db: Engine) -> None:
    with session_scope(db) as session:
        code = new_link_code(session, key_person(session, "Amal", ["en"]), utcnow())
    payload = {
        "kind": "command", "value": "link", "argument": code, "text": f"/link {code}", "chat_id": -100,
        "chat_type": "group", "user_key": telegram_user_key(SECRET_KEY, 7), "language_code": "en",
    }  # fmt: skip
    store_updates(db, [(1, payload)])
    (inbox_id,) = pending_ids(db)
    assert handle(db, inbox_id)
    with Session(db) as session:
        assert session.exec(select(KeyPerson)).one().telegram_chat_id is None
        (row,) = session.exec(select(InboundUpdate)).all()
        (sent, leave) = session.exec(select(OutboxItem).order_by(col(OutboxItem.id))).all()
        assert session.exec(select(User)).all() == []
    assert code not in json.dumps(row.payload)
    assert (sent.chat_id, sent.payload["text"]) == (
        -100,
        "I only talk in private chats. Please write to me directly.",
    )
    assert (leave.chat_id, leave.method) == (-100, "leave_chat"), "then the bot leaves the group"

"""Every kind of input the bot cannot simply read gets a clear answer, through the whole stack: stickers,
photos, documents, locations, voice notes, edited and forwarded messages, a text of 4096 characters,
empty and unknown button data, and group chats (refused, then left)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, select

from brug.bot import attachments, support
from brug.bot.engine import _FALLBACK, _STALE_BUTTON, _UNSUPPORTED
from brug.bot.runtime import BotRuntime
from brug.core.i18n import translations
from brug.core.models import Message, User
from tests.bot.conversation import buttons, choose_language, texts
from tests.fake_bot_api import FakeBotAPI

_ = translations("en").gettext
LONG_TEXT = ("I wait for my wife and children. " * 130)[:4096]
FILE = {"file_id": "f1", "file_unique_id": "u1"}
VOICE = {"voice": {**FILE, "duration": 7, "mime_type": "audio/ogg"}}
STICKER = {**FILE, "width": 512, "height": 512, "is_animated": False, "is_video": False, "type": "regular"}
FORWARDED = {"forward_origin": {"type": "hidden_user", "sender_user_name": "A friend", "date": 1}}
PRIVATE_ONLY = "I only talk in private chats. Please write to me directly."


@dataclass(frozen=True)
class BadInput:
    name: str
    push: Callable[[FakeBotAPI, int], object]
    # The start of the answer the chat must show.
    answer: str
    # Also asserted on what the chat shows.
    check: Callable[[list[dict[str, Any]]], bool] = field(default=lambda _messages: True)


def message(content: dict[str, Any], **options: Any) -> Callable[[FakeBotAPI, int], object]:
    return lambda fake, chat: fake.push_message(chat, content, **options)


def has_person_button(messages: list[dict[str, Any]]) -> bool:
    return support.PERSON_REQUEST in [data for _label, data in buttons(messages[-1])]


CASES = [
    BadInput("sticker", message({"sticker": STICKER}), _(_UNSUPPORTED)),
    BadInput("photo", message({"photo": [{**FILE, "width": 90, "height": 90}]}), _(_UNSUPPORTED)),
    BadInput("document", message({"document": {**FILE, "file_name": "brief.pdf"}}), _(_UNSUPPORTED)),
    BadInput("location", message({"location": {"latitude": 52.37, "longitude": 4.89}}), _(_UNSUPPORTED)),
    BadInput("voice", message(VOICE), _(attachments.CANNOT_LISTEN), has_person_button),
    BadInput("edited", message({"text": "hello again"}, edited=True), _(attachments.EDITED)),
    BadInput("forwarded", message({"text": "see you at 5", **FORWARDED}), _(_FALLBACK)),
    BadInput(
        "forwarded crisis", message({"text": "i don't want to live anymore", **FORWARDED}), _(support.CRISIS)
    ),
    BadInput("4096 characters", lambda fake, chat: fake.push_text(chat, LONG_TEXT), _(_FALLBACK)),
]
KEPT = ["4096 characters", "forwarded"]
STALE = [("empty", ""), ("unknown", "nonsense:42"), ("old", "flow:no-such-node")]


async def test_each_kind_of_bad_input_gets_its_answer(runtime: BotRuntime, fake_telegram: FakeBotAPI) -> None:
    fake = fake_telegram
    chats = {case.name: 710_000 + number for number, case in enumerate(CASES)}
    # What a person writes is kept once they chose a language (and so saw what we keep).
    for name in KEPT:
        await choose_language(fake, chats[name], "en")
    before = {chat: len(texts(fake, chat)) for chat in chats.values()}
    for case in CASES:
        case.push(fake, chats[case.name])
    for case in CASES:
        chat = chats[case.name]

        def first_answer(chat: int = chat) -> str | None:
            return next((t for t in texts(fake, chat)[before[chat] :] if t), None)

        answer = await fake.await_for(first_answer, what=f"an answer to {case.name}")
        assert answer.startswith(case.answer), case.name
        assert case.check(fake.sent_messages(chat)), case.name
    with Session(runtime.engine) as session:
        stored = {m.text for m in session.exec(select(Message)) if m.direction == "in"}
    assert LONG_TEXT in stored, "a text of Telegram's maximum length is stored whole"
    assert "[forwarded] see you at 5" in stored, "the key person can tell it is not the user's own words"


async def test_empty_unknown_and_old_button_data_get_the_stale_button_answer(
    runtime: BotRuntime, fake_telegram: FakeBotAPI
) -> None:
    fake = fake_telegram
    for number, (_name, data) in enumerate(STALE):
        fake.push_callback(720_000 + number, data, message_id=1)

    def answered() -> list[str] | None:
        calls = fake.calls("answerCallbackQuery")
        return [str(call.params.get("text")) for call in calls] if len(calls) == len(STALE) else None

    assert await fake.await_for(answered, what="every button answered") == [_(_STALE_BUTTON)] * len(STALE)


async def test_in_a_group_the_bot_says_it_talks_only_in_private_and_leaves(
    runtime: BotRuntime, fake_telegram: FakeBotAPI
) -> None:
    fake, written_in, added_to, channel = fake_telegram, -100_001, -100_002, -100_003
    fake.push_text(written_in, "/start", user_id=730_001, chat_type="group")
    fake.push_added_to_group(added_to, user_id=730_002, chat_type="supergroup")
    fake.push_added_to_group(channel, user_id=730_003, chat_type="channel")
    await fake.await_for(lambda: len(fake.left_chats()) == 3, what="the bot leaving all three")
    assert sorted(fake.left_chats()) == sorted([written_in, added_to, channel])
    for chat in (written_in, added_to):
        assert texts(fake, chat) == [PRIVATE_ONLY]
    sent_then_left = [
        (call.method, call.params["chat_id"])
        for call in fake.calls()
        if call.method in {"sendMessage", "leaveChat"} and call.params.get("chat_id") == written_in
    ]
    assert sent_then_left == [("sendMessage", written_in), ("leaveChat", written_in)]
    await asyncio.sleep(0.3)
    with Session(runtime.engine) as session:
        assert session.exec(select(User)).all() == [], "nobody in a group becomes a user"

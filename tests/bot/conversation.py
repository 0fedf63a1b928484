"""Helpers for end-to-end tests: what a chat looks like from the person's side of the fake Bot API."""

from __future__ import annotations

from typing import Any

from brug.bot.dialog import Input, InputKind, Reply, State
from brug.bot.engine import step
from brug.core.i18n import translations
from tests.fake_bot_api import FakeBotAPI

LANGUAGE_LABELS = ["ትግርኛ", "العربية", "دری", "Nederlands", "English"]


def texts(fake: FakeBotAPI, chat_id: int) -> list[str]:
    return [str(message.get("text", "")) for message in fake.sent_messages(chat_id)]


def keyboard_labels(message: dict[str, Any]) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [button["text"] for row in rows for button in row]


async def wait_for_language_keyboard(fake: FakeBotAPI, chat_id: int, after: int = 0) -> dict[str, Any]:
    """The first message after the `after`-th one that carries the language keyboard."""

    def found() -> dict[str, Any] | None:
        for message in fake.sent_messages(chat_id)[after:]:
            if keyboard_labels(message) == LANGUAGE_LABELS:
                return message
        return None

    return await fake.await_for(found, what="the language keyboard")


async def wait_for_text(fake: FakeBotAPI, chat_id: int, fragment: str) -> str:
    def found() -> str | None:
        return next((text for text in texts(fake, chat_id) if fragment in text), None)

    return await fake.await_for(found, what=f"a message containing {fragment!r}")


def engine_replies(language: str, command: str) -> list[str]:
    """What the engine says to a command in a language: the texts a chat should then show."""
    result = step(
        State(language, language_chosen=True, node="idle"), Input(InputKind.COMMAND, command), translations
    )
    return [output.text for output in result.outputs if isinstance(output, Reply)]


async def choose_language(fake: FakeBotAPI, chat_id: int, language: str) -> None:
    """/start, then tap a language; returns once the chat's command menu is set."""
    fake.push_text(chat_id, "/start")
    keyboard = await wait_for_language_keyboard(fake, chat_id)
    fake.push_callback(chat_id, f"lang:{language}", message_id=keyboard["message_id"])
    await fake.await_for(lambda: fake.commands(chat_id=chat_id), what="the chosen language")


def buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [
        (button["text"], button["callback_data"])
        for row in rows
        for button in row
        if "callback_data" in button
    ]


async def wait_for_message(fake: FakeBotAPI, chat_id: int, text: str, after: int = 0) -> dict[str, Any]:
    """The first message after the `after`-th one whose text is exactly `text`."""

    def found() -> dict[str, Any] | None:
        return next((m for m in fake.sent_messages(chat_id)[after:] if m.get("text") == text), None)

    return await fake.await_for(found, what=f"the message {text!r}")

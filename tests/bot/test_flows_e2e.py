"""Every button of every flow, tapped through the fake Bot API in all five languages: each leads somewhere,
each message renders (no placeholder left, no msgid showing through) and fits Telegram's limits."""

from __future__ import annotations

import re
from typing import Any

import pytest

from brug.bot import flow_dialog
from brug.bot.runtime import BotRuntime
from brug.core.flows import load_flows
from brug.core.i18n import translations
from brug.core.languages import LANGUAGES
from tests.bot.conversation import buttons, choose_language
from tests.fake_bot_api import FakeBotAPI

LEFTOVER_PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


async def _last_with_buttons(fake: FakeBotAPI, chat: int, after: int) -> dict[str, Any]:
    return await fake.await_for(
        lambda: next((m for m in fake.sent_messages(chat)[after:] if buttons(m) or _has_url(m)), None),
        what="a message with buttons",
    )


def _has_url(message: dict[str, Any]) -> bool:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return any("url" in button for row in rows for button in row)


def _check_message(message: dict[str, Any], language: str) -> None:
    text = str(message.get("text", ""))
    assert text and len(text) <= 4096
    assert not LEFTOVER_PLACEHOLDER.search(text), text
    for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
        for button in row:
            assert len(button["text"]) <= 40, button["text"]
            assert "url" in button or len(button["callback_data"].encode()) <= 64


@pytest.mark.parametrize("language", list(LANGUAGES))
async def test_every_flow_button_leads_to_a_rendered_message(
    fast_runtime: BotRuntime, fake_telegram: FakeBotAPI, language: str
) -> None:
    """One tap per edge to a node not yet seen; old messages' buttons keep working, so each node's own
    message is where its buttons are tapped. Date questions are answered through the picker."""
    flows = load_flows()
    chat = 8000 + list(LANGUAGES).index(language)
    await choose_language(fake_telegram, chat, language)
    _ = translations(language).gettext
    before = len(fake_telegram.sent_messages(chat))
    fake_telegram.push_text(chat, "/menu")
    shown = {flow_dialog.MAIN_MENU: await _last_with_buttons(fake_telegram, chat, before)}
    queue = [flow_dialog.MAIN_MENU]
    while queue:
        ref = queue.pop(0)
        node, message = flows.node(ref), shown[ref]
        _check_message(message, language)
        assert message["text"].startswith(_(node.text_for(None)).split("{")[0].strip()[:15]), ref
        urls = {label for label, _url in _url_buttons(message)}
        for index, button in enumerate(node.buttons):
            if button.url:
                assert _(button.label) in urls
            elif button.goto and button.goto not in shown:
                data = f"f:{ref}:{index}"
                shown[button.goto] = await _tap(fake_telegram, chat, message, data)
                queue.append(button.goto)
        if node.ask_date is not None and node.ask_date.next not in shown:
            shown[node.ask_date.next] = await _pick_a_date(fake_telegram, chat, message)
            queue.append(node.ask_date.next)
    assert set(shown) == {node.ref for node in flows.nodes()}, "every node was reached"


async def _tap(fake: FakeBotAPI, chat: int, message: dict[str, Any], data: str) -> dict[str, Any]:
    before = len(fake.sent_messages(chat))
    fake.push_callback(chat, data, message_id=message["message_id"])
    return await _last_with_buttons(fake, chat, before)


async def _pick_a_date(fake: FakeBotAPI, chat: int, message: dict[str, Any]) -> dict[str, Any]:
    """Last year's first month and day: year, month and day buttons, each from the message before."""
    for _step in range(3):
        choices = [data for _label, data in buttons(message) if data.startswith("d:") and data[-1].isdigit()]
        message = await _tap(fake, chat, message, choices[1 if _step == 0 else 0])
    return message


def _url_buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [(b["text"], b["url"]) for row in rows for b in row if "url" in b]

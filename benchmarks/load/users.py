"""Simulated people: each goes through one conversation, closed loop (the next update only after the reply).

A person writes /start, taps a language, taps three buttons of the flows the bot shows (never "talk to a
person"), writes a text without and one with a stress signal; one in twenty then taps "talk to a
person", waits for the key person's answer from the back office, and ends the conversation. The echo
bot gets the same updates: it shows no buttons, so the taps carry the callback data Brug would get.

Latency of an update: from pushing it to the fake Bot API (Telegram has it) until the first message the
bot sends to that chat after it. Brug's reply can be several messages; the next update waits for the
last one (the one with the keyboard), so a late message is never taken as the next update's reply.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from brug.core.casework import LEAVE_CASE, PERSON_REQUEST
from brug.core.flows import load_flows
from tests.fake_bot_api import Call, FakeBotAPI

LANGUAGES = ("ti", "ar", "fa_AF", "nl", "en")
TELEGRAM_LANGUAGE = {"fa_AF": "fa"}
ESCALATE_EVERY = 20
FLOW_TAPS = 3
FIRST_CHAT = 700_000
RELAY_MARK = "relay-check"
TEXTS_FILE = Path(__file__).resolve().parents[2] / "tests" / "bot" / "signals" / "heldout.jsonl"

Message = dict[str, Any]


def load_texts() -> dict[tuple[str, str], list[str]]:
    """Held-out messages by (language, severity): "none" is calm, "concern" a stress signal."""
    texts: dict[tuple[str, str], list[str]] = {}
    for line in TEXTS_FILE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            row = json.loads(line)
            key = (str(row["lang"]).replace("-", "_"), str(row["severity"]))
            texts.setdefault(key, []).append(str(row["text"]))
    return texts


@dataclass(frozen=True)
class Step:
    """One update. A tap with `choice` takes that button of the keyboard shown (Brug); otherwise `value`."""

    text: str | None = None
    value: str = ""
    choice: int | None = None
    relay: bool = False  # then wait for the key person's answer


def plan(user: int, texts: dict[tuple[str, str], list[str]]) -> tuple[str, list[Step]]:
    language = LANGUAGES[user % len(LANGUAGES)]
    calm, stressed = texts[(language, "none")], texts[(language, "concern")]
    steps = [Step(text="/start"), Step(value=f"lang:{language}")]
    steps += [Step(value=f"f:main.menu:{tap}", choice=user + tap) for tap in range(FLOW_TAPS)]
    steps += [Step(text=calm[user % len(calm)]), Step(text=stressed[user % len(stressed)])]
    if user % ESCALATE_EVERY == 0:
        steps += [Step(value=PERSON_REQUEST, relay=True), Step(value=f"{LEAVE_CASE}:0")]
    return language, steps


def _keyboard(message: Message) -> list[dict[str, Any]]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [button for row in rows for button in row]


def has_keyboard(message: Message) -> bool:
    return bool(_keyboard(message))


class Taps:
    """Which buttons a person may tap: flow buttons that lead somewhere, not actions such as a person."""

    def __init__(self) -> None:
        flows = load_flows()
        self._actions = {
            f"f:{node.ref}:{index}"
            for node in flows.nodes()
            for index, button in enumerate(node.buttons)
            if button.action == "request_person"
        }

    def choose(self, message: Message, choice: int) -> str | None:
        data = [
            str(button["callback_data"])
            for button in _keyboard(message)
            if "callback_data" in button
            and button["callback_data"] not in self._actions
            and not str(button["callback_data"]).startswith((PERSON_REQUEST, "case:"))
        ]
        return data[choice % len(data)] if data else None


class ChatLog:
    """The bot's messages to one chat as they arrive, with the fake's arrival time."""

    def __init__(self) -> None:
        self.messages: list[tuple[float, Message]] = []
        self._arrived = asyncio.Event()

    def add(self, at: float, message: Message) -> None:
        self.messages.append((at, message))
        self._arrived.set()

    async def wait(
        self, start: int, wanted: Callable[[Message], bool], deadline: float
    ) -> tuple[float, Message] | None:
        """The first message from index `start` on that is wanted, or None at the deadline."""
        while True:
            self._arrived.clear()
            for at, message in self.messages[start:]:
                if wanted(message):
                    return at, message
            start = len(self.messages)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            try:
                await asyncio.wait_for(self._arrived.wait(), remaining)
            except TimeoutError:
                continue

    def last_with_keyboard(self) -> Message | None:
        return next((m for _at, m in reversed(self.messages) if has_keyboard(m)), None)


def listen(fake: FakeBotAPI, chats: dict[int, ChatLog]) -> None:
    """Hand each message the bot sends (or edits) to its chat's log, in the load generator's loop."""
    loop = asyncio.get_running_loop()

    def heard(call: Call, result: Any) -> None:
        if call.method in ("sendMessage", "editMessageText") and isinstance(result, dict):
            log = chats.get(result.get("chat", {}).get("id"))
            if log is not None:
                loop.call_soon_threadsafe(log.add, call.at, result)

    fake.add_listener(heard)


@dataclass
class Tally:
    """What happened to all updates of one run."""

    latencies: list[float] = field(default_factory=list)
    relay_latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    sent: int = 0
    first_push: float = float("inf")
    last_reply: float = 0.0


@dataclass
class Person:
    user: int
    fake: FakeBotAPI
    log: ChatLog
    tally: Tally
    brug: bool
    taps: Taps
    timeout: float
    relayed: dict[int, float]  # case id -> when the key person's answer was posted

    @property
    def chat(self) -> int:
        return FIRST_CHAT + self.user

    async def converse(self, language: str, steps: list[Step]) -> None:
        for number, step in enumerate(steps):
            tap_next = number + 1 < len(steps) and steps[number + 1].text is None
            if not await self._step(language, step, tap_next):
                self.tally.failures.append(f"user {self.user}: no reply to step {number} {step}")
                return

    async def _step(self, language: str, step: Step, tap_next: bool) -> bool:
        """Push the update and wait for its reply; for Brug, also for the keyboard the next tap needs."""
        start, deadline = len(self.log.messages), time.monotonic() + self.timeout
        pushed = self._push(language, step)
        if pushed is None:
            return False
        first = await self.log.wait(start, lambda _m: True, deadline)
        if first is None:
            return False
        self.tally.latencies.append(first[0] - pushed)
        self.tally.last_reply = max(self.tally.last_reply, first[0])
        if self.brug and step.relay:
            return await self._await_relay(start, deadline + self.timeout)
        if self.brug and tap_next:
            return await self.log.wait(start, has_keyboard, deadline) is not None
        return True

    def _push(self, language: str, step: Step) -> float | None:
        code = TELEGRAM_LANGUAGE.get(language, language)
        pushed = time.monotonic()
        self.tally.first_push = min(self.tally.first_push, pushed)
        self.tally.sent += 1
        if step.text is not None:
            self.fake.push_text(self.chat, step.text, language_code=code)
            return pushed
        data, message = self._tap_target(step)
        if message is None:
            return None
        self.fake.push_callback(self.chat, data, message_id=int(message["message_id"]), language_code=code)
        return pushed

    def _tap_target(self, step: Step) -> tuple[str, Message | None]:
        if not self.brug:
            return step.value, (self.log.messages[-1][1] if self.log.messages else None)
        message = self.log.last_with_keyboard()
        if message is None:
            return step.value, None
        if step.value.startswith(LEAVE_CASE):
            leave = [b["callback_data"] for b in _keyboard(message) if "callback_data" in b]
            return (leave[0] if leave else step.value), message
        if step.choice is None:
            return step.value, message
        return self.taps.choose(message, step.choice) or step.value, message

    async def _await_relay(self, start: int, deadline: float) -> bool:
        pattern = re.compile(rf"{RELAY_MARK} (\d+)")

        def relayed(message: Message) -> bool:
            return bool(pattern.search(str(message.get("text", ""))))

        found = await self.log.wait(start, relayed, deadline)
        if found is None:
            return False
        at, message = found
        match = pattern.search(str(message.get("text", "")))
        assert match is not None
        posted = self.relayed.get(int(match.group(1)))
        if posted is not None:
            self.tally.relay_latencies.append(at - posted)
        # The answer comes after "a person joined" (with the button to end the conversation): wait for both.
        return await self.log.wait(start, lambda m: _leave_button(m), deadline) is not None


def _leave_button(message: Message) -> bool:
    return any(str(b.get("callback_data", "")).startswith(LEAVE_CASE) for b in _keyboard(message))

"""Scripted users for the crash test: what each chat sends, and what the bot must answer to each update.

The expected replies come from the real engine (`brug.bot.engine.step`), fed the same context the handler
gives it (open case, recent concerns), but without a database or a process: an oracle that no crash can
disturb. A script never makes the bot say the same text twice in a row in one chat, so that a message
repeated in a chat can only be a send repeated by the outbox.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field, replace

from brug.bot import engine
from brug.bot.dialog import CaseState, Context, Input, InputKind, OpenCase, Reply, State
from brug.bot.handler import local_date
from brug.bot.signals import detect
from brug.core.i18n import translations
from brug.core.languages import LANGUAGES, guess_language
from brug.core.models import utcnow

LANGUAGE_CODE = "en"
WHO_ANSWERS = 6

EVERYDAY: tuple[tuple[InputKind, str], ...] = (
    (InputKind.COMMAND, "help"),
    (InputKind.COMMAND, "privacy"),
    (InputKind.COMMAND, "menu"),
    (InputKind.COMMAND, "language"),
    (InputKind.TEXT, "hello, a question about my papers"),
    (InputKind.TEXT, "thanks"),
    (InputKind.TEXT, "I cannot sleep for weeks"),
    (InputKind.TEXT, "my family keeps asking me for money"),
)
ASK_FOR_A_PERSON = (InputKind.COMMAND, "person")
CRISIS = (InputKind.TEXT, "I want to end my life")


@dataclass(frozen=True)
class Update:
    kind: InputKind
    value: str


@dataclass
class ChatScript:
    """One chat: its updates in order, and for each update the texts the bot sends in reply."""

    chat_id: int
    updates: list[Update] = field(default_factory=list)
    replies: list[list[str]] = field(default_factory=list)
    # The case the chat must have in the end: None, "normal" or "urgent".
    case: str | None = None

    def expected_texts(self) -> list[str]:
        return [text for texts in self.replies for text in texts]

    def buttons(self) -> int:
        return sum(1 for update in self.updates if update.kind is InputKind.BUTTON)


@dataclass(frozen=True)
class _Conversation:
    """What the handler would read from the database for this chat."""

    state: State
    case: CaseState = "none"
    concerns: int = 0
    severity: str | None = None


def _context(conversation: _Conversation, update: Update) -> Context:
    """As `brug.bot.handler._context`: plain commands see no case; text, buttons and /person do."""
    today = local_date(utcnow())
    if update.kind is InputKind.COMMAND and update.value != "person":
        return Context(today=today)
    case_id = None if conversation.case == "none" else 1
    return Context(
        recent_concerns=conversation.concerns, case=conversation.case, case_id=case_id, today=today
    )


def step(conversation: _Conversation, update: Update) -> tuple[_Conversation, list[str]]:
    """The conversation after `update` and the texts the bot sends."""
    user_input = Input(update.kind, update.value)
    if update.kind is InputKind.TEXT:
        detection = detect(update.value, conversation.state.language)
        user_input = Input(update.kind, update.value, detection.severity, detection.categories)
    result = engine.step(conversation.state, user_input, translations, _context(conversation, update))
    texts = [output.text for output in result.outputs if isinstance(output, Reply)]
    after = replace(conversation, state=result.state)
    if user_input.severity == "concern":
        after = replace(after, concerns=after.concerns + 1)
    for output in result.outputs:
        if isinstance(output, OpenCase):
            severity = "urgent" if "urgent" in {output.severity, after.severity} else output.severity
            after = replace(after, case="waiting", severity=severity)
    return after, texts


def _acceptable(texts: list[str], previous: str | None) -> bool:
    """At least one reply, and no text straight after the same text."""
    sequence = [previous, *texts] if previous is not None else texts
    return bool(texts) and all(a != b for a, b in itertools.pairwise(sequence))


def write_script(chat_id: int, length: int, rng: random.Random) -> ChatScript:
    """/start, a language, who they are, then `length - 3` everyday updates; some ask for a person, a few
    are in crisis."""
    language = rng.choice(list(LANGUAGES))
    opening = [
        Update(InputKind.COMMAND, "start"),
        Update(InputKind.BUTTON, f"{engine.LANGUAGE_BUTTON_PREFIX}{language}"),
        Update(InputKind.BUTTON, f"f:main.who:{rng.randrange(WHO_ANSWERS)}"),
    ]
    pool = list(EVERYDAY)
    if rng.random() < 0.3:
        pool.append(ASK_FOR_A_PERSON)
    if rng.random() < 0.05:
        pool.append(CRISIS)
    script = ChatScript(chat_id)
    conversation = _Conversation(State(guess_language(LANGUAGE_CODE)))
    for position in range(length):
        if position < len(opening):
            candidates = [opening[position]]
        else:
            candidates = [Update(kind, value) for kind, value in rng.sample(pool, len(pool))]
        conversation = _append_first_acceptable(script, conversation, candidates)
    script.case = conversation.severity
    return script


def _append_first_acceptable(
    script: ChatScript, conversation: _Conversation, candidates: list[Update]
) -> _Conversation:
    previous = script.replies[-1][-1] if script.replies else None
    for update in candidates:
        after, texts = step(conversation, update)
        if _acceptable(texts, previous):
            script.updates.append(update)
            script.replies.append(texts)
            return after
    raise AssertionError(f"no acceptable next update for chat {script.chat_id}")

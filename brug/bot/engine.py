"""The conversation engine: (state, input) → (new state, outputs). Pure: no I/O, no Telegram, no clock.

The Telegram layer turns an update into an `Input` and renders the `Output`s; the flows issue will
replace the fixed commands here with flows loaded from `flows/*.yaml`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from gettext import NullTranslations

from brug.core.i18n import N_
from brug.core.languages import LANGUAGES, is_supported

LANGUAGE_BUTTON_PREFIX = "lang:"

# Crisis numbers: 112 emergency; 113 Zelfmoordpreventie, free and 24/7, 113 or 0800-0113.
# Source: shared/domain/nareis-facts-sources.md §2 (113 free since Oct 2025), checked 2026-11-29.
_SAFETY_LINE = N_(
    "In danger right now? Call 112.\n"
    "Thinking about ending your life? Call 113 or 0800-0113, free, day and night."
)
_GREETING = N_(
    "Hello, I am Brug. I am here for people who wait for their family to come to the Netherlands "
    "(family reunification), and for their families.\n"
    "I do not work for the IND, the police or the government."
)
_CHOOSE_LANGUAGE = N_("Choose your language:")
_LANGUAGE_SET = N_("From now on I will write to you in English. You can change this with /language.")
_HELP = N_(
    "What you can do here now:\n"
    "/language – choose your language\n"
    "/privacy – what we keep about you\n"
    "/help – this message\n"
    "\n"
    "Soon you can also read about waiting for your family, and talk to a person from our team."
)
_PRIVACY = N_(
    "Your privacy:\n"
    "• We do not keep your name, username or phone number. We know you only by a code.\n"
    "• We keep your language and the messages you send here, so that we can answer you.\n"
    "• Only people from our team can read your messages. They do not see who you are.\n"
    "• We are not the IND, not the police and not the government."
)
_FALLBACK = N_(
    "Thank you for your message. I cannot answer questions in my own words yet. "
    "This service is still being built."
)
_UNKNOWN_COMMAND = N_("I do not know this command.")
_UNSUPPORTED = N_("I can only read text for now. Please write your message in words.")
_STALE_BUTTON = N_("This button does not work any more.")
_SEE_HELP = N_("Write /help to see what I can do.")

COMMANDS: tuple[tuple[str, str], ...] = (
    ("start", N_("Start again")),
    ("language", N_("Choose your language")),
    ("help", N_("What I can do")),
    ("privacy", N_("What we keep about you")),
)


class InputKind(StrEnum):
    COMMAND = "command"
    TEXT = "text"
    BUTTON = "button"
    UNSUPPORTED = "unsupported"


@dataclass(frozen=True)
class Input:
    """What a person did, independent of the channel: a command name, text, or a button's data."""

    kind: InputKind
    value: str = ""


@dataclass(frozen=True)
class State:
    language: str
    language_chosen: bool = False
    node: str = "start"


@dataclass(frozen=True)
class Button:
    label: str
    data: str


@dataclass(frozen=True)
class Reply:
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()


@dataclass(frozen=True)
class SetCommands:
    """Set the chat's command menu, with descriptions in the person's language."""

    commands: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ButtonAnswer:
    """Stop the spinner on a tapped button; an optional short notice is shown on top of the chat."""

    text: str | None = None


Output = Reply | SetCommands | ButtonAnswer
Catalogs = Callable[[str], NullTranslations]


@dataclass
class Step:
    state: State
    outputs: list[Output] = field(default_factory=list)


def step(state: State, user_input: Input, catalogs: Catalogs) -> Step:
    """Handle one input. `catalogs(language)` gives the gettext catalog of a language."""
    if user_input.kind is InputKind.BUTTON:
        return _button(state, user_input.value, catalogs)
    _ = catalogs(state.language).gettext
    if user_input.kind is InputKind.COMMAND:
        return _command(state, user_input.value, catalogs)
    if user_input.kind is InputKind.UNSUPPORTED:
        return Step(state, [Reply(_(_UNSUPPORTED))])
    return Step(state, [Reply(f"{_(_FALLBACK)}\n\n{_(_SAFETY_LINE)}\n\n{_(_SEE_HELP)}")])


def _command(state: State, name: str, catalogs: Catalogs) -> Step:
    _ = catalogs(state.language).gettext
    if name == "start":
        greeting = Reply(f"{_(_GREETING)}\n\n{_(_CHOOSE_LANGUAGE)}", language_keyboard())
        return Step(replace(state, node="choose_language"), [greeting])
    if name == "language":
        return Step(replace(state, node="choose_language"), [Reply(_(_CHOOSE_LANGUAGE), language_keyboard())])
    if name == "help":
        return Step(state, [help_reply(state.language, catalogs)])
    if name == "privacy":
        return Step(state, [Reply(_(_PRIVACY))])
    return Step(state, [Reply(f"{_(_UNKNOWN_COMMAND)} {_(_SEE_HELP)}")])


def _button(state: State, data: str, catalogs: Catalogs) -> Step:
    language = data.removeprefix(LANGUAGE_BUTTON_PREFIX)
    if not data.startswith(LANGUAGE_BUTTON_PREFIX) or not is_supported(language):
        _ = catalogs(state.language).gettext
        return Step(state, [ButtonAnswer(_(_STALE_BUTTON)), help_reply(state.language, catalogs)])
    _ = catalogs(language).gettext
    new_state = State(language=language, language_chosen=True, node="idle")
    outputs: list[Output] = [
        ButtonAnswer(),
        Reply(_(_LANGUAGE_SET)),
        help_reply(language, catalogs),
        SetCommands(tuple((name, _(description)) for name, description in COMMANDS)),
    ]
    return Step(new_state, outputs)


def help_reply(language: str, catalogs: Catalogs) -> Reply:
    _ = catalogs(language).gettext
    return Reply(f"{_(_HELP)}\n\n{_(_SAFETY_LINE)}")


def language_keyboard() -> tuple[tuple[Button, ...], ...]:
    """One language a row, each labelled in its own script; callback data is ASCII (`lang:fa_AF`)."""
    return tuple((Button(label, f"{LANGUAGE_BUTTON_PREFIX}{code}"),) for code, label in LANGUAGES.items())

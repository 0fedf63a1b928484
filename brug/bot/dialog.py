"""The engine's vocabulary: what comes in, what state it keeps, and what goes out. Channel-free."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from gettext import NullTranslations
from types import MappingProxyType
from typing import Any, Literal

from brug.core.settings import RETENTION_DAYS

# The user's open case: none, "waiting" (open, nobody claimed it yet) or "joined" (a key person holds it).
CaseState = Literal["none", "waiting", "joined"]


class InputKind(StrEnum):
    COMMAND = "command"
    TEXT = "text"
    BUTTON = "button"
    UNSUPPORTED = "unsupported"
    VOICE = "voice"
    EDITED = "edited"
    TIMER = "timer"


@dataclass(frozen=True)
class Input:
    """What a person did (a command name, text, a button's data) or a timer that fired, with the stress
    signals found in text."""

    kind: InputKind
    value: str = ""
    severity: str = "none"
    categories: tuple[str, ...] = ()
    # Ask directly whether the person thinks of ending their life (`Detection.ask`; never with urgent).
    ask: bool = False


@dataclass(frozen=True)
class State:
    language: str
    language_chosen: bool = False
    node: str = "start"
    age_group: str | None = None
    data: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    # Said in the flows' first questions: who they are and which phase they are in.
    role: str | None = None
    phase: str | None = None

    def with_data(self, **changes: Any) -> State:
        return replace(self, data=MappingProxyType({**self.data, **changes}))


@dataclass(frozen=True)
class Context:
    """Facts from the database the engine may not look up itself. The handler fills in `case` for text,
    buttons and unsupported input; commands and timers do not depend on it and get the default."""

    recent_concerns: int = 0
    case: CaseState = "none"
    case_id: int | None = None
    # The user's date today, for the timeline; the engine has no clock of its own.
    today: date | None = None
    # BRUG_RETENTION_DAYS, which /privacy states.
    retention_days: int = RETENTION_DAYS

    @property
    def has_open_case(self) -> bool:
        return self.case != "none"


@dataclass(frozen=True)
class Button:
    """A button under a message: it sends `data` back to the bot, or, with `url`, opens a web page."""

    label: str
    data: str = ""
    url: str | None = None


Keyboard = tuple[tuple[Button, ...], ...]


@dataclass(frozen=True)
class Reply:
    text: str
    buttons: Keyboard = ()
    urgent: bool = False


@dataclass(frozen=True)
class SetCommands:
    """Set the chat's command menu, with descriptions in the person's language."""

    commands: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ButtonAnswer:
    """Stop the spinner on a tapped button; an optional short notice is shown on top of the chat."""

    text: str | None = None


@dataclass(frozen=True)
class OpenCase:
    """Ask for a person from the team: `urgent` for a crisis, `normal` otherwise."""

    severity: str
    reason: str


@dataclass(frozen=True)
class SetCheckins:
    """Check-ins every `every_days` days from now, or none when it is None."""

    every_days: int | None


@dataclass(frozen=True)
class SaveCheckin:
    mood: int
    sleep: int
    calm: int
    coping: int


@dataclass(frozen=True)
class LeaveCase:
    """The user ends the conversation with the team: their open case (this one, when known) closes."""

    case_id: int | None = None


@dataclass(frozen=True)
class Forget:
    """Delete everything about the user. Outputs after it go to the chat without being kept: there is no
    user any more to keep them for."""


Output = Reply | SetCommands | ButtonAnswer | OpenCase | LeaveCase | SetCheckins | SaveCheckin | Forget
Catalogs = Callable[[str], NullTranslations]


@dataclass
class Step:
    state: State
    outputs: list[Output] = field(default_factory=list)

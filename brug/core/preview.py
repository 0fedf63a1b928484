"""The shape of a conversation step as the back office's preview page shows it.

The back office cannot import the bot; the composition root gives it a `PreviewEngine` that runs the
bot's own engine, so content authors see exactly what users see, without Telegram.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class PreviewButton:
    label: str
    data: str = ""
    url: str | None = None


@dataclass(frozen=True)
class PreviewMessage:
    text: str
    buttons: tuple[tuple[PreviewButton, ...], ...] = ()
    # What would happen besides the message, e.g. "a case would be opened (urgent)".
    notes: tuple[str, ...] = field(default_factory=tuple)


# (state as JSON-able dict, input kind "command" | "text" | "button", value) → (new state, messages)
PreviewEngine = Callable[[dict[str, Any], str, str], tuple[dict[str, Any], list[PreviewMessage]]]

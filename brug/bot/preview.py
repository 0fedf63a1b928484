"""The engine for the back office's preview page: the same steps as in Telegram, nothing stored or sent."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from brug.bot import engine
from brug.bot.dialog import (
    ButtonAnswer,
    Context,
    Input,
    InputKind,
    OpenCase,
    Reply,
    SaveCheckin,
    SetCheckins,
    State,
)
from brug.bot.handler import local_date
from brug.bot.signals import detect
from brug.core.i18n import translations
from brug.core.languages import DEFAULT_LANGUAGE, is_supported
from brug.core.models import utcnow
from brug.core.preview import PreviewButton, PreviewMessage

_KINDS = {"command": InputKind.COMMAND, "text": InputKind.TEXT, "button": InputKind.BUTTON}


def preview_step(state: dict[str, Any], kind: str, value: str) -> tuple[dict[str, Any], list[PreviewMessage]]:
    current = _state(state)
    user_input = Input(_KINDS[kind], value)
    if user_input.kind is InputKind.TEXT:
        found = detect(value, current.language)
        user_input = Input(InputKind.TEXT, value, found.severity, found.categories, found.ask)
    today = local_date(utcnow())
    result = engine.step(current, user_input, translations, Context(today=today))
    messages: list[PreviewMessage] = []
    notes: list[str] = []
    for output in result.outputs:
        if isinstance(output, Reply):
            rows = tuple(tuple(PreviewButton(b.label, b.data, b.url) for b in row) for row in output.buttons)
            messages.append(PreviewMessage(output.text, rows))
        elif isinstance(output, ButtonAnswer) and output.text:
            notes.append(f"notice on top of the chat: {output.text}")
        elif isinstance(output, OpenCase):
            notes.append(f"a case would be opened ({output.severity}, {output.reason})")
        elif isinstance(output, SetCheckins | SaveCheckin):
            notes.append("check-in settings would be saved")
    if notes:
        messages.append(PreviewMessage("", notes=tuple(notes)))
    done = result.state
    new_state = {
        "language": done.language,
        "language_chosen": done.language_chosen,
        "node": done.node,
        "age_group": done.age_group,
        "data": dict(done.data),
        "role": done.role,
        "phase": done.phase,
    }
    return new_state, messages


def _state(raw: dict[str, Any]) -> State:
    language = str(raw.get("language", DEFAULT_LANGUAGE))
    return State(
        language=language if is_supported(language) else DEFAULT_LANGUAGE,
        language_chosen=bool(raw.get("language_chosen", False)),
        node=str(raw.get("node", "start")),
        age_group=raw.get("age_group"),
        data=MappingProxyType(dict(raw.get("data") or {})),
        role=raw.get("role"),
        phase=raw.get("phase"),
    )

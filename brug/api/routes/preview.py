"""Try the bot without Telegram: staff chat with the flows in the browser, through the bot's own engine.

The conversation lives in the page (a signed hidden field), not in the database: nothing is stored,
nothing is sent, and no case is opened.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from brug.api.deps import PageStaffDep, SettingsDep, check_csrf
from brug.api.pages import render
from brug.core.languages import LANGUAGES, RIGHT_TO_LEFT
from brug.core.preview import PreviewEngine, PreviewMessage

router = APIRouter(include_in_schema=False)
KEEP = 40


@router.get("/preview", response_class=HTMLResponse)
def preview_page(
    request: Request, staff: PageStaffDep, settings: SettingsDep, language: str = "en"
) -> Response:
    language = language if language in LANGUAGES else "en"
    return _page(request, staff, settings.brug_secret_key, {"language": language}, [])


@router.post("/preview", response_class=HTMLResponse)
def preview_step(
    request: Request,
    staff: PageStaffDep,
    settings: SettingsDep,
    conversation: Annotated[str, Form()],
    kind: Annotated[str, Form()],
    value: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(staff, csrf_token)
    key = settings.brug_secret_key
    state, transcript = _unsign(key, conversation) or ({"language": "en"}, [])
    engine: PreviewEngine | None = request.app.state.preview
    if engine is None or kind not in {"command", "text", "button"} or not value.strip():
        return _page(request, staff, key, state, transcript, error="Write a message or press a button.")
    if kind == "text":
        transcript.append({"from": "user", "text": value[:4096]})
    elif kind == "command":
        transcript.append({"from": "user", "text": f"/{value}"})
    else:
        transcript.append({"from": "user", "text": f"[{_label_of(transcript, value)}]"})
    state, messages = engine(state, kind, value)
    transcript.extend(_as_json(message) for message in messages)
    return _page(request, staff, key, state, transcript[-KEEP:])


def _page(
    request: Request,
    staff: PageStaffDep,
    key: str,
    state: dict[str, Any],
    transcript: list[dict[str, Any]],
    error: str | None = None,
) -> Response:
    language = str(state.get("language", "en"))
    return render(
        request,
        "preview.html",
        staff,
        error=error,
        transcript=transcript,
        conversation=_sign(key, state, transcript),
        language=language,
        rtl=language in RIGHT_TO_LEFT,
        available=request.app.state.preview is not None,
    )


def _as_json(message: PreviewMessage) -> dict[str, Any]:
    rows = [[{"label": b.label, "data": b.data, "url": b.url} for b in row] for row in message.buttons]
    return {"from": "bot", "text": message.text, "buttons": rows, "notes": list(message.notes)}


def _label_of(transcript: list[dict[str, Any]], data: str) -> str:
    for entry in reversed(transcript):
        for row in entry.get("buttons", []):
            for button in row:
                if button.get("data") == data:
                    return str(button["label"])
    return data


def _sign(key: str, state: dict[str, Any], transcript: list[dict[str, Any]]) -> str:
    body = base64.urlsafe_b64encode(json.dumps([state, transcript], ensure_ascii=False).encode()).decode()
    return f"{body}.{_mac(key, body)}"


def _unsign(key: str, value: str) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    body, _, mac = value.rpartition(".")
    if not body or not hmac.compare_digest(mac.encode(), _mac(key, body).encode()):
        return None
    state, transcript = json.loads(base64.urlsafe_b64decode(body))
    return dict(state), list(transcript)


def _mac(key: str, body: str) -> str:
    return hmac.new(f"preview:{key}".encode(), body.encode(), hashlib.sha256).hexdigest()

"""What every page template gets: templates, labels, and the render helper."""

from __future__ import annotations

from datetime import datetime
from importlib.resources import files
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from brug.api.deps import Staff
from brug.core.languages import LANGUAGES

templates = Jinja2Templates(directory=str(files("brug.api") / "templates"))

LABELS = {
    "referent": "Referent",
    "young_person": "Young person",
    "family_arrived": "Family arrived",
    "professional": "Professional",
    "waiting": "Waiting",
    "arrived": "Family has arrived",
    "rejected": "Rejected",
    "asked_for_person": "Asked for a person",
    "crisis_signal": "Crisis signal",
    "said_yes_when_asked": "Said yes: thinks of ending their life",
    "concern_signals": "Concern signals",
    "checkin": "Check-in",
    "helped": "Helped",
    "referred_vluchtelingenwerk": "Referred to VluchtelingenWerk",
    "referred_huisarts": "Referred to huisarts",
    "referred_ggz": "Referred to GGZ",
    "referred_113": "Referred to 113",
    "referred_nidos": "Referred to Nidos",
    "referred_other": "Referred elsewhere",
    "no_contact": "No contact",
    "user_left": "The person ended it",
}


def render(
    request: Request,
    template: str,
    staff: Staff | None = None,
    *,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    now: datetime = request.app.state.clock()

    def waiting(since: datetime) -> str:
        minutes = max(0, int((now - since).total_seconds() // 60))
        return f"{minutes} min" if minutes < 120 else f"{minutes // 60} h"

    base = {
        "staff": staff,
        "csrf_token": staff.login.csrf_token if staff else None,
        "labels": LABELS,
        "language_names": LANGUAGES,
        "waiting": waiting,
    }
    return templates.TemplateResponse(request, template, {**base, **context}, status_code=status_code)

"""The JSON API's shapes. Field names here are a promise to other tools: change them only with care."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field

from brug.api.deps import MAX_ROW_ID
from brug.core.casework import CLOSING_OUTCOMES, MAX_REPLY_LENGTH


def _storable(value: str) -> str:
    """The database takes neither NUL nor a lone surrogate (JSON can carry both): a 422, not a 500."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode()
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    return value


Text = Annotated[str, AfterValidator(_storable)]


class Credentials(BaseModel):
    username: Text = Field(min_length=1, max_length=64)
    password: Text = Field(min_length=1, max_length=1024)


class SessionInfo(BaseModel):
    username: str
    role: str
    csrf_token: str


class CaseSummary(BaseModel):
    id: int
    pseudonym: str
    language: str
    severity: Literal["urgent", "normal"]
    status: Literal["open", "claimed", "closed"]
    reason: str
    assigned_to: int | None
    assigned_to_name: str | None
    role: str | None
    phase: str | None
    interpreter_needed: bool
    created_at: datetime
    last_message_at: datetime | None
    repage_rule: str


class ThreadEntry(BaseModel):
    direction: Literal["in", "out"]
    text: str
    at: datetime
    author: str
    severity: str | None
    categories: list[str]
    # A voice note: where the back office plays it (a route of its own, never Telegram's URL).
    voice_url: str | None = None


class CaseDetail(CaseSummary):
    outcome: str | None
    messages: list[ThreadEntry]


class ReplyIn(BaseModel):
    text: Text = Field(min_length=1, max_length=MAX_REPLY_LENGTH)


class CloseIn(BaseModel):
    outcome: Literal[tuple(outcome.value for outcome in CLOSING_OUTCOMES)]  # type: ignore[valid-type]


class AssignIn(BaseModel):
    key_person_id: int = Field(ge=1, le=MAX_ROW_ID)


class NoteIn(BaseModel):
    text: Text = Field(min_length=1, max_length=MAX_REPLY_LENGTH)


class InterpreterIn(BaseModel):
    needed: bool


class Accepted(BaseModel):
    status: Literal["queued"] = "queued"


class Problem(BaseModel):
    detail: str


class Unprocessable(BaseModel):
    """A 422: FastAPI's list of field errors, or one sentence (a bad filter, an invalid case action)."""

    detail: str | list[dict[str, Any]]

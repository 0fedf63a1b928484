"""Request dependencies: a short database session, the clock, and the logged-in key person."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Request, status
from sqlmodel import Session

from brug.core.db import session_scope
from brug.core.models import KeyPerson, Role, StaffSession
from brug.core.settings import Settings
from brug.core.staff import session_of

SESSION_COOKIE = "brug_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
# Row ids as the database holds them: a larger number would overflow the database integer (a 500),
# not just miss.
MAX_ROW_ID = 2**31 - 1
RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]


def same_secret(given: str, expected: str) -> bool:
    """Constant-time comparison that also takes non-ASCII input (a forged token is a 403, not a 500)."""
    return secrets.compare_digest(given.encode(), expected.encode())


def storable_query(request: Request) -> None:
    """A NUL character, which PostgreSQL cannot store, in a query string: a 422 before any route sees it."""
    _refuse_nul([item for pair in request.query_params.multi_items() for item in pair])


async def storable_form(request: Request) -> None:
    """The same for form fields, on the routers whose routes read forms (FastAPI parses a form once; this
    reads the parsed copy). The JSON API's shapes check their own fields."""
    if "form" in request.headers.get("content-type", ""):
        form = await request.form()
        _refuse_nul([item for pair in form.multi_items() for item in pair if isinstance(item, str)])


def _refuse_nul(values: list[str]) -> None:
    if any("\x00" in value for value in values):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "a field contains a NUL character")


def get_session(request: Request) -> Iterator[Session]:
    """Used with `scope="function"`: the commit happens before the response is sent (FastAPI's default
    is after), so a client that follows a login or a reply at once sees it, and a failed commit is a
    500 instead of a 200 for a change that was lost."""
    with session_scope(request.app.state.engine) as session:
        yield session


def get_now(request: Request) -> datetime:
    """The app's clock; tests replace `app.state.clock` to move time without sleeping."""
    clock: Callable[[], datetime] = request.app.state.clock
    return clock()


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
NowDep = Annotated[datetime, Depends(get_now)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


@dataclass(frozen=True)
class Staff:
    person: KeyPerson
    login: StaffSession

    @property
    def coordinator(self) -> bool:
        return self.person.role == Role.COORDINATOR


class NotLoggedIn(Exception):
    """Raised for pages: the app turns it into a redirect to the login page."""


def _staff(request: Request, session: Session, now: datetime) -> Staff | None:
    token = request.cookies.get(SESSION_COOKIE)
    found = session_of(session, token, now) if token else None
    return Staff(person=found[1], login=found[0]) if found else None


def get_api_staff(request: Request, session: SessionDep, now: NowDep) -> Staff:
    staff = _staff(request, session, now)
    if staff is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "log in first: POST /api/session")
    if request.method not in {"GET", "HEAD", "OPTIONS"}:
        sent = request.headers.get(CSRF_HEADER, "")
        if not same_secret(sent, staff.login.csrf_token):
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"missing or wrong {CSRF_HEADER} header")
    return staff


def get_page_staff(request: Request, session: SessionDep, now: NowDep) -> Staff:
    """For pages; form posts check the CSRF field themselves (see `check_csrf`)."""
    staff = _staff(request, session, now)
    if staff is None:
        raise NotLoggedIn
    return staff


def check_csrf(staff: Staff, token: str) -> None:
    if not same_secret(token, staff.login.csrf_token):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this form has expired; reload the page and try again")


def require_coordinator(staff: Staff) -> None:
    if not staff.coordinator:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only coordinators can do this")


ApiStaffDep = Annotated[Staff, Depends(get_api_staff)]
PageStaffDep = Annotated[Staff, Depends(get_page_staff)]

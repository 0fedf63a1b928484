"""The key persons' pages: log in, the queue, a case. Forms post here; the live parts use the JSON API."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session, col, select

from brug.api.charts import line_chart
from brug.api.deps import (
    SESSION_COOKIE,
    NowDep,
    PageStaffDep,
    RowId,
    SessionDep,
    SettingsDep,
    Staff,
    check_csrf,
    same_secret,
)
from brug.api.pages import render
from brug.api.routes.api import client_address, set_session_cookie
from brug.api.views import detail, queue_summaries
from brug.core import casework
from brug.core.keypersons import AccountError
from brug.core.languages import RIGHT_TO_LEFT
from brug.core.models import CannedReply, Case, KeyPerson
from brug.core.settings import Settings
from brug.core.staff import LoginFailed, LoginThrottled, first_coordinator, log_in, log_out, valid_setup_token

router = APIRouter(include_in_schema=False)
LOGIN_CSRF_COOKIE = "brug_login_csrf"
# A missing field is treated like a wrong one: 403, not a validation error.
CsrfField = Annotated[str, Form()]


def _login_form(
    request: Request,
    *,
    template: str = "login.html",
    error: str | None = None,
    status_code: int = 200,
    **context: Any,
) -> Response:
    """Login and setup forms have no session yet: their CSRF token is a double-submit cookie."""
    token = secrets.token_urlsafe(24)
    response = render(
        request, template, None, status_code=status_code, error=error, login_csrf=token, **context
    )
    settings: Settings = request.app.state.settings
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=settings.secure_cookies,
        path="/",
    )
    return response


def _check_login_csrf(request: Request, token: str) -> None:
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not same_secret(cookie, token):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this form has expired; reload the page and try again")


def _safe_next(target: str) -> str:
    """Only a path here: browsers take `/\\evil.example` and `/<tab>/evil.example` for `//evil.example`."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return "/" if any(ord(char) < 0x20 or ord(char) == 0x7F for char in target) else target


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> Response:
    return _login_form(request, next=_safe_next(next), username="")


@router.post("/login")
def login(
    request: Request,
    session: SessionDep,
    now: NowDep,
    settings: SettingsDep,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    csrf_token: CsrfField = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    _check_login_csrf(request, csrf_token)
    try:
        login = log_in(
            session, username=username, password=password, address=client_address(request), now=now
        )
    except (LoginFailed, LoginThrottled) as exc:
        session.commit()
        code = (
            status.HTTP_429_TOO_MANY_REQUESTS
            if isinstance(exc, LoginThrottled)
            else status.HTTP_401_UNAUTHORIZED
        )
        return _login_form(
            request,
            error=str(exc).capitalize() + ".",
            status_code=code,
            next=_safe_next(next),
            username=username,
        )
    casework.audit(session, login.person, "login", None, now=now)
    response = RedirectResponse(_safe_next(next), status_code=status.HTTP_303_SEE_OTHER)
    set_session_cookie(response, login.token, secure=settings.secure_cookies)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return response


@router.post("/logout")
def logout(
    request: Request, staff: PageStaffDep, session: SessionDep, csrf_token: CsrfField = ""
) -> Response:
    check_csrf(staff, csrf_token)
    log_out(session, request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=status.HTTP_303_SEE_OTHER)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/setup/{token}", response_class=HTMLResponse)
def setup_page(request: Request, token: str, session: SessionDep, now: NowDep) -> Response:
    if valid_setup_token(session, token, now) is None:
        return render(
            request,
            "message.html",
            status_code=404,
            heading="This link does not work",
            text="It was used already, has expired, or an account exists. Log in instead.",
        )
    return _login_form(request, template="setup.html", form={"username": "", "name": "", "languages": []})


@router.post("/setup/{token}")
def setup(
    request: Request,
    token: str,
    session: SessionDep,
    now: NowDep,
    settings: SettingsDep,
    username: Annotated[str, Form()],
    name: Annotated[str, Form()],
    password: Annotated[str, Form()],
    csrf_token: CsrfField = "",
    languages: Annotated[list[str] | None, Form()] = None,
) -> Response:
    _check_login_csrf(request, csrf_token)
    form = {"username": username, "name": name, "languages": languages or []}
    try:
        person = first_coordinator(
            session,
            token=token,
            username=username,
            name=name,
            languages=languages or [],
            password=password,
            now=now,
        )
    except AccountError as exc:
        return _login_form(request, template="setup.html", error=str(exc), status_code=422, form=form)
    if person is None:
        return render(
            request,
            "message.html",
            status_code=404,
            heading="This link does not work",
            text="It was used already, has expired, or an account exists. Log in instead.",
        )
    return login(request, session, now, settings, username, password, csrf_token)


@router.get("/", response_class=HTMLResponse)
def queue_page(
    request: Request, staff: PageStaffDep, session: SessionDep, now: NowDep, settings: SettingsDep
) -> Response:
    rows = casework.queue_rows(session, staff.person, now, ["open", "claimed"])
    cases = queue_summaries(rows, settings)
    return render(request, "queue.html", staff, cases=cases, telegram_mode=request.app.state.telegram_mode)


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(
    request: Request,
    case_id: RowId,
    staff: PageStaffDep,
    session: SessionDep,
    now: NowDep,
    settings: SettingsDep,
) -> Response:
    case = casework.case_for(session, staff.person, case_id, now)
    casework.audit(session, staff.person, "view", case, now=now)
    return _case_page(request, staff, session, case, settings)


def _case_page(
    request: Request, staff: Staff, session: SessionDep, case: Case, settings: SettingsDep
) -> Response:
    shown = detail(session, case, settings)
    canned = session.exec(
        select(CannedReply).where(CannedReply.language == case.language).order_by(col(CannedReply.title))
    ).all()
    totals = casework.checkin_totals(session, case)
    chart = (
        line_chart(
            [(at.strftime("%d %b"), total) for at, total in totals],
            title="Check-in total (4 = bad, 20 = good)",
            y_min=4,
            y_max=20,
        )
        if totals
        else None
    )
    mine = case.assigned_to == staff.person.id
    people: list[KeyPerson] = []
    if staff.coordinator or mine:
        people = [
            p
            for p in session.exec(
                select(KeyPerson).where(col(KeyPerson.active)).order_by(col(KeyPerson.name))
            ).all()
            if p.id != case.assigned_to
        ]
    return render(
        request,
        "case.html",
        staff,
        case=shown,
        rtl=case.language in RIGHT_TO_LEFT,
        canned=canned,
        chart=chart,
        notes=casework.notes(session, case),
        mine=mine,
        people=people,
        outcomes=casework.CLOSING_OUTCOMES,
    )


@dataclass(frozen=True)
class CaseForm:
    """A form posted on a case page: the CSRF field is checked and the case is one the key person may see."""

    staff: Staff
    case: Case
    session: Session
    now: datetime

    @property
    def person(self) -> KeyPerson:
        return self.staff.person

    def back(self) -> Response:
        return RedirectResponse(f"/cases/{self.case.id}", status_code=status.HTTP_303_SEE_OTHER)


def _case_form(
    case_id: RowId, staff: PageStaffDep, session: SessionDep, now: NowDep, csrf_token: CsrfField = ""
) -> CaseForm:
    check_csrf(staff, csrf_token)
    return CaseForm(staff, casework.case_for(session, staff.person, case_id, now), session, now)


CaseFormDep = Annotated[CaseForm, Depends(_case_form)]


@router.post("/cases/{case_id}/claim")
def claim(form: CaseFormDep) -> Response:
    casework.claim(form.session, form.person, form.case, form.now)
    return form.back()


@router.post("/cases/{case_id}/reply")
def reply(form: CaseFormDep, text: Annotated[str, Form()]) -> Response:
    casework.reply(form.session, form.person, form.case, text, form.now)
    return form.back()


@router.post("/cases/{case_id}/close")
def close(form: CaseFormDep, outcome: Annotated[str, Form()]) -> Response:
    casework.close(form.session, form.person, form.case, outcome, form.now)
    return form.back()


@router.post("/cases/{case_id}/reopen")
def reopen(form: CaseFormDep) -> Response:
    casework.reopen(form.session, form.person, form.case, form.now)
    return form.back()


@router.post("/cases/{case_id}/assign")
def assign(form: CaseFormDep, key_person_id: Annotated[int, Form()]) -> Response:
    casework.assign(form.session, form.person, form.case, key_person_id, form.now)
    # A key person who handed the case over may no longer see it.
    return (
        form.back()
        if form.staff.coordinator
        else RedirectResponse("/", status_code=status.HTTP_303_SEE_OTHER)
    )


@router.post("/cases/{case_id}/notes")
def add_note(form: CaseFormDep, text: Annotated[str, Form()]) -> Response:
    casework.add_note(form.session, form.person, form.case, text, form.now)
    return form.back()


@router.post("/cases/{case_id}/interpreter")
def interpreter(form: CaseFormDep, needed: Annotated[bool, Form()]) -> Response:
    casework.set_interpreter(form.session, form.person, form.case, needed, form.now)
    return form.back()


def login_redirect(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target)}", status_code=status.HTTP_303_SEE_OTHER)

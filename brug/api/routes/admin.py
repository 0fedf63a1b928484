"""Coordinators' pages (people, canned replies, audit log, dashboard) and each key person's account.

Forms post here with the page's CSRF field and are answered with a 303 to a page (post/redirect/get).
A confirmation is asked for with `?done=<key>`, and only the fixed texts in `DONE` are ever shown.
A one-time code (Telegram link, invite) is carried over the redirect in a short-lived, http-only cookie
that only /account receives and that is deleted when shown: never in a URL, so never in a log.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy import func
from sqlmodel import Session, col, delete, select

from brug.api.charts import PALETTE, bar_chart, grouped_bar_chart, line_chart
from brug.api.deps import (
    NowDep,
    PageStaffDep,
    RowId,
    SessionDep,
    SettingsDep,
    Staff,
    check_csrf,
    require_coordinator,
)
from brug.api.pages import LABELS, render
from brug.core import casework, dashboard
from brug.core.keypersons import MIN_PASSWORD_LENGTH, AccountError, create_key_person
from brug.core.languages import LANGUAGES, RIGHT_TO_LEFT
from brug.core.models import (
    AuditEntry,
    CannedReply,
    Case,
    CaseStatus,
    KeyPerson,
    Role,
    Severity,
    StaffSession,
)
from brug.core.passwords import hash_password, password_ok
from brug.core.settings import Settings
from brug.core.staff import LINK_CODE_LIFETIME, active_key_persons, new_invite, new_link_code

router = APIRouter(include_in_schema=False)

# A missing field is treated like a wrong one: 403, not a validation error.
Csrf = Annotated[str, Form()]
ONCE_COOKIE = "brug_once"
ONCE_LIFETIME = 300
_ONCE_SHAPES = {
    "link": re.compile(r"^[0-9]{8}$"),
    "invite": re.compile(r"^kp[A-Za-z0-9_-]{1,62}$"),
}
AUDIT_PAGE_SIZE = 100
MAX_TITLE_LENGTH = 80
MAX_NAME_LENGTH = 120
CHART_WIDTH = 720

DONE = {
    "unlinked": "Telegram is no longer linked: you get no more notifications there.",
    "backup": "Your backup is saved.",
    "password": "Your password is changed. Other devices where you were logged in are logged out.",
    "created": "The account is created. Give the person their username and initial password in person.",
    "deactivated": "The account is deactivated: the person can no longer log in. Cases they hold stay "
    "assigned to them until you assign them to someone else.",
    "reactivated": "The account is active again.",
    "languages": "The languages are saved.",
    "role": "The role is saved.",
    "canned_added": "The canned reply is added.",
    "canned_deleted": "The canned reply is deleted.",
}


def _coordinator(staff: PageStaffDep) -> Staff:
    require_coordinator(staff)
    return staff


CoordinatorDep = Annotated[Staff, Depends(_coordinator)]


def _go(path: str, done: str | None = None) -> Response:
    assert done is None or done in DONE
    target = f"{path}?done={done}" if done else path
    return RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER)


def _flash(done: str | None) -> str | None:
    return DONE.get(done) if done else None


def _person(session: Session, person_id: int) -> KeyPerson:
    person = session.get(KeyPerson, person_id)
    if person is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"there is no key person {person_id}")
    return person


def _languages(chosen: Iterable[str] | None) -> list[str]:
    """Known language codes, in the usual order; at least one."""
    picked = set(chosen or [])
    unknown = picked - set(LANGUAGES)
    if unknown:
        raise AccountError(f"unknown language: {', '.join(sorted(unknown))}")
    if not picked:
        raise AccountError("choose at least one language")
    return [code for code in LANGUAGES if code in picked]


def _sentence(exc: Exception) -> str:
    text = str(exc)
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise AccountError(f"role must be one of {', '.join(Role)}") from None


# ---------------------------------------------------------------- account


@router.get("/account", response_class=HTMLResponse)
def account_page(
    request: Request,
    staff: PageStaffDep,
    session: SessionDep,
    now: NowDep,
    settings: SettingsDep,
    done: str | None = None,
) -> Response:
    once = _read_once(request)
    response = _account(request, staff, session, settings, now, flash=_flash(done), once=once)
    if ONCE_COOKIE in request.cookies:
        response.delete_cookie(ONCE_COOKIE, path="/account")
    return response


def _read_once(request: Request) -> tuple[str, str] | None:
    kind, _, code = request.cookies.get(ONCE_COOKIE, "").partition(":")
    shape = _ONCE_SHAPES.get(kind)
    return (kind, code) if shape is not None and shape.match(code) else None


def _account(
    request: Request,
    staff: Staff,
    session: Session,
    settings: Settings,
    now: datetime,
    *,
    flash: str | None = None,
    error: str | None = None,
    once: tuple[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    person = staff.person
    link_code = once[1] if once and once[0] == "link" else None
    invite_code = once[1] if once and once[0] == "invite" else None
    bot = settings.telegram_bot_username
    code_waiting = (
        person.link_code_hash is not None
        and person.link_code_expires_at is not None
        and person.link_code_expires_at > now
    )
    backup = session.get(KeyPerson, person.backup_id) if person.backup_id is not None else None
    return render(
        request,
        "account.html",
        staff,
        status_code=status_code,
        flash=flash,
        error=error,
        person=person,
        role_label="Coordinator" if person.role == Role.COORDINATOR else "Key person",
        bot_username=bot,
        link_code=link_code,
        link_minutes=int(LINK_CODE_LIFETIME.total_seconds() // 60),
        code_waiting_until=person.link_code_expires_at if code_waiting and not link_code else None,
        invite_code=invite_code,
        invite_url=f"https://t.me/{bot}?start={invite_code}" if invite_code and bot else None,
        backup=backup,
        candidates=[p for p in active_key_persons(session) if p.id != person.id],
        min_password=MIN_PASSWORD_LENGTH,
    )


def _with_once(response: Response, kind: str, code: str, settings: Settings) -> Response:
    response.set_cookie(
        ONCE_COOKIE,
        f"{kind}:{code}",
        max_age=ONCE_LIFETIME,
        httponly=True,
        samesite="strict",
        secure=settings.secure_cookies,
        path="/account",
    )
    return response


@router.post("/account/telegram/code")
def telegram_code(
    staff: PageStaffDep, session: SessionDep, now: NowDep, settings: SettingsDep, csrf_token: Csrf = ""
) -> Response:
    check_csrf(staff, csrf_token)
    code = new_link_code(session, staff.person, now)
    casework.audit(session, staff.person, "account", None, "Telegram link code made", now=now)
    return _with_once(_go("/account"), "link", code, settings)


@router.post("/account/telegram/unlink")
def telegram_unlink(staff: PageStaffDep, session: SessionDep, now: NowDep, csrf_token: Csrf = "") -> Response:
    check_csrf(staff, csrf_token)
    person = staff.person
    person.telegram_chat_id = None
    person.link_code_hash = person.link_code_expires_at = None
    session.add(person)
    casework.audit(session, person, "account", None, "Telegram unlinked", now=now)
    return _go("/account", "unlinked")


@router.post("/account/invite")
def invite(
    staff: PageStaffDep, session: SessionDep, now: NowDep, settings: SettingsDep, csrf_token: Csrf = ""
) -> Response:
    check_csrf(staff, csrf_token)
    code = new_invite(session, staff.person, now)
    casework.audit(session, staff.person, "account", None, "invite link made", now=now)
    return _with_once(_go("/account"), "invite", code, settings)


@router.post("/account/backup")
def set_backup(
    request: Request,
    staff: PageStaffDep,
    session: SessionDep,
    now: NowDep,
    settings: SettingsDep,
    backup_id: Annotated[str, Form()] = "",
    csrf_token: Csrf = "",
) -> Response:
    check_csrf(staff, csrf_token)
    person = staff.person
    backup: KeyPerson | None = None
    if backup_id.strip():
        wanted = backup_id.strip()
        found = session.get(KeyPerson, int(wanted)) if re.fullmatch(r"[0-9]{1,9}", wanted) else None
        if found is None or not found.active or found.id == person.id:
            error = "Choose another active key person as your backup, or nobody."
            return _account(request, staff, session, settings, now, error=error, status_code=422)
        backup = found
    person.backup_id = backup.id if backup else None
    session.add(person)
    detail = f"backup: {backup.username}" if backup else "backup: nobody"
    casework.audit(session, person, "account", None, detail, now=now)
    return _go("/account", "backup")


@router.post("/account/password")
def change_password(
    request: Request,
    staff: PageStaffDep,
    session: SessionDep,
    now: NowDep,
    settings: SettingsDep,
    old_password: Annotated[str, Form()] = "",
    new_password: Annotated[str, Form()] = "",
    new_password_again: Annotated[str, Form()] = "",
    csrf_token: Csrf = "",
) -> Response:
    check_csrf(staff, csrf_token)
    person = staff.person
    error = None
    if not password_ok(person.password_hash, old_password):
        error = "Your current password is not right."
    elif len(new_password) < MIN_PASSWORD_LENGTH:
        error = f"The new password needs at least {MIN_PASSWORD_LENGTH} characters."
    elif new_password != new_password_again:
        error = "The two new passwords are not the same."
    if error:
        return _account(request, staff, session, settings, now, error=error, status_code=422)
    person.password_hash = hash_password(new_password)
    session.add(person)
    # Whoever else was logged in as this person (a lost phone, a shared computer) is logged out.
    session.exec(
        delete(StaffSession).where(
            col(StaffSession.key_person_id) == person.id,
            col(StaffSession.token_hash) != staff.login.token_hash,
        )
    )
    casework.audit(session, person, "account", None, "password changed", now=now)
    return _go("/account", "password")


# ---------------------------------------------------------------- people


@router.get("/people", response_class=HTMLResponse)
def people_page(
    request: Request, staff: CoordinatorDep, session: SessionDep, done: str | None = None
) -> Response:
    return _people(request, staff, session, flash=_flash(done))


def _people(
    request: Request,
    staff: Staff,
    session: Session,
    *,
    flash: str | None = None,
    error: str | None = None,
    form: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    people = session.exec(
        select(KeyPerson).order_by(col(KeyPerson.active).desc(), col(KeyPerson.name), col(KeyPerson.id))
    ).all()
    by_id = {p.id: p for p in people}
    held = dict(
        session.exec(
            select(Case.assigned_to, func.count())
            .where(col(Case.status) == CaseStatus.CLAIMED, col(Case.assigned_to).is_not(None))
            .group_by(col(Case.assigned_to))
        ).all()
    )
    rows = [
        {
            "person": p,
            "backup": by_id.get(p.backup_id) if p.backup_id is not None else None,
            "holds": held.get(p.id, 0),
            "self": p.id == staff.person.id,
        }
        for p in people
    ]
    return render(
        request,
        "people.html",
        staff,
        status_code=status_code,
        flash=flash,
        error=error,
        rows=rows,
        roles=list(Role),
        form=form or {"username": "", "name": "", "languages": [], "role": Role.KEYPERSON},
        min_password=MIN_PASSWORD_LENGTH,
    )


@router.post("/people")
def create_person(
    request: Request,
    staff: CoordinatorDep,
    session: SessionDep,
    now: NowDep,
    username: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = Role.KEYPERSON.value,
    password: Annotated[str, Form()] = "",
    languages: Annotated[list[str] | None, Form()] = None,
    csrf_token: Csrf = "",
) -> Response:
    check_csrf(staff, csrf_token)
    username = username.strip().lower()
    form = {"username": username, "name": name, "languages": languages or [], "role": role}
    try:
        if len(name.strip()) > MAX_NAME_LENGTH:
            raise AccountError(f"name: at most {MAX_NAME_LENGTH} characters")
        person = create_key_person(
            session,
            username=username,
            name=name,
            languages=_languages(languages),
            role=_role(role),
            password=password,
        )
    except AccountError as exc:
        return _people(request, staff, session, error=_sentence(exc), form=form, status_code=422)
    detail = f"created {person.username} ({person.role}; {', '.join(person.languages)})"
    casework.audit(session, staff.person, "account", None, detail, now=now)
    return _go("/people", "created")


@router.post("/people/{person_id}/active")
def set_active(
    request: Request,
    person_id: RowId,
    staff: CoordinatorDep,
    session: SessionDep,
    now: NowDep,
    active: Annotated[bool, Form()],
    csrf_token: Csrf = "",
) -> Response:
    check_csrf(staff, csrf_token)
    person = _person(session, person_id)
    if person.id == staff.person.id:
        error = "You cannot deactivate your own account; ask another coordinator."
        return _people(request, staff, session, error=error, status_code=422)
    if person.active == active:
        return _go("/people")
    person.active = active
    session.add(person)
    if not active:
        # Their sessions end now, and do not come back if the account is reactivated later.
        session.exec(delete(StaffSession).where(col(StaffSession.key_person_id) == person.id))
    verb = "reactivated" if active else "deactivated"
    casework.audit(session, staff.person, "account", None, f"{verb} {person.username}", now=now)
    return _go("/people", verb)


@router.post("/people/{person_id}/languages")
def set_languages(
    request: Request,
    person_id: RowId,
    staff: CoordinatorDep,
    session: SessionDep,
    now: NowDep,
    languages: Annotated[list[str] | None, Form()] = None,
    csrf_token: Csrf = "",
) -> Response:
    check_csrf(staff, csrf_token)
    person = _person(session, person_id)
    try:
        person.languages = _languages(languages)
    except AccountError as exc:
        return _people(request, staff, session, error=f"{person.name}: {exc}.", status_code=422)
    session.add(person)
    detail = f"languages of {person.username}: {', '.join(person.languages)}"
    casework.audit(session, staff.person, "account", None, detail, now=now)
    return _go("/people", "languages")


@router.post("/people/{person_id}/role")
def set_role(
    request: Request,
    person_id: RowId,
    staff: CoordinatorDep,
    session: SessionDep,
    now: NowDep,
    role: Annotated[str, Form()] = "",
    csrf_token: Csrf = "",
) -> Response:
    check_csrf(staff, csrf_token)
    person = _person(session, person_id)
    try:
        new_role = _role(role)
    except AccountError as exc:
        return _people(request, staff, session, error=_sentence(exc), status_code=422)
    if person.id == staff.person.id and new_role != person.role:
        # So there is always at least one coordinator: the one who would make the change.
        error = "You cannot change your own role; ask another coordinator."
        return _people(request, staff, session, error=error, status_code=422)
    person.role = new_role
    session.add(person)
    casework.audit(session, staff.person, "account", None, f"role of {person.username}: {new_role}", now=now)
    return _go("/people", "role")


# ---------------------------------------------------------------- canned replies


@router.get("/canned", response_class=HTMLResponse)
def canned_page(
    request: Request, staff: CoordinatorDep, session: SessionDep, done: str | None = None
) -> Response:
    return _canned(request, staff, session, flash=_flash(done))


def _canned(
    request: Request,
    staff: Staff,
    session: Session,
    *,
    flash: str | None = None,
    error: str | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    replies = session.exec(select(CannedReply).order_by(col(CannedReply.title), col(CannedReply.id))).all()
    groups = [
        {
            "code": code,
            "lang": code.replace("_", "-"),
            "dir": "rtl" if code in RIGHT_TO_LEFT else "ltr",
            "replies": [r for r in replies if r.language == code],
        }
        for code in LANGUAGES
    ]
    # A reply in a language Brug no longer speaks is still listed, so it can be deleted.
    others = [r for r in replies if r.language not in LANGUAGES]
    return render(
        request,
        "canned.html",
        staff,
        status_code=status_code,
        flash=flash,
        error=error,
        groups=groups,
        others=others,
        form=form or {"language": "", "title": "", "text": ""},
        max_title=MAX_TITLE_LENGTH,
        max_text=casework.MAX_REPLY_LENGTH,
    )


@router.post("/canned")
def add_canned(
    request: Request,
    staff: CoordinatorDep,
    session: SessionDep,
    now: NowDep,
    language: Annotated[str, Form()] = "",
    title: Annotated[str, Form()] = "",
    text: Annotated[str, Form()] = "",
    csrf_token: Csrf = "",
) -> Response:
    check_csrf(staff, csrf_token)
    title, text = title.strip(), text.strip()
    error = None
    if language not in LANGUAGES:
        error = "Choose the language of the reply."
    elif not title or len(title) > MAX_TITLE_LENGTH:
        error = f"The title needs 1 to {MAX_TITLE_LENGTH} characters."
    elif not text or len(text) > casework.MAX_REPLY_LENGTH:
        error = f"The text needs 1 to {casework.MAX_REPLY_LENGTH} characters."
    if error:
        form = {"language": language, "title": title, "text": text}
        return _canned(request, staff, session, error=error, form=form, status_code=422)
    reply = CannedReply(language=language, title=title, text=text, created_at=now)
    session.add(reply)
    session.flush()
    casework.audit(session, staff.person, "canned", None, f"added #{reply.id} ({language})", now=now)
    return _go("/canned", "canned_added")


@router.post("/canned/{reply_id}/delete")
def delete_canned(
    reply_id: RowId, staff: CoordinatorDep, session: SessionDep, now: NowDep, csrf_token: Csrf = ""
) -> Response:
    check_csrf(staff, csrf_token)
    reply = session.get(CannedReply, reply_id)
    if reply is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"there is no canned reply {reply_id}")
    session.delete(reply)
    casework.audit(session, staff.person, "canned", None, f"deleted #{reply_id} ({reply.language})", now=now)
    return _go("/canned", "canned_deleted")


# ---------------------------------------------------------------- audit log


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    staff: CoordinatorDep,
    session: SessionDep,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    case_text: Annotated[str, Query(alias="case", max_length=12)] = "",
) -> Response:
    # A text, not an int: the filter form sends `case=` when its field is left empty.
    case = int(case_text) if re.fullmatch(r"[0-9]{1,9}", case_text.strip()) else None
    if case is None and case_text.strip():
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "case: give a case number")
    query = select(AuditEntry, KeyPerson.name).outerjoin(
        KeyPerson, col(AuditEntry.actor_id) == col(KeyPerson.id)
    )
    if case is not None:
        query = query.where(col(AuditEntry.case_id) == case)
    rows = session.exec(
        query.order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc())
        .offset((page - 1) * AUDIT_PAGE_SIZE)
        .limit(AUDIT_PAGE_SIZE + 1)
    ).all()
    entries = [{"entry": entry, "who": name or "system"} for entry, name in rows[:AUDIT_PAGE_SIZE]]
    filter_query = f"case={case}&" if case is not None else ""
    return render(
        request,
        "audit.html",
        staff,
        entries=entries,
        case_filter=case,
        page=page,
        newer=f"/audit?{filter_query}page={page - 1}" if page > 1 else None,
        older=f"/audit?{filter_query}page={page + 1}" if len(rows) > AUDIT_PAGE_SIZE else None,
    )


# ---------------------------------------------------------------- dashboard


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard_page(request: Request, staff: CoordinatorDep, session: SessionDep, now: NowDep) -> Response:
    window = dashboard.Window.last_weeks(now)
    weeks = [day.strftime("%d %b") for day in window.week_starts]
    by_reason = dashboard.cases_per_week_by_reason(session, window)
    by_language = dashboard.cases_by_language(session, window)
    by_phase = dashboard.cases_by_phase(session, window)
    first_reply = dashboard.median_first_reply(session, window)
    signals = dashboard.signals_by_category(session, window)
    checkins = dashboard.checkin_average_per_week(session, window)
    medians = [
        (label, first_reply[severity], _minutes(first_reply[severity].median_minutes))
        for severity, label in ((Severity.URGENT, "Urgent"), (Severity.NORMAL, "Normal"))
    ]
    charts: dict[str, Markup] = {
        "reasons": grouped_bar_chart(
            weeks if by_reason else [],
            _at_most_palette({LABELS.get(r, r): counts for r, counts in by_reason.items()}),
            title="Cases per week (week starting Monday), by reason",
            width=CHART_WIDTH,
            height=240,
            empty_text="No data yet",
        ),
        "languages": bar_chart(
            [(LANGUAGES.get(code, code), n) for code, n in by_language.items()],
            title="Cases by language",
            width=CHART_WIDTH,
            empty_text="No data yet",
        ),
        "phases": bar_chart(
            [(LABELS.get(phase, phase), n) for phase, n in by_phase.items()],
            title="Cases by phase",
            width=CHART_WIDTH,
            empty_text="No data yet",
        ),
        "first_reply": bar_chart(
            [(label, m.median_minutes) for label, m, _ in medians if m.median_minutes is not None],
            title="Median minutes to the first reply",
            unit="min",
            empty_text="No data yet",
        ),
        "signals": bar_chart(
            [(category.replace("_", " "), n) for category, n in signals.items()],
            title="Messages with signals, by category",
            width=CHART_WIDTH,
            empty_text="No data yet",
        ),
        "checkins": line_chart(
            [(week, value) for week, value in zip(weeks, checkins, strict=True) if value is not None],
            title="Average check-in total per week (4 = bad, 20 = good)",
            y_min=4,
            y_max=20,
            width=CHART_WIDTH,
            empty_text="No data yet",
        ),
    }
    return render(
        request,
        "dashboard.html",
        staff,
        charts=charts,
        medians=medians,
        total_cases=sum(by_language.values()),
        any_data=bool(by_language or signals or any(v is not None for v in checkins)),
        first_week=window.week_starts[0],
        last_day=(window.end - timedelta(days=1)).date(),
    )


def _minutes(value: float | None) -> str | None:
    """30 for 30.0, 7.5 for 7.5: one decimal at most."""
    return None if value is None else f"{value:.1f}".removesuffix(".0")


def _at_most_palette(groups: dict[str, list[int]]) -> dict[str, list[int]]:
    """The chart tells groups apart by colour: the largest keep their own, the rest become "Other"."""
    if len(groups) <= len(PALETTE):
        return groups
    ranked = sorted(groups, key=lambda name: -sum(groups[name]))
    kept = {name: groups[name] for name in ranked[: len(PALETTE) - 1]}
    rest = [groups[name] for name in ranked[len(PALETTE) - 1 :]]
    kept["Other"] = [sum(values) for values in zip(*rest, strict=True)]
    return kept

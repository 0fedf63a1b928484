"""The JSON API: used by the pages' live parts and by other tools. Stable names; errors are JSON."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response, status
from fastapi.responses import JSONResponse

from brug.api.deps import (
    SESSION_COOKIE,
    ApiStaffDep,
    NowDep,
    RowId,
    SessionDep,
    SettingsDep,
    Staff,
)
from brug.api.schemas import (
    Accepted,
    AssignIn,
    CaseDetail,
    CaseSummary,
    CloseIn,
    Credentials,
    InterpreterIn,
    NoteIn,
    Problem,
    ReplyIn,
    SessionInfo,
    Unprocessable,
)
from brug.api.views import detail, queue_summaries, summaries
from brug.core import casework
from brug.core.models import Case, CaseStatus
from brug.core.staff import SESSION_LIFETIME, LoginFailed, LoginThrottled, log_in, log_out

router = APIRouter(prefix="/api", tags=["api"])
ERRORS: dict[int | str, dict[str, object]] = {
    401: {"model": Problem, "description": "not logged in"},
    403: {"model": Problem, "description": "not yours, or a missing CSRF token"},
    404: {"model": Problem, "description": "no such case"},
    409: {"model": Problem, "description": "the case is not in a state for this"},
    422: {"model": Unprocessable, "description": "invalid input"},
}


def set_session_cookie(response: Response, token: str, *, secure: bool) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=secure,
        path="/",
    )


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.post(
    "/session",
    responses={401: {"model": Problem}, 422: {"model": Unprocessable}, 429: {"model": Problem}},
)
def create_session(
    credentials: Credentials,
    request: Request,
    response: Response,
    session: SessionDep,
    now: NowDep,
    settings: SettingsDep,
) -> SessionInfo:
    try:
        login = log_in(
            session,
            username=credentials.username,
            password=credentials.password,
            address=client_address(request),
            now=now,
        )
    except LoginThrottled as exc:
        session.commit()
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS, str(exc), headers={"Retry-After": str(exc.retry_after)}
        ) from None
    except LoginFailed as exc:
        session.commit()  # the failure counts, although the request fails
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, str(exc)) from None
    set_session_cookie(response, login.token, secure=settings.secure_cookies)
    casework.audit(session, login.person, "login", None, now=now)
    return SessionInfo(username=login.person.username, role=login.person.role, csrf_token=login.csrf_token)


@router.delete("/session", status_code=status.HTTP_204_NO_CONTENT, responses=ERRORS)
def delete_session(request: Request, staff: ApiStaffDep, session: SessionDep) -> Response:
    log_out(session, request.cookies.get(SESSION_COOKIE, ""))
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/cases", responses=ERRORS)
def list_cases(
    staff: ApiStaffDep,
    session: SessionDep,
    now: NowDep,
    settings: SettingsDep,
    status_filter: Annotated[
        str, Query(alias="status", description="comma list of open, claimed, closed")
    ] = "open,claimed",
) -> list[CaseSummary]:
    """Cases you may see, urgent first, then oldest first."""
    statuses = [part.strip() for part in status_filter.split(",") if part.strip()]
    if not statuses or any(s not in set(CaseStatus) for s in statuses):
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, "status: a comma list of open, claimed, closed"
        )
    return queue_summaries(casework.queue_rows(session, staff.person, now, statuses), settings)


@router.get("/cases/{case_id}", responses=ERRORS)
def get_case(
    case_id: RowId, staff: ApiStaffDep, session: SessionDep, now: NowDep, settings: SettingsDep
) -> CaseDetail:
    return detail(session, _case(session, staff, case_id, now), settings)


@router.post("/cases/{case_id}/claim", responses=ERRORS)
def claim_case(
    case_id: RowId, staff: ApiStaffDep, session: SessionDep, now: NowDep, settings: SettingsDep
) -> CaseSummary:
    case = _case(session, staff, case_id, now)
    casework.claim(session, staff.person, case, now)
    return summaries(session, [case], settings)[0]


@router.post("/cases/{case_id}/reply", status_code=status.HTTP_202_ACCEPTED, responses=ERRORS)
def reply_to_case(
    case_id: RowId, body: ReplyIn, staff: ApiStaffDep, session: SessionDep, now: NowDep
) -> Accepted:
    """Queued for the user's Telegram chat; 202 because Telegram has not confirmed it yet."""
    casework.reply(session, staff.person, _case(session, staff, case_id, now), body.text, now)
    return Accepted()


@router.post("/cases/{case_id}/close", responses=ERRORS)
def close_case(
    case_id: RowId, body: CloseIn, staff: ApiStaffDep, session: SessionDep, now: NowDep, settings: SettingsDep
) -> CaseSummary:
    case = _case(session, staff, case_id, now)
    casework.close(session, staff.person, case, body.outcome, now)
    return summaries(session, [case], settings)[0]


@router.post("/cases/{case_id}/reopen", responses=ERRORS)
def reopen_case(
    case_id: RowId, staff: ApiStaffDep, session: SessionDep, now: NowDep, settings: SettingsDep
) -> CaseSummary:
    case = _case(session, staff, case_id, now)
    casework.reopen(session, staff.person, case, now)
    return summaries(session, [case], settings)[0]


@router.post("/cases/{case_id}/assign", responses=ERRORS)
def assign_case(
    case_id: RowId,
    body: AssignIn,
    staff: ApiStaffDep,
    session: SessionDep,
    now: NowDep,
    settings: SettingsDep,
) -> CaseSummary:
    case = _case(session, staff, case_id, now)
    casework.assign(session, staff.person, case, body.key_person_id, now)
    return summaries(session, [case], settings)[0]


@router.post("/cases/{case_id}/notes", status_code=status.HTTP_201_CREATED, responses=ERRORS)
def add_note(
    case_id: RowId, body: NoteIn, staff: ApiStaffDep, session: SessionDep, now: NowDep
) -> dict[str, int]:
    note = casework.add_note(session, staff.person, _case(session, staff, case_id, now), body.text, now)
    session.flush()
    assert note.id is not None
    return {"id": note.id}


@router.post("/cases/{case_id}/interpreter", responses=ERRORS)
def set_interpreter(
    case_id: RowId,
    body: InterpreterIn,
    staff: ApiStaffDep,
    session: SessionDep,
    now: NowDep,
    settings: SettingsDep,
) -> CaseSummary:
    case = _case(session, staff, case_id, now)
    casework.set_interpreter(session, staff.person, case, body.needed, now)
    return summaries(session, [case], settings)[0]


def _case(session: SessionDep, staff: Staff, case_id: RowId, now: NowDep) -> Case:
    return casework.case_for(session, staff.person, case_id, now)


STATUS_OF_PROBLEM = {
    casework.Problem.NOT_FOUND: status.HTTP_404_NOT_FOUND,
    casework.Problem.FORBIDDEN: status.HTTP_403_FORBIDDEN,
    casework.Problem.CONFLICT: status.HTTP_409_CONFLICT,
    casework.Problem.INVALID: status.HTTP_422_UNPROCESSABLE_CONTENT,
}


def case_error_response(exc: casework.CaseError) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=STATUS_OF_PROBLEM[exc.problem])

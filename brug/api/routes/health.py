from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from brug.core.db import session_scope

router = APIRouter()


@router.get("/healthz")
def healthz(request: Request) -> JSONResponse:
    """For load balancers and operators: 200 when the database answers, 503 when it does not."""
    try:
        with session_scope(request.app.state.engine) as session:
            session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok", "telegram": request.app.state.telegram_mode})

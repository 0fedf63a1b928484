"""A user's voice note, played in the case page: the same rules as the case page, then Telegram's file
passed through. The browser never sees the bot token or Telegram's file URL."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status
from fastapi.responses import StreamingResponse

from brug.api.deps import NowDep, PageStaffDep, RowId, SessionDep, SettingsDep
from brug.core import casework
from brug.core.models import Message
from brug.core.telegram_files import FileUnavailable, open_voice

router = APIRouter(include_in_schema=False)


def _listened_file_id(
    case_id: RowId, message_id: RowId, staff: PageStaffDep, session: SessionDep, now: NowDep
) -> str:
    """Sync, so FastAPI runs it off the event loop; committed here, so no connection is held while the
    file streams."""
    case = casework.case_for(session, staff.person, case_id, now)
    shown = {m.message_id for m in casework.thread(session, case) if m.voice}
    message = session.get(Message, message_id) if message_id in shown else None
    if message is None or message.file_id is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "there is no such voice message in this case")
    casework.audit(session, staff.person, "listen", case, now=now)
    session.commit()
    return message.file_id


@router.get("/cases/{case_id}/voice/{message_id}")
async def voice_note(
    file_id: Annotated[str, Depends(_listened_file_id)], settings: SettingsDep
) -> StreamingResponse:
    try:
        voice = await open_voice(settings, file_id)
    except FileUnavailable as exc:
        raise HTTPException(
            status.HTTP_502_BAD_GATEWAY, "Telegram does not give this voice message now"
        ) from exc
    headers = {"Cache-Control": "private, no-store", "Content-Disposition": "inline"}
    if voice.size is not None:
        headers["Content-Length"] = str(voice.size)
    return StreamingResponse(voice.chunks(), media_type=voice.content_type, headers=headers)

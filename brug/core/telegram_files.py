"""Fetching a user's file (a voice note) from Telegram over HTTP, for the back office to pass on.

Plain httpx, not python-telegram-bot: the back office never imports the bot. The download URL holds the
bot token, so it stays here: callers get the bytes and a content type, never the URL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx

from brug.core.settings import Settings

TIMEOUT = httpx.Timeout(10.0, read=30.0)
# Telegram sends voice notes as OGG/Opus; its file server does not always say so.
VOICE_TYPE = "audio/ogg"


class FileUnavailable(Exception):
    """Telegram is not configured, not reachable, or does not have the file (any more)."""


@dataclass
class TelegramFile:
    content_type: str
    size: int | None
    _response: httpx.Response
    _client: httpx.AsyncClient

    async def chunks(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.aiter_bytes():
                yield chunk
        finally:
            await self.close()

    async def close(self) -> None:
        await self._response.aclose()
        await self._client.aclose()


def file_base_url(settings: Settings) -> str:
    """`https://api.telegram.org/bot` → `https://api.telegram.org/file/bot`, for a self-hosted server too."""
    base = settings.telegram_api_url
    root = base.removesuffix("/bot") if base.endswith("/bot") else base.rstrip("/")
    return f"{root}/file/bot"


async def open_voice(settings: Settings, file_id: str) -> TelegramFile:
    """getFile, then start the download; the caller streams `chunks()` (which closes the connection)."""
    token = settings.telegram_bot_token
    if not token:
        raise FileUnavailable("no bot token is configured")
    client = httpx.AsyncClient(timeout=TIMEOUT)
    try:
        answer = await client.post(f"{settings.telegram_api_url}{token}/getFile", json={"file_id": file_id})
        path = _file_path(answer)
        response = await client.send(
            client.build_request("GET", f"{file_base_url(settings)}{token}/{path}"), stream=True
        )
        if response.status_code != httpx.codes.OK:
            await response.aclose()
            raise FileUnavailable(f"file download answered {response.status_code}")
    except (httpx.HTTPError, ValueError) as exc:
        await client.aclose()
        raise FileUnavailable(type(exc).__name__) from exc
    except FileUnavailable:
        await client.aclose()
        raise
    return TelegramFile(_content_type(response), _size(response), response, client)


def _file_path(answer: httpx.Response) -> str:
    body = answer.json()
    result = body.get("result") if isinstance(body, dict) and body.get("ok") else None
    path = result.get("file_path") if isinstance(result, dict) else None
    if not isinstance(path, str) or not path or ".." in path:
        raise FileUnavailable(f"getFile answered {answer.status_code} without a file path")
    return path


def _content_type(response: httpx.Response) -> str:
    given = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return given if given.startswith("audio/") else VOICE_TYPE


def _size(response: httpx.Response) -> int | None:
    length = response.headers.get("content-length", "")
    return int(length) if length.isdigit() else None

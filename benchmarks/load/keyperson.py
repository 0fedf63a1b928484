"""The key person: answers every case through the back office's JSON API, as a browser tool would."""

from __future__ import annotations

import asyncio
import contextlib
import time

import httpx
from sqlalchemy.engine import URL

from benchmarks.load.users import LANGUAGES, RELAY_MARK
from brug.core.db import create_db_engine, session_scope
from brug.core.keypersons import create_key_person
from brug.core.models import Role
from tests.constants import VAULT

USERNAME = "loadtest"
PASSWORD = "load benchmark password"  # noqa: S105  a throw-away account in a throw-away database
POLL_SECONDS = 0.5


def add_key_person(database_url: URL) -> None:
    """A coordinator for all languages, so every case is in their queue."""
    engine = create_db_engine(database_url, VAULT)
    try:
        with session_scope(engine) as session:
            create_key_person(
                session, username=USERNAME, name="Lena", languages=list(LANGUAGES),
                role=Role.COORDINATOR, password=PASSWORD,
            )  # fmt: skip
    finally:
        engine.dispose()


async def answer_cases(base_url: str, relayed: dict[int, float], stop: asyncio.Event) -> list[str]:
    """Log in; until `stop`, claim each open case and reply, noting when each reply was posted.

    Returns the API errors met (a claim that lost a race is one)."""
    errors: list[str] = []
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        login = await client.post("/api/session", json={"username": USERNAME, "password": PASSWORD})
        login.raise_for_status()
        headers = {"X-CSRF-Token": login.json()["csrf_token"]}
        while not stop.is_set():
            cases = await client.get("/api/cases", params={"status": "open"})
            if cases.status_code == 401 and len(errors) < 10:
                # Seen on PostgreSQL right after the login: its transaction may commit after the answer.
                errors.append("401 on /api/cases right after logging in")
                await asyncio.sleep(0.1)
                continue
            cases.raise_for_status()
            for case in cases.json():
                await _answer(client, headers, int(case["id"]), relayed, errors)
            await _sleep_until(stop, POLL_SECONDS)
    return errors


async def _answer(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    case: int,
    relayed: dict[int, float],
    errors: list[str],
) -> None:
    claim = await client.post(f"/api/cases/{case}/claim", headers=headers)
    if claim.status_code != 200:
        errors.append(f"claim {case}: {claim.status_code}")
        return
    text = f"I am here to help you. ({RELAY_MARK} {case})"
    relayed[case] = time.monotonic()
    reply = await client.post(f"/api/cases/{case}/reply", json={"text": text}, headers=headers)
    if reply.status_code != 202:
        errors.append(f"reply {case}: {reply.status_code}")


async def _sleep_until(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)

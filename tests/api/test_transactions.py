"""A request's transaction is committed before its response leaves: the next request sees its changes."""

from __future__ import annotations

from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import URL
from starlette.testclient import TestClient
from starlette.types import Message, Receive, Scope, Send

from brug.core.models import StaffSession
from tests.api.conftest import PASSWORD, BackOffice


def test_a_login_is_committed_before_its_response_is_sent(back_office: BackOffice, database_url: URL) -> None:
    """A browser follows the login's redirect at once; an uncommitted session would send it back to login."""
    back_office.person("amina", languages=["ar"])
    app = back_office.client.app
    observer = create_engine(database_url)  # its own connection: sees only what was committed
    sessions_at_response: list[int] = []

    async def watched(scope: Scope, receive: Receive, send: Send) -> None:
        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                with observer.connect() as connection:
                    count = select(func.count()).select_from(StaffSession)
                    sessions_at_response.append(connection.execute(count).scalar_one())
            await send(message)

        await app(scope, receive, watch)

    try:
        with TestClient(watched, base_url="http://127.0.0.1:8000") as client:
            response = client.post("/api/session", json={"username": "amina", "password": PASSWORD})
    finally:
        observer.dispose()
    assert response.status_code == 200
    assert sessions_at_response == [1]

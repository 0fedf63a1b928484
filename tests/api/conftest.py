"""The back office in-process: a TestClient on a fresh database, a clock the test moves, and helpers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.engine import URL

from brug.api.app import create_app
from brug.core.cases import request_person
from brug.core.db import session_scope
from brug.core.keypersons import create_key_person
from brug.core.models import Case, KeyPerson, Message, Role, Severity, User
from brug.core.settings import Settings, load_settings
from tests.constants import SECRET_KEY

PASSWORD = "correct horse battery"
START = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)


@dataclass
class Clock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class BackOffice:
    engine: Engine
    settings: Settings
    clock: Clock
    client: TestClient
    _users: int = field(default=0)

    def person(
        self, username: str, *, languages: list[str], role: Role = Role.KEYPERSON, name: str = ""
    ) -> int:
        with session_scope(self.engine) as session:
            person = create_key_person(
                session,
                username=username,
                name=name or username.capitalize(),
                languages=languages,
                role=role,
                password=PASSWORD,
            )
            assert person.id is not None
            return person.id

    def login(self, username: str, client: TestClient | None = None) -> str:
        """Log in; returns the CSRF token for mutating calls."""
        response = (client or self.client).post(
            "/api/session", json={"username": username, "password": PASSWORD}
        )
        assert response.status_code == 200, response.text
        return str(response.json()["csrf_token"])

    def case(
        self,
        *,
        language: str = "ar",
        severity: Severity = Severity.NORMAL,
        reason: str = "asked_for_person",
        texts: tuple[str, ...] = (),
        contact_person_id: int | None = None,
    ) -> int:
        """A user in `language` who wrote `texts`, then asked for a person."""
        self._users += 1
        with session_scope(self.engine) as session:
            user = User(
                telegram_key=f"key-{self._users}",
                chat_id=500_000 + self._users,
                language=language,
                language_chosen=True,
                contact_person_id=contact_person_id,
                created_at=self.clock.now,
            )
            session.add(user)
            session.flush()
            assert user.id is not None
            for text in texts:
                session.add(
                    Message(
                        user_id=user.id, direction="in", kind="text", text=text, created_at=self.clock.now
                    )
                )
            case = request_person(session, user=user, severity=severity, reason=reason, now=self.clock.now)
            assert case.id is not None
            return case.id

    def get(self, model: type[Case] | type[KeyPerson] | type[User], key: int) -> object:
        with session_scope(self.engine) as session:
            return session.get(model, key)


@pytest.fixture
def back_office(db: Engine, database_url: URL) -> Iterator[BackOffice]:
    settings = load_settings(
        brug_env="test",
        database_url=database_url.render_as_string(hide_password=False),
        brug_secret_key=SECRET_KEY,
    )
    clock = Clock()
    app = create_app(settings, db, clock=clock)
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        yield BackOffice(db, settings, clock, client)

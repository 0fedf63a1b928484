"""The whole relay in one process, as `brug run` serves it: the bot over the fake Bot API and the back
office's JSON API on the same database. A user asks for a person; a key person finds the case, claims
it, replies; the reply reaches the user's Telegram chat; the user's answer appears in the case thread."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from brug.bot import support
from brug.core.casework import LEAVE_CASE
from brug.core.db import create_db_engine, session_scope
from brug.core.i18n import translations
from brug.core.keypersons import create_key_person
from brug.core.models import Role
from brug.core.settings import Settings
from brug.service import build_app
from tests.fake_bot_api import FakeBotAPI

CHAT = 4242
PASSWORD = "correct horse battery"


def _buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [(button["text"], button["callback_data"]) for row in rows for button in row]


def _message_with_button(fake: FakeBotAPI, data: str) -> dict[str, Any]:
    return fake.wait_for(
        lambda: next((m for m in fake.sent_messages(CHAT) if any(d == data for _, d in _buttons(m))), None),
        what=f"a message with the button {data}",
    )


def _text_containing(fake: FakeBotAPI, fragment: str) -> str:
    return fake.wait_for(
        lambda: next(
            (str(m["text"]) for m in fake.sent_messages(CHAT) if fragment in str(m.get("text"))), None
        ),
        what=f"a message containing {fragment!r}",
    )


def test_user_to_key_person_and_back(bot_settings: Settings, fake_telegram: FakeBotAPI) -> None:
    engine = create_db_engine(bot_settings.database, bot_settings.vault)
    with session_scope(engine) as session:
        create_key_person(
            session, username="amina", name="Amina", languages=["ar"], role=Role.KEYPERSON, password=PASSWORD
        )
    _ = translations("ar").gettext
    with TestClient(build_app(bot_settings, engine)) as office:
        fake = fake_telegram
        fake.push_text(CHAT, "/start", language_code="ar")
        keyboard = _message_with_button(fake, "lang:ar")
        fake.push_callback(CHAT, "lang:ar", message_id=keyboard["message_id"], language_code="ar")
        fake.push_text(CHAT, "مرحبا", language_code="ar")
        offer = _message_with_button(fake, support.PERSON_REQUEST)
        fake.push_callback(CHAT, support.PERSON_REQUEST, message_id=offer["message_id"], language_code="ar")
        _text_containing(fake, _(support.PERSON_COMING).split("\n")[0])

        csrf = office.post("/api/session", json={"username": "amina", "password": PASSWORD}).json()[
            "csrf_token"
        ]
        headers = {"X-CSRF-Token": csrf}
        cases = fake.wait_for(
            lambda: office.get("/api/cases?status=open").json(), what="the case in the queue"
        )
        assert [(c["language"], c["reason"], c["severity"]) for c in cases] == [
            ("ar", "asked_for_person", "normal")
        ]
        case_id = cases[0]["id"]

        assert office.post(f"/api/cases/{case_id}/claim", headers=headers).json()["status"] == "claimed"
        joined = _message_with_button(fake, f"{LEAVE_CASE}:{case_id}")
        assert "Amina" in joined["text"]

        reply = office.post(
            f"/api/cases/{case_id}/reply", json={"text": "أنا هنا. كيف حالك؟"}, headers=headers
        )
        assert reply.status_code == 202
        delivered = _text_containing(fake, "أنا هنا. كيف حالك؟")
        assert delivered.startswith("Amina")

        sent_before = len(fake.sent_messages(CHAT))
        fake.push_text(CHAT, "الحمد لله، شكرا", language_code="ar")

        def answer_in_thread() -> list[dict[str, Any]] | None:
            thread = office.get(f"/api/cases/{case_id}").json()["messages"]
            return [m for m in thread if m["text"] == "الحمد لله، شكرا"] or None

        (answer,) = fake.wait_for(answer_in_thread, what="the user's answer in the thread")
        assert answer["direction"] == "in" and answer["author"] != "Brug"
        thread = office.get(f"/api/cases/{case_id}").json()["messages"]
        assert [m["direction"] for m in thread if m["author"] == "Amina"] == ["out"]
        # While a person talks with them, the bot itself keeps quiet.
        assert len(fake.sent_messages(CHAT)) == sent_before
    engine.dispose()

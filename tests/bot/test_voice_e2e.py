"""A voice note inside an open case reaches the key person: kept (its file_id encrypted), not answered by
the bot, and playable on the case page through the back office, which fetches it from Telegram."""

from __future__ import annotations

import asyncio
import re

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session, col, select

from brug.api.app import create_app
from brug.bot.runtime import BotRuntime
from brug.core.db import session_scope
from brug.core.keypersons import create_key_person
from brug.core.models import Message, Role
from brug.core.settings import Settings
from tests.bot.test_relay_e2e import QUIET, joined
from tests.constants import TOKEN
from tests.fake_bot_api import FakeBotAPI

PASSWORD = "correct horse battery"
SOUND = b"OggS\x00\x02" + bytes(range(256)) * 40
VOICE = {
    "voice": {"file_id": "voice-1", "file_unique_id": "u-voice-1", "duration": 7, "mime_type": "audio/ogg"}
}
HTML = {"accept": "text/html"}


def staff(runtime: BotRuntime) -> None:
    with session_scope(runtime.engine) as session:
        for username, languages, role in (
            ("coord", ["ar"], Role.COORDINATOR),
            ("dawit", ["ti"], Role.KEYPERSON),
        ):
            create_key_person(
                session, username=username, name=username.capitalize(), languages=languages, role=role,
                password=PASSWORD,
            )  # fmt: skip


def log_in(client: TestClient, username: str) -> None:
    response = client.post("/api/session", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text


async def test_a_voice_note_in_a_case_reaches_the_key_person_and_plays_in_the_back_office(
    runtime: BotRuntime, fake_telegram: FakeBotAPI, bot_settings: Settings
) -> None:
    fake, chat = fake_telegram, 560_001
    case_id, _joined = await joined(runtime, fake, chat, "en")
    # Telegram's file server does not always name the type: the back office says audio/ogg.
    fake.add_file("voice-1", SOUND, media_type="application/octet-stream")
    shown = len(fake.sent_messages(chat))
    fake.push_message(chat, VOICE)

    def stored() -> Message | None:
        with Session(runtime.engine) as session:
            return session.exec(select(Message).where(Message.kind == "voice")).first()

    voice = await fake.await_for(stored, what="the voice note stored")
    assert (voice.file_id, voice.duration, voice.direction) == ("voice-1", 7, "in")
    await asyncio.sleep(QUIET)
    assert len(fake.sent_messages(chat)) == shown, "the key person answers, not the bot"
    with runtime.engine.connect() as connection:
        raw = connection.execute(text("SELECT file_id FROM messages WHERE file_id IS NOT NULL")).scalar_one()
    assert raw.startswith("gAAAAA") and "voice-1" not in raw, "the file_id is encrypted at rest"

    staff(runtime)
    page, played, headers = await asyncio.to_thread(play, bot_settings, runtime, case_id)
    (source,) = re.findall(r'<audio controls preload="none" src="([^"]+)"', page)
    assert source == f"/cases/{case_id}/voice/{voice.id}"
    assert played == SOUND
    assert headers["content-type"] == "audio/ogg"
    assert "no-store" in headers["cache-control"] and "private" in headers["cache-control"]
    assert "media-src 'self'" in headers["content-security-policy"]
    assert TOKEN not in page and all(TOKEN not in value for value in headers.values())
    assert [call.method for call in fake.calls() if call.method in {"getFile", "download"}] == [
        "getFile",
        "download",
    ]


def play(settings: Settings, runtime: BotRuntime, case_id: int) -> tuple[str, bytes, dict[str, str]]:
    with TestClient(create_app(settings, runtime.engine)) as client:
        log_in(client, "coord")
        page = client.get(f"/cases/{case_id}", headers=HTML)
        assert page.status_code == 200
        (source,) = re.findall(r'<audio controls preload="none" src="([^"]+)"', page.text)
        played = client.get(source)
        assert played.status_code == 200, played.text
        thread = client.get(f"/api/cases/{case_id}").json()["messages"]
        assert [m["voice_url"] for m in thread if m["voice_url"]] == [source]
        return page.text, played.content, dict(played.headers)


async def test_only_who_may_see_the_case_can_play_its_voice_notes(
    runtime: BotRuntime, fake_telegram: FakeBotAPI, bot_settings: Settings
) -> None:
    fake, chat = fake_telegram, 560_002
    case_id, _joined = await joined(runtime, fake, chat, "en")
    fake.add_file("voice-1", SOUND)
    fake.push_message(chat, VOICE)
    fake.push_text(chat, "and some words")

    def ids() -> tuple[int, int] | None:
        with Session(runtime.engine) as session:
            rows = session.exec(
                select(Message).where(Message.direction == "in").order_by(col(Message.id))
            ).all()
        by_kind = {m.kind: m.id for m in rows}
        if "voice" not in by_kind or rows[-1].kind != "text":
            return None
        return by_kind["voice"], rows[-1].id  # type: ignore[return-value]

    voice_id, text_id = await fake.await_for(ids, what="both messages stored")
    staff(runtime)

    def statuses() -> list[int]:
        with TestClient(create_app(bot_settings, runtime.engine)) as client:
            anonymous = client.get(f"/cases/{case_id}/voice/{voice_id}", follow_redirects=False).status_code
            log_in(client, "dawit")  # Tigrinya only: not this case
            other = client.get(f"/cases/{case_id}/voice/{voice_id}").status_code
            log_in(client, "coord")
            not_a_voice = client.get(f"/cases/{case_id}/voice/{text_id}").status_code
            no_case = client.get(f"/cases/{case_id + 1}/voice/{voice_id}").status_code
            fake.fail("getFile", status=400, description="Bad Request: wrong file_id")
            gone = client.get(f"/cases/{case_id}/voice/{voice_id}").status_code
        return [anonymous, other, not_a_voice, no_case, gone]

    assert await asyncio.to_thread(statuses) == [303, 403, 404, 404, 502]  # 303: to the login page
    assert [call.method for call in fake.calls() if call.method == "download"] == []

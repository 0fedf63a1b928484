"""Webhook mode: the whole app served by uvicorn on loopback, the fake Bot API delivering updates to it."""

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
import uvicorn

from brug.core.db import create_db_engine
from brug.core.settings import Settings
from brug.service import build_app
from tests.bot.conversation import LANGUAGE_LABELS, keyboard_labels, wait_for_language_keyboard, wait_for_text
from tests.fake_bot_api import FakeBotAPI

CHAT = 7770001
SECRET = "webhook-secret_123"


@dataclass
class Served:
    url: str
    settings: Settings


@pytest.fixture
async def served(bot_settings: Settings) -> AsyncIterator[Served]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = bot_settings.model_copy(
        update={"brug_webhook_url": f"{base}/telegram/webhook", "brug_webhook_secret": SECRET}
    )
    engine = create_db_engine(settings.database, settings.vault)
    server = uvicorn.Server(uvicorn.Config(build_app(settings, engine), log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    for _ in range(500):
        if server.started:
            break
        await asyncio.sleep(0.02)
    yield Served(base, settings)
    server.should_exit = True
    await task
    engine.dispose()


async def test_updates_arrive_by_webhook_and_are_answered(served: Served, fake_telegram: FakeBotAPI) -> None:
    assert fake_telegram.webhook_url == f"{served.url}/telegram/webhook"
    assert fake_telegram.webhook_secret == SECRET
    fake_telegram.push_text(CHAT, "/start", language_code="ar")
    keyboard = await wait_for_language_keyboard(fake_telegram, CHAT)
    assert keyboard_labels(keyboard) == LANGUAGE_LABELS
    fake_telegram.push_callback(CHAT, "lang:nl", message_id=keyboard["message_id"])
    await wait_for_text(fake_telegram, CHAT, "Nederlands")
    delivered = [status for _, status in fake_telegram.webhook_deliveries()]
    assert delivered == [200, 200]


@pytest.mark.parametrize(
    ("headers", "body", "status"),
    [
        ({}, b'{"update_id": 1}', 403),
        ({"X-Telegram-Bot-Api-Secret-Token": "wrong"}, b'{"update_id": 1}', 403),
        ({"X-Telegram-Bot-Api-Secret-Token": SECRET}, b"{not json", 400),
        ({"X-Telegram-Bot-Api-Secret-Token": SECRET}, b'["a list"]', 400),
        ({"X-Telegram-Bot-Api-Secret-Token": SECRET}, b'{"no_update_id": true}', 400),
        ({"X-Telegram-Bot-Api-Secret-Token": SECRET}, b'{"update_id": 2, "message": "not an object"}', 400),
        (
            {"X-Telegram-Bot-Api-Secret-Token": SECRET},
            b'{"update_id": 1, "x": "' + b"a" * 1_100_000 + b'"}',
            413,
        ),
    ],
)
async def test_bad_webhook_requests_get_a_clean_4xx(
    served: Served, headers: dict[str, str], body: bytes, status: int
) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{served.url}/telegram/webhook", content=body, headers=headers)
    assert response.status_code == status
    assert "detail" in json.loads(response.content)


async def test_a_repeated_delivery_is_handled_once(served: Served, fake_telegram: FakeBotAPI) -> None:
    update = {
        "update_id": 900,
        "message": {
            "message_id": 1, "date": 1764400000, "text": "/help",
            "chat": {"id": CHAT, "type": "private"}, "from": {"id": CHAT, "is_bot": False, "first_name": "S"},
            "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
        },
    }  # fmt: skip
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    async with httpx.AsyncClient() as client:
        for _ in range(3):
            response = await client.post(f"{served.url}/telegram/webhook", json=update, headers=headers)
            assert response.status_code == 200
    await fake_telegram.await_for(lambda: fake_telegram.calls("sendMessage"), what="the help reply")
    await asyncio.sleep(0.5)
    assert len(fake_telegram.calls("sendMessage")) == 1

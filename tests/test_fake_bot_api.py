"""Tests of the fake Bot API server, driven by the real python-telegram-bot client.

python-telegram-bot strips a leading "Bad Request: " from error descriptions and applies
`str.capitalize()` to the rest, hence matches such as "Bot_command_invalid".
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken, RetryAfter, TimedOut
from telegram.request import HTTPXRequest

from tests.fake_bot_api import WEBHOOK_SECRET_HEADER, FakeBotAPI, bind_loopback_socket

CHAT = 1001
YES_NO = InlineKeyboardMarkup(
    [[InlineKeyboardButton("Yes", callback_data="yes"), InlineKeyboardButton("No", callback_data="no")]]
)
YES_NO_DATA = {
    "inline_keyboard": [[{"text": "Yes", "callback_data": "yes"}, {"text": "No", "callback_data": "no"}]]
}


@pytest.fixture
def fake() -> Iterator[FakeBotAPI]:
    with FakeBotAPI() as api:
        yield api


def make_bot(fake: FakeBotAPI, token: str | None = None) -> Bot:
    """A Bot with PTB's default requests, except that no CA bundle is loaded.

    The fake speaks plain HTTP, and loading certificates costs about 50 ms per HTTPXRequest.
    """
    return Bot(
        token or fake.token,
        base_url=fake.base_url,
        request=HTTPXRequest(httpx_kwargs={"verify": False}),
        get_updates_request=HTTPXRequest(connection_pool_size=1, httpx_kwargs={"verify": False}),
    )


@pytest.fixture
async def bot(fake: FakeBotAPI) -> AsyncIterator[Bot]:
    async with make_bot(fake) as client:
        yield client


@pytest.fixture
def chat(fake: FakeBotAPI) -> int:
    """A private chat the bot may write to; its /start is update 1 and message 1."""
    fake.push_text(CHAT, "/start")
    return CHAT


async def test_initialize_uses_get_me(fake: FakeBotAPI, bot: Bot) -> None:
    assert bot.username == "brug_test_bot"
    assert bot.id == 123456
    assert [call.method for call in fake.calls()] == ["getMe"]


async def test_send_message_records_decoded_markup(fake: FakeBotAPI, bot: Bot, chat: int) -> None:
    message = await bot.send_message(chat, "Ready?", reply_markup=YES_NO)

    assert message.message_id == 2
    assert message.reply_markup == YES_NO
    [call] = fake.calls("sendMessage")
    assert call.params["chat_id"] == chat
    assert call.params["reply_markup"] == YES_NO_DATA
    [sent] = fake.sent_messages(chat)
    assert (sent["text"], sent["reply_markup"]) == ("Ready?", YES_NO_DATA)


async def test_reply_keyboard_is_stored_but_not_returned(fake: FakeBotAPI, bot: Bot, chat: int) -> None:
    message = await bot.send_message(chat, "Language?", reply_markup=ReplyKeyboardMarkup([["English"]]))

    assert message.reply_markup is None
    assert fake.sent_messages(chat)[0]["reply_markup"]["keyboard"] == [[{"text": "English"}]]


async def test_send_message_to_unknown_chat_fails(fake: FakeBotAPI, bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(999, "hello")
    assert len(fake.calls("sendMessage")) == 1


async def test_get_updates_offset_confirms_earlier_updates(fake: FakeBotAPI, bot: Bot) -> None:
    ids = [fake.push_text(CHAT, f"message {n}") for n in range(3)]

    assert ids == [1, 2, 3]
    assert [u.update_id for u in await bot.get_updates()] == [1, 2, 3]
    assert [u.update_id for u in await bot.get_updates(offset=3)] == [3]
    assert [u.update_id for u in await bot.get_updates()] == [3]
    assert await bot.get_updates(offset=4) == ()
    assert fake.calls("getUpdates")[1].params["offset"] == 3


async def test_negative_offset_keeps_only_the_last_updates(fake: FakeBotAPI, bot: Bot) -> None:
    for n in range(3):
        fake.push_text(CHAT, f"message {n}")

    assert [u.update_id for u in await bot.get_updates(offset=-1)] == [3]
    assert [u.update_id for u in await bot.get_updates()] == [3]


async def test_allowed_updates_filters_update_types(fake: FakeBotAPI, bot: Bot, chat: int) -> None:
    fake.push_callback(chat, "yes", message_id=1)

    updates = await bot.get_updates(allowed_updates=["callback_query"])

    assert [u.update_id for u in updates] == [2]
    assert [u.update_id for u in await bot.get_updates()] == [2]


async def test_push_update_raw(fake: FakeBotAPI, bot: Bot) -> None:
    member = {
        "chat": {"id": 3003, "type": "private", "first_name": "Selam"},
        "from": {"id": 3003, "is_bot": False, "first_name": "Selam"},
        "date": 1_700_000_000,
        "old_chat_member": {"status": "member", "user": {"id": 1, "is_bot": True, "first_name": "Brug"}},
        "new_chat_member": {
            "status": "kicked",
            "until_date": 0,
            "user": {"id": 1, "is_bot": True, "first_name": "Brug"},
        },
    }

    assert fake.push_update({"update_id": 10, "my_chat_member": member}) == 10
    assert fake.push_update({"my_chat_member": member}) == 11
    updates = await bot.get_updates()

    assert [u.update_id for u in updates] == [10, 11]
    assert updates[0].my_chat_member is not None
    assert updates[0].my_chat_member.new_chat_member.status == "kicked"
    assert (await bot.send_message(3003, "known chat now")).chat.id == 3003


async def test_second_bot_instance_polling_terminates_the_first(fake: FakeBotAPI, bot: Bot) -> None:
    """PTB allows one getUpdates at a time per Bot (pool of one), so the rival is another Bot."""
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.2)
    async with make_bot(fake) as rival:
        second = asyncio.create_task(rival.get_updates(timeout=5))

        with pytest.raises(Conflict, match="terminated by other getUpdates request"):
            await asyncio.wait_for(first, 3)
        fake.push_text(CHAT, "for the survivor")
        assert [u.update_id for u in await asyncio.wait_for(second, 3)] == [1]


async def test_get_updates_limit(fake: FakeBotAPI, bot: Bot) -> None:
    for n in range(3):
        fake.push_text(CHAT, f"message {n}")

    assert [u.update_id for u in await bot.get_updates(limit=2)] == [1, 2]


async def test_long_poll_returns_as_soon_as_an_update_arrives(fake: FakeBotAPI, bot: Bot) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.3)
    assert not poll.done()

    started = time.monotonic()
    await asyncio.to_thread(fake.push_text, CHAT, "hello")
    updates = await asyncio.wait_for(poll, 3)

    assert time.monotonic() - started < 1.5
    assert [u.message.text for u in updates if u.message] == ["hello"]


async def test_long_poll_times_out_empty(fake: FakeBotAPI, bot: Bot) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=1) == ()
    assert 0.9 < time.monotonic() - started < 3


async def test_pushed_text_is_parsed_by_ptb(fake: FakeBotAPI, bot: Bot) -> None:
    fake.push_text(CHAT, "/start join", username="amanuel", language_code="ti")

    [update] = await bot.get_updates()

    assert update.message is not None and update.message.from_user is not None
    assert update.message.text == "/start join"
    assert update.message.from_user.language_code == "ti"
    assert update.message.from_user.username == "amanuel"
    assert update.message.chat.type == "private"
    assert update.message.parse_entities([MessageEntity.BOT_COMMAND]) == {
        MessageEntity(MessageEntity.BOT_COMMAND, 0, 6): "/start"
    }


async def test_plain_text_has_no_entities(fake: FakeBotAPI, bot: Bot) -> None:
    fake.push_text(CHAT, "hello /start")

    [update] = await bot.get_updates()

    assert update.message is not None and update.message.entities == ()


async def test_callback_query_and_answer_once(fake: FakeBotAPI, bot: Bot, chat: int) -> None:
    sent = await bot.send_message(chat, "Ready?", reply_markup=YES_NO)
    fake.push_callback(chat, "yes", message_id=sent.message_id, language_code="ar")

    [update] = await bot.get_updates(offset=2)

    query = update.callback_query
    assert fake.unanswered_callback_queries() == 1
    assert query is not None and isinstance(query.message, Message)
    assert (query.data, query.from_user.id, query.from_user.language_code) == ("yes", chat, "ar")
    assert query.message.message_id == sent.message_id
    assert query.message.reply_markup == YES_NO
    assert await bot.answer_callback_query(query.id, text="Thanks") is True
    assert fake.unanswered_callback_queries() == 0
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(query.id)


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_injected_429_raises_retry_after_and_has_no_effect(
    fake: FakeBotAPI, bot: Bot, chat: int
) -> None:
    fake.fail("sendMessage", status=429, description="Too Many Requests: retry after 7", retry_after=7)

    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(chat, "first")
    await bot.send_message(chat, "second")

    assert caught.value.retry_after in (7, dtm.timedelta(seconds=7))
    assert len(fake.calls("sendMessage")) == 2
    assert [m["text"] for m in fake.sent_messages(chat)] == ["second"]


async def test_fault_limited_to_one_chat(fake: FakeBotAPI, bot: Bot, chat: int) -> None:
    fake.push_text(2002, "hi")
    fake.fail("sendmessage", status=400, description="Bad Request: boom", times=2, chat_id=2002)

    await bot.send_message(chat, "unaffected")
    for _ in range(2):
        with pytest.raises(BadRequest, match="Boom"):
            await bot.send_message(2002, "fails")
    await bot.send_message(2002, "works again")
    fake.fail("sendMessage", status=502, description="Bad Gateway", times=10)
    fake.clear_faults()
    await bot.send_message(2002, "and again")

    assert [m["text"] for m in fake.sent_messages(2002)] == ["works again", "and again"]


async def test_blocked_chat_raises_forbidden(fake: FakeBotAPI, bot: Bot, chat: int) -> None:
    fake.block(chat)

    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(chat, "anyone there?")
    with pytest.raises(Forbidden):
        await bot.send_chat_action(chat, "typing")
    assert fake.sent_messages(chat) == []


async def test_message_length_limit(fake: FakeBotAPI, bot: Bot, chat: int) -> None:
    await bot.send_message(chat, "x" * 4096)
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(chat, "x" * 4097)
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(chat, "  ")
    assert len(fake.sent_messages(chat)) == 1


async def test_wrong_token_is_invalid_token(fake: FakeBotAPI) -> None:
    other = make_bot(fake, token="999:WRONG")

    with pytest.raises(InvalidToken):
        await other.initialize()
    await other.shutdown()
    assert fake.calls() == []


async def test_commands_per_scope_and_language(fake: FakeBotAPI, bot: Bot) -> None:
    scope = BotCommandScopeChat(CHAT)
    await bot.set_my_commands([BotCommand("start", "Begin")])
    await bot.set_my_commands([BotCommand("help", "ሓገዝ")], scope=scope, language_code="ti")

    assert fake.commands(chat_id=CHAT, language_code="ti") == [{"command": "help", "description": "ሓገዝ"}]
    assert fake.commands() == [{"command": "start", "description": "Begin"}]
    assert fake.commands(chat_id=CHAT) == []
    assert await bot.get_my_commands(scope=scope, language_code="ti") == (BotCommand("help", "ሓገዝ"),)
    await bot.delete_my_commands(scope=scope, language_code="ti")
    assert fake.commands(chat_id=CHAT, language_code="ti") == []


async def test_invalid_command_name_is_rejected(fake: FakeBotAPI, bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Start", "Begin")])
    assert fake.commands() == []


async def test_edit_message_text_and_markup(fake: FakeBotAPI, bot: Bot, chat: int) -> None:
    sent = await bot.send_message(chat, "Ready?", reply_markup=YES_NO)

    edited = await bot.edit_message_text("Done", chat_id=chat, message_id=sent.message_id)
    assert not isinstance(edited, bool) and edited.text == "Done" and edited.edit_date is not None
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("Done", chat_id=chat, message_id=sent.message_id)
    await bot.edit_message_reply_markup(chat_id=chat, message_id=sent.message_id, reply_markup=YES_NO)
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("Nope", chat_id=chat, message_id=77)

    [stored] = fake.sent_messages(chat)
    assert (stored["text"], stored["reply_markup"]) == ("Done", YES_NO_DATA)


async def test_delete_message(fake: FakeBotAPI, bot: Bot, chat: int) -> None:
    sent = await bot.send_message(chat, "temporary")

    assert await bot.delete_message(chat, sent.message_id) is True
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(chat, sent.message_id)
    assert fake.sent_messages(chat) == []


async def test_delay_makes_client_time_out_but_call_takes_effect(
    fake: FakeBotAPI, bot: Bot, chat: int
) -> None:
    fake.set_delay("sendMessage", 2)

    with pytest.raises(TimedOut):
        await bot.send_message(chat, "slow", read_timeout=0.2)
    assert [m["text"] for m in fake.sent_messages(chat)] == ["slow"]


async def test_raw_http_json_query_and_errors(fake: FakeBotAPI, chat: int) -> None:
    async with httpx.AsyncClient(base_url=f"{fake.base_url}{fake.token}") as client:
        me = (await client.get("/GETME")).json()
        await client.post("/sendMessage", json={"chat_id": str(chat), "text": "42"})
        await client.get(
            "/sendMessage", params={"chat_id": chat, "text": "true", "disable_notification": "true"}
        )
        unknown = await client.post("/sendTelepathy")
        wrong_token = await client.get(f"{fake.base_url}1:nope/getMe")
        no_bot_path = await client.get(f"http://127.0.0.1:{fake.port}/favicon.ico")

    assert me["ok"] and me["result"]["username"] == "brug_test_bot"
    assert [call.params for call in fake.calls("sendMessage")] == [
        {"chat_id": chat, "text": "42"},
        {"chat_id": chat, "text": "true", "disable_notification": True},
    ]
    assert [m["text"] for m in fake.sent_messages(chat)] == ["42", "true"]
    assert (unknown.status_code, unknown.json()["description"]) == (404, "Not Found")
    assert wrong_token.status_code == 401
    assert wrong_token.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    assert no_bot_path.status_code == 404
    assert [call.method for call in fake.calls()] == ["getMe", "sendMessage", "sendMessage", "sendTelepathy"]


def test_wait_for_reports_what_and_recent_calls(fake: FakeBotAPI) -> None:
    httpx.get(f"{fake.base_url}{fake.token}/getMe")

    assert fake.wait_for(lambda: fake.calls("getMe"), timeout=1) != []
    with pytest.raises(AssertionError, match=r"(?s)the impossible.*getMe"):
        fake.wait_for(lambda: False, timeout=0.05, what="the impossible")


async def test_stop_answers_pending_long_poll_and_joins_thread(fake: FakeBotAPI, bot: Bot) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=30))
    await asyncio.sleep(0.2)
    started = time.monotonic()

    await asyncio.to_thread(fake.stop)

    assert time.monotonic() - started < 3
    assert await poll == ()
    assert not [t for t in threading.enumerate() if t.name == f"fake-bot-api-{fake.port}"]
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", fake.port), timeout=1):
        pass


@dataclass
class Receiver:
    url: str
    statuses: list[int]
    received: list[tuple[str | None, dict[str, Any]]] = field(default_factory=list)


@pytest.fixture
async def receiver(fake: FakeBotAPI) -> AsyncIterator[Receiver]:
    """A webhook endpoint in the test's event loop that answers 500 once, then 200."""
    sock = bind_loopback_socket()
    hook = Receiver(f"http://127.0.0.1:{sock.getsockname()[1]}/hook", statuses=[500])

    async def endpoint(request: Request) -> Response:
        hook.received.append((request.headers.get(WEBHOOK_SECRET_HEADER), await request.json()))
        return Response(status_code=hook.statuses.pop(0) if hook.statuses else 200)

    app = Starlette(routes=[Route("/hook", endpoint, methods=["POST"])])
    server = uvicorn.Server(
        uvicorn.Config(app, log_config=None, log_level="warning", lifespan="off", ws="none")
    )
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    await fake.await_for(lambda: server.started, timeout=5, what="webhook receiver to start")
    yield hook
    server.should_exit = True
    await serving


async def test_webhook_delivery_retries_in_order(fake: FakeBotAPI, bot: Bot, receiver: Receiver) -> None:
    first, second = fake.push_text(CHAT, "one"), fake.push_text(CHAT, "two")

    assert await bot.set_webhook(receiver.url, secret_token="s3cret") is True
    await fake.await_for(lambda: len(fake.webhook_deliveries()) >= 3, timeout=5, what="three webhook posts")

    assert fake.webhook_deliveries() == [(first, 500), (first, 200), (second, 200)]
    assert [body["update_id"] for _, body in receiver.received] == [first, first, second]
    assert {secret for secret, _ in receiver.received} == {"s3cret"}
    assert Update.de_json(receiver.received[-1][1], bot).message.text == "two"  # type: ignore[union-attr]
    assert (fake.webhook_url, fake.webhook_secret) == (receiver.url, "s3cret")
    info = await bot.get_webhook_info()
    assert (info.url, info.pending_update_count) == (receiver.url, 0)
    assert info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"
    with pytest.raises(Conflict, match="webhook is active"):
        await bot.get_updates()

    await bot.delete_webhook()
    fake.push_text(CHAT, "three")
    assert [u.update_id for u in await bot.get_updates()] == [second + 1]


async def test_webhook_connection_errors_are_retried_until_deleted(fake: FakeBotAPI, bot: Bot) -> None:
    with bind_loopback_socket() as closed:
        url = f"http://127.0.0.1:{closed.getsockname()[1]}/hook"
    update_id = fake.push_text(CHAT, "nobody listens")

    await bot.set_webhook(url)
    await fake.await_for(lambda: len(fake.webhook_deliveries()) >= 2, timeout=5, what="two attempts")
    await bot.delete_webhook(drop_pending_updates=True)

    assert set(fake.webhook_deliveries()) == {(update_id, 0)}
    assert (await bot.get_webhook_info()).pending_update_count == 0
    assert fake.webhook_url is None


async def test_several_webhook_connections_post_at_once_but_one_chat_at_a_time() -> None:
    """Four connections: three chats' first updates are posted together; chat 1's second waits."""
    sock = bind_loopback_socket()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/hook"
    release = asyncio.Event()
    open_posts: list[int] = []
    received: list[tuple[int, str]] = []

    async def endpoint(request: Request) -> Response:
        body = await request.json()
        received.append((body["message"]["chat"]["id"], body["message"]["text"]))
        open_posts.append(body["update_id"])
        await release.wait()
        return Response(status_code=200)

    app = Starlette(routes=[Route("/hook", endpoint, methods=["POST"])])
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, log_level="warning", lifespan="off"))
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    with FakeBotAPI(webhook_connections=4) as fake:
        async with make_bot(fake) as client:
            for chat in (1, 2, 3):
                fake.push_text(chat, "first")
            fake.push_text(1, "second")
            await client.set_webhook(url)
            await fake.await_for(lambda: len(open_posts) == 3, timeout=5, what="three posts at once")
            await asyncio.sleep(0.2)
            assert sorted(received) == [(1, "first"), (2, "first"), (3, "first")]
            release.set()
            await fake.await_for(lambda: len(received) == 4, timeout=5, what="the second update")
            assert received[-1] == (1, "second")
            await client.delete_webhook()
    server.should_exit = True
    await serving


async def test_listeners_hear_of_each_successful_call_with_its_result(
    fake: FakeBotAPI, bot: Bot, chat: int
) -> None:
    heard: list[tuple[str, Any]] = []
    fake.add_listener(lambda call, result: heard.append((call.method, result)))

    sent = await bot.send_message(chat, "hello")
    with pytest.raises(BadRequest):
        await bot.send_message(chat, " ")

    assert [method for method, _ in heard] == ["sendMessage"]
    assert heard[0][1]["message_id"] == sent.message_id
    assert heard[0][1]["text"] == "hello"

"""A fake Telegram Bot API server for end-to-end tests and benchmarks.

`FakeBotAPI` serves real HTTP on 127.0.0.1 (ephemeral port) from its own daemon thread and
event loop, so the same object can be driven by in-process async tests, by tests that start
the bot as a subprocess (pass `base_url` and `token` to it) and by benchmarks.  The test side
plays the users (`push_text`, `push_callback`, `push_update`), inspects what the bot did
(`calls`, `sent_messages`, `commands`, or `add_listener` to hear of each call as it happens) and injects
faults (`fail`, `block`, `set_delay`).

Deliberate simplifications, compared with the real Bot API:

* `parse_mode` is not applied: stored messages keep the text exactly as sent.
* Only messages sent by the bot are stored; user messages merely use up message ids.
* Deleted messages disappear from `sent_messages`.
* A stored message keeps any `reply_markup` (so tests can see reply keyboards), but, like
  Telegram, only inline keyboards are returned to the bot as part of a Message.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import json
import re
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

T = TypeVar("T")
JSON = dict[str, Any]
Listener = Callable[["Call", Any], None]

MAX_MESSAGE_LENGTH = 4096
WEBHOOK_RETRY_DELAY = 0.2
WEBHOOK_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
POLL_CONFLICT = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
)
BLOCKED = "Forbidden: bot was blocked by the user"

# Parameters whose values are free text (or file ids / URLs) and must never be JSON-decoded,
# otherwise a message text such as "42" or "true" would turn into a number or a boolean.
_TEXT_FIELDS = frozenset(
    {
        "action", "address", "animation", "audio", "business_connection_id", "caption",
        "callback_query_id", "certificate", "custom_title", "data", "description", "document",
        "emoji", "explanation", "file_id", "first_name", "inline_message_id", "ip_address",
        "language_code", "last_name", "message_effect_id", "name", "parse_mode", "payload",
        "phone_number", "photo", "query", "question", "secret_token", "short_description",
        "sticker", "text", "thumbnail", "title", "url", "vcard", "video", "video_note", "voice",
    }
)  # fmt: skip

# Update types Telegram only sends when they are listed explicitly in allowed_updates.
_OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

_COMMAND_ENTITY = re.compile(r"/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]+)?")
_VALID_COMMAND = re.compile(r"[a-z0-9_]{1,32}")


@dataclass(frozen=True)
class Call:
    """One request the bot made, successful or not."""

    method: str
    params: dict[str, Any]
    at: float


class ApiError(Exception):
    """An error answer of the Bot API."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def response(self) -> JSONResponse:
        body: JSON = {"ok": False, "error_code": self.status, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return JSONResponse(body, status_code=self.status)


@dataclass
class _Fault:
    method: str
    error: ApiError
    remaining: int
    chat_id: int | None

    def matches(self, method: str, params: JSON) -> bool:
        return method == self.method and self.chat_id in (None, params.get("chat_id"))


@dataclass(frozen=True)
class _Delivery:
    url: str
    secret: str | None
    update: JSON


def decode_params(raw: Mapping[str, Any]) -> JSON:
    """Turn request parameters into plain data.

    python-telegram-bot sends every non-string value JSON-encoded inside a form field
    (`chat_id=42`, `reply_markup={"inline_keyboard": ...}`, `show_alert=true`), so every value
    that is valid JSON for something other than a string is decoded, except in `_TEXT_FIELDS`.
    """
    return {name: _decode_value(name, value) for name, value in raw.items()}


def _decode_value(name: str, value: Any) -> Any:
    if not isinstance(value, str) or name in _TEXT_FIELDS:
        return value
    try:
        decoded = json.loads(value)
    except ValueError:
        return value
    return value if isinstance(decoded, str) else decoded


async def _read_params(request: Request) -> JSON:
    raw: JSON = dict(request.query_params)
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        raw.update(await _read_json_body(request))
    elif content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        async with request.form() as form:
            raw.update({key: _form_value(value) for key, value in form.multi_items()})
    return decode_params(raw)


async def _read_json_body(request: Request) -> JSON:
    body = await request.body()
    if not body:
        return {}
    try:
        decoded = json.loads(body)
    except ValueError as exc:
        raise ApiError(400, "Bad Request: can't parse JSON body") from exc
    if not isinstance(decoded, dict):
        raise ApiError(400, "Bad Request: JSON body must be an object")
    return decoded


def _form_value(value: str | UploadFile) -> Any:
    if isinstance(value, str):
        return value
    return {"filename": value.filename, "size": value.size}


def bind_loopback_socket() -> socket.socket:
    """A TCP socket bound to an ephemeral port on 127.0.0.1, for `uvicorn.Server.serve(sockets=...)`.

    The protocol must be given explicitly: asyncio only sets TCP_NODELAY on accepted
    connections whose socket proto is IPPROTO_TCP, and without it every response (headers and
    body are written separately) stalls about 40 ms on Nagle plus delayed ACK.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    return sock


def _update_kind(update: JSON) -> str:
    return next((key for key in update if key != "update_id"), "")


def _update_chat(update: JSON) -> int | None:
    """The chat an update comes from, if it has one."""
    payload = update.get(_update_kind(update))
    if not isinstance(payload, dict):
        return None
    message = payload if "chat" in payload else payload.get("message")
    if isinstance(message, dict) and isinstance(message.get("chat"), dict):
        chat_id = message["chat"].get("id")
        return chat_id if isinstance(chat_id, int) else None
    return None


def _command_entity(text: str) -> JSON | None:
    """The bot_command entity Telegram adds when a message starts with a command."""
    match = _COMMAND_ENTITY.match(text)
    if match is None:
        return None
    return {"type": "bot_command", "offset": 0, "length": len(match.group().encode("utf-16-le")) // 2}


def _message_text(params: JSON) -> str:
    """Validate the text of a new or edited message.

    The length limit is counted in Unicode code points (Python's `len`), on the raw text: no
    parse_mode markup is stripped before counting.
    """
    text = params.get("text")
    text = "" if text is None else str(text)
    if not text.strip():
        raise ApiError(400, "Bad Request: message text is empty")
    if len(text) > MAX_MESSAGE_LENGTH:
        raise ApiError(400, "Bad Request: message is too long")
    return text


def _public(message: JSON) -> JSON:
    """The Message as Telegram returns it: only inline keyboards are part of a Message."""
    result = copy.deepcopy(message)
    markup = result.get("reply_markup")
    if not (isinstance(markup, dict) and "inline_keyboard" in markup):
        result.pop("reply_markup", None)
    return result


def _user(user_id: int, first_name: str, username: str | None, language_code: str | None) -> JSON:
    user: JSON = {"id": user_id, "is_bot": False, "first_name": first_name}
    if username is not None:
        user["username"] = username
    if language_code is not None:
        user["language_code"] = language_code
    return user


def _chat(chat_id: int, chat_type: str, first_name: str, username: str | None) -> JSON:
    if chat_type != "private":
        return {"id": chat_id, "type": chat_type, "title": f"Test {chat_type} {chat_id}"}
    chat: JSON = {"id": chat_id, "type": "private", "first_name": first_name}
    if username is not None:
        chat["username"] = username
    return chat


def _parse_commands(value: Any) -> list[dict[str, str]]:
    if not isinstance(value, list) or not all(isinstance(c, dict) for c in value):
        raise ApiError(400, "Bad Request: can't parse commands JSON object")
    if not all(_VALID_COMMAND.fullmatch(str(c.get("command", ""))) for c in value):
        raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
    return [{"command": str(c["command"]), "description": str(c.get("description", ""))} for c in value]


def _scope_key(scope: Any, language_code: Any) -> tuple[str, str]:
    return json.dumps(scope or {"type": "default"}, sort_keys=True), str(language_code or "")


def _webhook_error(status: int) -> str:
    if status == 0:
        return "Connection refused"
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Unknown"
    return f"Wrong response from the webhook: {status} {phrase}"


async def _wait(event: asyncio.Event, limit: float | None) -> None:
    """Wait until `event` is set or `limit` seconds have passed (None: no limit)."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(limit):
            await event.wait()


async def _post_update(client: httpx.AsyncClient, delivery: _Delivery) -> int:
    headers = {WEBHOOK_SECRET_HEADER: delivery.secret} if delivery.secret else {}
    try:
        response = await client.post(delivery.url, json=delivery.update, headers=headers)
    except httpx.HTTPError:
        return 0
    return response.status_code


class FakeBotAPI:
    """A Telegram Bot API server with scriptable users and faults.

    All state is guarded by one `threading.Lock` because it is shared between the caller's
    thread and the server thread.  Waiters inside the server loop (long polls, the webhook
    deliverer) sleep on `self._changed`, an asyncio.Event that `_wake` sets and replaces; other
    threads reach it through `loop.call_soon_threadsafe`.

    Requests with a wrong token are answered with 401 and not recorded; all others, including
    unknown methods and failed calls, are recorded as `Call`s.

    Webhook updates are posted over `webhook_connections` connections at once (Telegram's
    `max_connections`, 40 by default there; 1 here, so tests see one delivery at a time), never
    two of the same chat at once, so a chat's updates still arrive in order.
    """

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",  # noqa: S107 - a fake token for a fake server
        bot_username: str = "brug_test_bot",
        *,
        webhook_connections: int = 1,
    ) -> None:
        if webhook_connections < 1:
            raise ValueError("webhook_connections must be at least 1")
        self._webhook_connections = webhook_connections
        self._in_flight: set[int] = set()
        self._in_flight_chats: set[int] = set()
        self._listeners: list[Listener] = []
        self.token = token
        self.bot_username = bot_username
        self._bot_id = int(token.split(":", 1)[0])
        self._lock = threading.Lock()
        self._calls: list[Call] = []
        self._faults: list[_Fault] = []
        self._delays: dict[str, float] = {}
        self._blocked: set[int] = set()
        self._chats: dict[int, JSON] = {}
        self._next_message_id: dict[int, int] = {}
        self._messages: dict[int, dict[int, JSON]] = {}
        self._pending: list[JSON] = []
        self._next_update_id = 1
        self._open_queries: set[str] = set()
        self._query_ids = itertools.count(4_000_000_000_000_000_001)
        self._commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self._webhook_url: str | None = None
        self._webhook_secret: str | None = None
        self._allowed_updates: list[str] = []
        self._deliveries: list[tuple[int, int]] = []
        self._last_webhook_error: tuple[int, str] | None = None
        self._poll_generation = 0
        self._files: dict[str, tuple[str, bytes, str]] = {}
        self._left_chats: list[int] = []
        self._handlers: dict[str, Callable[[JSON], Any]] = self._handler_table()
        self._canonical = {name.lower(): name for name in [*self._handlers, "getUpdates"]}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: uvicorn.Server | None = None
        self._port = 0
        self._closing = False
        self._changed = asyncio.Event()
        self._stopping = asyncio.Event()

    def _handler_table(self) -> dict[str, Callable[[JSON], Any]]:
        def true(_: JSON) -> bool:
            return True

        return {
            "getMe": self._get_me,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "sendChatAction": self._send_chat_action,
            "answerCallbackQuery": self._answer_callback_query,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "logOut": true,
            "close": true,
            "setMyDescription": true,
            "setMyShortDescription": true,
            "setChatMenuButton": true,
            "getFile": self._get_file,
            "leaveChat": self._leave_chat,
        }

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("FakeBotAPI is already running")
        sock = bind_loopback_socket()
        self._port = sock.getsockname()[1]
        self._server = uvicorn.Server(self._config())
        self._closing = False
        self._changed, self._stopping = asyncio.Event(), asyncio.Event()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._run, args=(sock,), name=f"fake-bot-api-{self._port}", daemon=True
        )
        self._thread.start()
        self._wait_until_started()

    def stop(self) -> None:
        """Stop the server and join its thread; pending long polls are answered first."""
        thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(self._begin_shutdown)
        thread.join(timeout=15)
        if thread.is_alive():
            raise RuntimeError("fake Bot API server thread did not stop")
        self._thread = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return self._port

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._port}/bot"

    @property
    def webhook_url(self) -> str | None:
        with self._lock:
            return self._webhook_url

    @property
    def webhook_secret(self) -> str | None:
        with self._lock:
            return self._webhook_secret

    def _config(self) -> uvicorn.Config:
        """Quiet uvicorn settings; `log_config=None` leaves the process's logging setup alone."""
        return uvicorn.Config(
            self._app(),
            log_config=None,
            log_level="warning",
            access_log=False,
            lifespan="off",
            ws="none",
            timeout_graceful_shutdown=2,
        )

    def _app(self) -> Starlette:
        async def not_found(request: Request, exc: Exception) -> JSONResponse:
            return ApiError(404, "Not Found").response()

        routes = [
            Route("/bot{token}/{method}", self._endpoint, methods=["GET", "POST"]),
            Route("/file/bot{token}/{file_path:path}", self._download, methods=["GET"]),
        ]
        return Starlette(routes=routes, exception_handlers={404: not_found})

    def _run(self, sock: socket.socket) -> None:
        loop = self._loop
        assert loop is not None
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._main(sock))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            sock.close()
            loop.close()

    async def _main(self, sock: socket.socket) -> None:
        assert self._server is not None
        deliverer = asyncio.create_task(self._deliver_webhooks())
        try:
            await self._server.serve(sockets=[sock])
        finally:
            self._closing = True
            deliverer.cancel()
            await asyncio.gather(deliverer, return_exceptions=True)

    def _wait_until_started(self) -> None:
        assert self._server is not None and self._thread is not None
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("fake Bot API server did not start")
            time.sleep(0.005)

    def _begin_shutdown(self) -> None:
        self._closing = True
        self._stopping.set()
        self._wake()
        if self._server is not None:
            self._server.should_exit = True

    def _wake(self) -> None:
        """Release every waiter of the current generation (runs in the server loop)."""
        self._changed.set()
        self._changed = asyncio.Event()

    def _notify(self) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._wake)

    async def _sleep(self, seconds: float) -> None:
        """Sleep, but return at once when the server is stopping."""
        if seconds > 0:
            await _wait(self._stopping, seconds)

    # ------------------------------------------------------------------ HTTP

    async def _endpoint(self, request: Request) -> JSONResponse:
        if request.path_params["token"] != self.token:
            return ApiError(401, "Unauthorized").response()
        name: str = request.path_params["method"]
        method = self._canonical.get(name.lower(), name)
        try:
            params = await _read_params(request)
        except ApiError as err:
            self._record(method, {})
            return err.response()
        call = Call(method, params, time.monotonic())
        try:
            result = await self._dispatch(call)
            response = JSONResponse({"ok": True, "result": result})
        except ApiError as err:
            response = err.response()
        else:
            for listener in self._listeners:
                listener(call, result)
        await self._sleep(self._delay_for(method))
        return response

    async def _dispatch(self, call: Call) -> Any:
        """Record the call and run it under one lock, so a recorded call's effect is visible too."""
        method, params = call.method, call.params
        with self._lock:
            self._calls.append(call)
            self._raise_injected_fault(method, params)
            if method != "getUpdates":
                return self._handler(method)(params)
            generation = self._start_poll()
        return await self._long_poll(params, generation)

    def _record(self, method: str, params: JSON) -> None:
        with self._lock:
            self._calls.append(Call(method, params, time.monotonic()))

    def _handler(self, method: str) -> Callable[[JSON], Any]:
        handler = self._handlers.get(method)
        if handler is None:
            raise ApiError(404, "Not Found")
        return handler

    def _raise_injected_fault(self, method: str, params: JSON) -> None:
        fault = next((f for f in self._faults if f.matches(method, params)), None)
        if fault is None:
            return
        fault.remaining -= 1
        if fault.remaining <= 0:
            self._faults.remove(fault)
        raise fault.error

    def _delay_for(self, method: str) -> float:
        with self._lock:
            return self._delays.get(method, 0.0)

    # ------------------------------------------------------------------ getUpdates

    def _start_poll(self) -> int:
        """Register a new getUpdates call; an older one still waiting will answer 409."""
        self._poll_generation += 1
        self._notify()
        return self._poll_generation

    async def _long_poll(self, params: JSON, generation: int) -> list[JSON]:
        deadline = time.monotonic() + float(params.get("timeout") or 0)
        while True:
            changed = self._changed
            with self._lock:
                updates = self._take_updates(params, generation)
            remaining = deadline - time.monotonic()
            if updates or remaining <= 0 or self._closing:
                return updates
            await _wait(changed, remaining)

    def _take_updates(self, params: JSON, generation: int) -> list[JSON]:
        if self._webhook_url:
            raise ApiError(409, WEBHOOK_CONFLICT)
        if generation != self._poll_generation:
            raise ApiError(409, POLL_CONFLICT)
        if params.get("allowed_updates") is not None:
            self._allowed_updates = list(params["allowed_updates"])
        self._confirm(int(params.get("offset") or 0))
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        return copy.deepcopy(self._pending[:limit])

    def _confirm(self, offset: int) -> None:
        """Forget updates before `offset` (a negative one keeps the last -offset) and disallowed ones."""
        if offset < 0:
            self._pending = self._pending[offset:]
        elif offset > 0:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
        self._pending = [u for u in self._pending if self._is_allowed(u)]

    def _is_allowed(self, update: JSON) -> bool:
        kind = _update_kind(update)
        if self._allowed_updates:
            return kind in self._allowed_updates
        return kind not in _OPT_IN_UPDATES

    # ------------------------------------------------------------------ webhook delivery

    async def _deliver_webhooks(self) -> None:
        connections = [self._webhook_connection() for _ in range(self._webhook_connections)]
        await asyncio.gather(*connections)

    async def _webhook_connection(self) -> None:
        """Post pending updates to the webhook one at a time, retrying the first free one until it is taken.

        The httpx client is created on first use: building its SSL context takes tens of
        milliseconds, which would otherwise delay every server start.
        """
        client: httpx.AsyncClient | None = None
        try:
            while not self._closing:
                changed = self._changed
                delivery = self._next_delivery()
                if delivery is None:
                    await _wait(changed, None)
                    continue
                client = client or httpx.AsyncClient(timeout=5.0)
                if not self._finish_delivery(delivery, await _post_update(client, delivery)):
                    await self._sleep(WEBHOOK_RETRY_DELAY)
        finally:
            if client is not None:
                await client.aclose()

    def _next_delivery(self) -> _Delivery | None:
        """The first pending update that is not being posted already, nor is from a chat that is."""
        with self._lock:
            if not self._webhook_url:
                return None
            self._confirm(0)
            for update in self._pending:
                chat = _update_chat(update)
                if update["update_id"] in self._in_flight or chat in self._in_flight_chats:
                    continue
                self._in_flight.add(update["update_id"])
                if chat is not None:
                    self._in_flight_chats.add(chat)
                return _Delivery(self._webhook_url, self._webhook_secret, copy.deepcopy(update))
            return None

    def _finish_delivery(self, delivery: _Delivery, status: int) -> bool:
        update_id = delivery.update["update_id"]
        delivered = 200 <= status < 300
        with self._lock:
            self._deliveries.append((update_id, status))
            self._in_flight.discard(update_id)
            chat = _update_chat(delivery.update)
            if chat is not None:
                self._in_flight_chats.discard(chat)
            if delivered:
                self._pending = [u for u in self._pending if u["update_id"] != update_id]
            else:
                self._last_webhook_error = (int(time.time()), _webhook_error(status))
        if self._webhook_connections > 1:
            self._wake()  # another connection may be waiting for this chat
        return delivered

    # ------------------------------------------------------------------ Bot API methods

    def _bot_user(self) -> JSON:
        return {"id": self._bot_id, "is_bot": True, "first_name": "Brug", "username": self.bot_username}

    def _get_me(self, params: JSON) -> JSON:
        return self._bot_user() | {
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def _target_chat(self, params: JSON) -> JSON:
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise ApiError(400, "Bad Request: chat_id is empty")
        if chat_id in self._blocked:
            raise ApiError(403, BLOCKED)
        chat = self._chats.get(chat_id) if isinstance(chat_id, int) else None
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        return chat

    def _allocate_message_id(self, chat_id: int) -> int:
        message_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = message_id + 1
        return message_id

    def _send_message(self, params: JSON) -> JSON:
        chat = self._target_chat(params)
        message: JSON = {
            "message_id": self._allocate_message_id(chat["id"]),
            "date": int(time.time()),
            "chat": copy.deepcopy(chat),
            "from": self._bot_user(),
            "text": _message_text(params),
        }
        for key in ("entities", "reply_markup"):
            if params.get(key) is not None:
                message[key] = params[key]
        self._messages.setdefault(chat["id"], {})[message["message_id"]] = message
        return _public(message)

    def _stored_message(self, params: JSON, missing: str) -> JSON:
        chat = self._target_chat(params)
        message_id = params.get("message_id")
        message = self._messages.get(chat["id"], {}).get(message_id) if isinstance(message_id, int) else None
        if message is None:
            raise ApiError(400, f"Bad Request: {missing}")
        return message

    def _edit_message_text(self, params: JSON) -> JSON:
        message = self._stored_message(params, "message to edit not found")
        changes = {
            "text": _message_text(params),
            "entities": params.get("entities"),
            "reply_markup": params.get("reply_markup"),
        }
        return self._apply_edit(message, changes)

    def _edit_message_reply_markup(self, params: JSON) -> JSON:
        message = self._stored_message(params, "message to edit not found")
        return self._apply_edit(message, {"reply_markup": params.get("reply_markup")})

    @staticmethod
    def _apply_edit(message: JSON, changes: JSON) -> JSON:
        if all(message.get(key) == value for key, value in changes.items()):
            raise ApiError(400, NOT_MODIFIED)
        for key, value in changes.items():
            if value is None:
                message.pop(key, None)
            else:
                message[key] = value
        message["edit_date"] = int(time.time())
        return _public(message)

    def _delete_message(self, params: JSON) -> bool:
        message = self._stored_message(params, "message to delete not found")
        del self._messages[message["chat"]["id"]][message["message_id"]]
        return True

    def _send_chat_action(self, params: JSON) -> bool:
        self._target_chat(params)
        return True

    def _answer_callback_query(self, params: JSON) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        if query_id not in self._open_queries:
            raise ApiError(400, QUERY_TOO_OLD)
        self._open_queries.discard(query_id)
        return True

    def _set_my_commands(self, params: JSON) -> bool:
        key = _scope_key(params.get("scope"), params.get("language_code"))
        self._commands[key] = _parse_commands(params.get("commands") or [])
        return True

    def _get_my_commands(self, params: JSON) -> list[dict[str, str]]:
        key = _scope_key(params.get("scope"), params.get("language_code"))
        return copy.deepcopy(self._commands.get(key, []))

    def _delete_my_commands(self, params: JSON) -> bool:
        self._commands.pop(_scope_key(params.get("scope"), params.get("language_code")), None)
        return True

    def _set_webhook(self, params: JSON) -> bool:
        self._webhook_url = str(params.get("url") or "") or None
        self._webhook_secret = str(params.get("secret_token") or "") or None
        if params.get("allowed_updates") is not None:
            self._allowed_updates = list(params["allowed_updates"])
        if params.get("drop_pending_updates"):
            self._pending.clear()
        self._last_webhook_error = None
        self._notify()
        return True

    def _delete_webhook(self, params: JSON) -> bool:
        self._webhook_url = self._webhook_secret = None
        if params.get("drop_pending_updates"):
            self._pending.clear()
        self._notify()
        return True

    def _get_webhook_info(self, params: JSON) -> JSON:
        info: JSON = {
            "url": self._webhook_url or "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if self._allowed_updates:
            info["allowed_updates"] = list(self._allowed_updates)
        if self._last_webhook_error is not None:
            info["last_error_date"], info["last_error_message"] = self._last_webhook_error
        return info

    def _get_file(self, params: JSON) -> JSON:
        file_id = str(params.get("file_id", ""))
        if file_id not in self._files:
            raise ApiError(400, "Bad Request: invalid file_id")
        path, content, _type = self._files[file_id]
        return {
            "file_id": file_id,
            "file_unique_id": f"u-{file_id}",
            "file_size": len(content),
            "file_path": path,
        }

    def _leave_chat(self, params: JSON) -> bool:
        self._left_chats.append(int(params["chat_id"]))
        return True

    async def _download(self, request: Request) -> Response:
        """`https://api.telegram.org/file/bot<token>/<file_path>`: the content of a file from getFile."""
        if request.path_params["token"] != self.token:
            return Response(status_code=401)
        with self._lock:
            self._calls.append(
                Call("download", {"file_path": request.path_params["file_path"]}, time.monotonic())
            )
            found = next((f for f in self._files.values() if f[0] == request.path_params["file_path"]), None)
        if found is None:
            return Response(status_code=404)
        return Response(found[1], media_type=found[2])

    # ------------------------------------------------------------------ user → bot

    def add_file(self, file_id: str, content: bytes, *, media_type: str = "audio/ogg") -> None:
        """A file the bot can fetch with getFile and download, as for a user's voice note."""
        with self._lock:
            self._files[file_id] = (f"voice/{file_id}.oga", content, media_type)

    def push_message(
        self,
        chat_id: int,
        content: JSON,
        *,
        edited: bool = False,
        language_code: str | None = "en",
        chat_type: str = "private",
    ) -> int:
        """Queue a message with any `content` (voice, photo, sticker, forward_origin, …) from a user;
        `edited`: as an edited_message update."""
        sender = _user(chat_id, "Amanuel", None, language_code)
        message: JSON = {
            "date": int(time.time()),
            "chat": _chat(chat_id, chat_type, "Amanuel", None),
            "from": sender,
            **copy.deepcopy(content),
        }
        if edited:
            message["edit_date"] = int(time.time())
        with self._lock:
            message = {"message_id": self._allocate_message_id(chat_id), **message}
            update_id = self._enqueue({"edited_message" if edited else "message": message})
        self._notify()
        return update_id

    def push_added_to_group(self, chat_id: int, *, user_id: int, chat_type: str = "group") -> int:
        """A user adds the bot to a group: a my_chat_member update."""
        bot = {"id": self._bot_id, "is_bot": True, "first_name": "Brug", "username": self.bot_username}
        update = {
            "my_chat_member": {
                "chat": {"id": chat_id, "type": chat_type, "title": "Family group"},
                "from": _user(user_id, "Amanuel", None, "en"),
                "date": int(time.time()),
                "old_chat_member": {"status": "left", "user": bot},
                "new_chat_member": {"status": "member", "user": bot},
            }
        }
        return self.push_update(update)

    def left_chats(self) -> list[int]:
        """Chats the bot left with leaveChat, in order."""
        with self._lock:
            return list(self._left_chats)

    def push_text(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int | None = None,
        first_name: str = "Amanuel",
        username: str | None = None,
        language_code: str | None = "en",
        chat_type: str = "private",
    ) -> int:
        """Queue a text message from a user; a leading /command gets a bot_command entity."""
        sender = _user(chat_id if user_id is None else user_id, first_name, username, language_code)
        message: JSON = {
            "date": int(time.time()),
            "chat": _chat(chat_id, chat_type, first_name, username),
            "from": sender,
            "text": text,
        }
        if (entity := _command_entity(text)) is not None:
            message["entities"] = [entity]
        with self._lock:
            message = {"message_id": self._allocate_message_id(chat_id), **message}
            update_id = self._enqueue({"message": message})
        self._notify()
        return update_id

    def push_callback(
        self,
        chat_id: int,
        data: str,
        *,
        message_id: int,
        user_id: int | None = None,
        language_code: str | None = "en",
        first_name: str = "Amanuel",
        username: str | None = None,
    ) -> int:
        """Queue a button press on the message `message_id` in `chat_id`."""
        sender = _user(chat_id if user_id is None else user_id, first_name, username, language_code)
        with self._lock:
            query_id = str(next(self._query_ids))
            self._open_queries.add(query_id)
            query: JSON = {
                "id": query_id,
                "from": sender,
                "chat_instance": str(chat_id),
                "data": data,
                "message": self._callback_message(chat_id, message_id),
            }
            update_id = self._enqueue({"callback_query": query})
        self._notify()
        return update_id

    def _callback_message(self, chat_id: int, message_id: int) -> JSON:
        known = self._messages.get(chat_id, {}).get(message_id)
        if known is not None:
            return _public(known)
        chat = self._chats.get(chat_id) or {"id": chat_id, "type": "private", "first_name": "Amanuel"}
        return {"message_id": message_id, "date": int(time.time()), "chat": copy.deepcopy(chat)}

    def push_update(self, update: dict[str, Any]) -> int:
        """Queue a raw update; `update_id` is assigned unless present."""
        with self._lock:
            update_id = self._enqueue(copy.deepcopy(update))
        self._notify()
        return update_id

    def _enqueue(self, update: JSON) -> int:
        update_id: int = update.setdefault("update_id", self._next_update_id)
        self._next_update_id = max(self._next_update_id, update_id + 1)
        self._remember_chats(update)
        self._pending.append(update)
        self._pending.sort(key=lambda u: int(u["update_id"]))
        return update_id

    def _remember_chats(self, update: JSON) -> None:
        """Make chats the update comes from known, and keep their message ids increasing."""
        for payload in update.values():
            if not isinstance(payload, dict):
                continue
            message = payload if "chat" in payload else payload.get("message")
            if isinstance(message, dict) and isinstance(message.get("chat"), dict):
                chat_id = message["chat"]["id"]
                self._chats.setdefault(chat_id, copy.deepcopy(message["chat"]))
                next_id = int(message.get("message_id", 0)) + 1
                self._next_message_id[chat_id] = max(self._next_message_id.get(chat_id, 1), next_id)

    # ------------------------------------------------------------------ inspection

    def calls(self, method: str | None = None) -> list[Call]:
        with self._lock:
            if method is None:
                return list(self._calls)
            wanted = self._canonical.get(method.lower(), method)
            return [call for call in self._calls if call.method == wanted]

    def sent_messages(self, chat_id: int) -> list[dict[str, Any]]:
        """Messages the bot sent to `chat_id` that still exist, in order, as currently edited."""
        with self._lock:
            return copy.deepcopy(list(self._messages.get(chat_id, {}).values()))

    def commands(
        self, *, chat_id: int | None = None, language_code: str | None = None
    ) -> list[dict[str, str]]:
        """Commands set for exactly that scope (chat scope, or the default one) and language."""
        scope = None if chat_id is None else {"type": "chat", "chat_id": chat_id}
        with self._lock:
            return copy.deepcopy(self._commands.get(_scope_key(scope, language_code), []))

    def unanswered_callback_queries(self) -> int:
        """Button presses pushed with `push_callback` that no answerCallbackQuery has answered yet."""
        with self._lock:
            return len(self._open_queries)

    def add_listener(self, listener: Listener) -> None:
        """Call `listener(call, result)` for every call that succeeded, once its effect is visible.

        It runs in the server thread, for every call: keep it short, do not block, and do not change
        `result` (the Message of a sendMessage, for instance), which is about to be sent as JSON.
        """
        with self._lock:
            self._listeners.append(listener)

    def webhook_deliveries(self) -> list[tuple[int, int]]:
        """Every webhook delivery attempt as (update_id, HTTP status or 0 for no connection)."""
        with self._lock:
            return list(self._deliveries)

    def wait_for(self, predicate: Callable[[], T | None], timeout: float = 10.0, what: str = "") -> T:
        """Poll until `predicate()` is truthy and return that value."""
        deadline = time.monotonic() + timeout
        while not (value := predicate()):
            if time.monotonic() >= deadline:
                raise self._timeout_error(predicate, timeout, what)
            time.sleep(0.01)
        return value

    async def await_for(
        self,
        predicate: Callable[[], T | None],
        timeout: float = 10.0,  # noqa: ASYNC109 - same signature as wait_for
        what: str = "",
    ) -> T:
        deadline = time.monotonic() + timeout
        while not (value := predicate()):
            if time.monotonic() >= deadline:
                raise self._timeout_error(predicate, timeout, what)
            await asyncio.sleep(0.01)
        return value

    def _timeout_error(self, predicate: Callable[[], Any], timeout: float, what: str) -> AssertionError:
        recent = [f"  {c.method} {json.dumps(c.params, default=str)[:200]}" for c in self.calls()[-15:]]
        return AssertionError(
            f"timed out after {timeout:g}s waiting for {what or predicate!r}; "
            f"recent Bot API calls:\n" + ("\n".join(recent) or "  (none)")
        )

    # ------------------------------------------------------------------ faults

    def fail(
        self,
        method: str,
        *,
        status: int,
        description: str,
        retry_after: int | None = None,
        times: int = 1,
        chat_id: int | None = None,
    ) -> None:
        """Answer the next `times` matching calls with this error; they are recorded but have no effect."""
        with self._lock:
            name = self._canonical.get(method.lower(), method)
            self._faults.append(_Fault(name, ApiError(status, description, retry_after), times, chat_id))

    def clear_faults(self) -> None:
        """Drop every fault injected with `fail` that has not been used up yet."""
        with self._lock:
            self._faults.clear()

    def block(self, chat_id: int) -> None:
        """The user of `chat_id` blocks the bot: every call aimed at that chat gets 403."""
        with self._lock:
            self._blocked.add(chat_id)

    def unblock(self, chat_id: int) -> None:
        with self._lock:
            self._blocked.discard(chat_id)

    def set_delay(self, method: str, seconds: float) -> None:
        """Answer `method` `seconds` late; the call itself takes effect on arrival."""
        with self._lock:
            self._delays[self._canonical.get(method.lower(), method)] = seconds

"""The back office under attack: stored XSS, CSRF, IDOR, session fixation, brute force, headers, fuzzing.

Routes are enumerated from the app, not listed here: a new route is covered (and must be protected)
without touching this file.
"""

from __future__ import annotations

import typing
from collections import Counter
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI, params
from fastapi.dependencies.models import Dependant

try:
    from fastapi.routing import iter_route_contexts
except ImportError:  # FastAPI before nested routers
    iter_route_contexts = None  # type: ignore[assignment]
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from pydantic import BaseModel
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance
from sqlalchemy import Engine, select
from sqlmodel import SQLModel

from brug.api.app import create_app
from brug.api.deps import CSRF_FIELD, CSRF_HEADER, SESSION_COOKIE
from brug.bot.preview import preview_step
from brug.core import casework
from brug.core.db import session_scope
from brug.core.models import CannedReply, Case, KeyPerson, Role
from tests.api.conftest import PASSWORD, BackOffice

BASE_URL = "http://127.0.0.1:8000"
HTML = {"Accept": "text/html"}
MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
# These have no session yet, so no session CSRF token: they are tested on their own below.
OWN_PROTECTION = {("POST", "/api/session"), ("POST", "/login"), ("POST", "/setup/{token}")}
# How a refusal for the CSRF token reads (a case action may be refused for other reasons).
CSRF_REFUSALS = (CSRF_HEADER, "form has expired")
COORDINATOR_PREFIXES = ("/people", "/canned", "/audit", "/dashboard")

RTL_TRICKS = "abc \u202efed\u202c \u2066iso\u2069 \u2067rtl\u2069 \u2068fsi\u2069 end"
USER_TEXTS = (
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">click</a>',
    "javascript:alert(1)",
    '" onmouseover="alert(1)" x="',
    "' onfocus='alert(1)' autofocus x='",
    RTL_TRICKS,
)
NAME = '<script>alert("name")</script>" onclick="x'
TITLE = "<img src=x onerror=alert('title')>"
CANNED_TEXT = "\" onclick='alert(2)' <script>alert(2)</script>"
NOTE = "<svg onload=alert(3)>note \u202e</svg>"


# ---------------------------------------------------------------- helpers


def snapshot(engine: Engine) -> dict[str, list[str]]:
    """Every row of every table: a refused request must leave all of it as it was."""
    with engine.connect() as connection:
        return {
            table.name: sorted(repr(tuple(row)) for row in connection.execute(select(table)).all())
            for table in SQLModel.metadata.sorted_tables
        }


def other_client(
    back_office: BackOffice, address: str = "testclient", base_url: str = BASE_URL
) -> TestClient:
    return TestClient(back_office.client.app, base_url=base_url, client=(address, 50000))


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Page(HTMLParser):
    """Tags with their attributes, and each piece of text with the elements around it."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, dict[str, str]]] = []
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.texts: list[tuple[str, list[tuple[str, dict[str, str]]]]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        self.tags.append((tag, found))
        if tag not in VOID:
            self.stack.append((tag, found))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {name: value or "" for name, value in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        self.texts.append((data, list(self.stack)))


def assert_safe(html: str, where: str) -> Page:
    """No script but the app's own file, no event handler, no javascript: link: whatever the data."""
    assert "<script>alert" not in html and "<img src=x" not in html and "<svg onload" not in html, where
    page = Page(html)
    for tag, attrs in page.tags:
        if tag == "script":
            assert attrs == {"src": "/static/app.js", "defer": ""}, (where, attrs)
        for name, value in attrs.items():
            assert not name.startswith("on"), (where, tag, name, value)
            if name in {"href", "src", "action", "formaction"}:
                assert not value.strip().lower().startswith("javascript:"), (where, tag, value)
        assert tag not in {"img", "iframe", "object", "embed"}, (where, tag)
    return page


def assert_shown_isolated(page: Page, text: str, where: str) -> None:
    """The text is on the page as text, inside a <bdi> or a dir="auto" element."""
    holders = [stack for data, stack in page.texts if text in data]
    assert holders, f"{where}: {text!r} is not shown as text"
    for stack in holders:
        assert any(tag == "bdi" or attrs.get("dir") == "auto" for tag, attrs in stack), (where, text, stack)


def assert_shown(page: Page, text: str, where: str) -> None:
    assert any(text in data for data, _ in page.texts), f"{where}: {text!r} is not shown as text"


# ---------------------------------------------------------------- 1. stored XSS


def test_user_texts_are_escaped_and_isolated_everywhere(back_office: BackOffice) -> None:
    back_office.client.app.state.preview = preview_step  # type: ignore[attr-defined]
    back_office.person("amina", languages=["ar"])
    case_id = back_office.case(language="ar", texts=USER_TEXTS)
    csrf = back_office.login("amina")
    # A key person's replies and notes carry the same texts.
    for text in USER_TEXTS:
        headers = {CSRF_HEADER: csrf}
        assert back_office.client.post(f"/api/cases/{case_id}/notes", json={"text": text}, headers=headers)
    reply = back_office.client.post(
        f"/api/cases/{case_id}/reply", json={"text": USER_TEXTS[0]}, headers={CSRF_HEADER: csrf}
    )
    assert reply.status_code == 202

    queue = back_office.client.get("/", headers=HTML)
    assert queue.status_code == 200
    assert_safe(queue.text, "queue")

    case_page = back_office.client.get(f"/cases/{case_id}", headers=HTML)
    assert case_page.status_code == 200
    page = assert_safe(case_page.text, "case")
    for text in USER_TEXTS:
        assert_shown_isolated(page, text, "case")
        # Once in the thread, once in the notes (and the first once more as the reply).
        assert sum(text in data for data, _ in page.texts) >= 2, text

    for number, text in enumerate(USER_TEXTS):
        shown = back_office.client.get("/preview?language=ar", headers=HTML).text
        for kind, value in (("text", text), ("button", text), ("command", text)):
            conversation = Page(shown)
            state = next(
                attrs["value"]
                for tag, attrs in conversation.tags
                if tag == "input" and attrs.get("name") == "conversation"
            )
            form = {CSRF_FIELD: csrf, "conversation": state, "kind": kind, "value": value}
            response = back_office.client.post("/preview", data=form, headers=HTML)
            assert response.status_code == 200, (number, kind)
            shown = response.text
            page = assert_safe(shown, f"preview {kind} {number}")
            assert_shown_isolated(page, text, f"preview {kind} {number}")


def test_key_person_fields_with_markup_are_escaped(back_office: BackOffice) -> None:
    back_office.person("coord", languages=["ar"], role=Role.COORDINATOR, name=NAME)
    back_office.person("amina", languages=["ar"], name=NAME + "2")
    case_id = back_office.case(language="ar", texts=("hello",))
    csrf = back_office.login("coord")
    added = back_office.client.post(
        "/canned",
        data={CSRF_FIELD: csrf, "language": "ar", "title": TITLE, "text": CANNED_TEXT},
        follow_redirects=False,
    )
    assert added.status_code == 303
    headers = {CSRF_HEADER: csrf}
    assert back_office.client.post(f"/api/cases/{case_id}/claim", headers=headers).status_code == 200
    assert (
        back_office.client.post(
            f"/api/cases/{case_id}/notes", json={"text": NOTE}, headers=headers
        ).status_code
        == 201
    )
    # A rejected form shows the typed values again: escaped there too.
    rejected = back_office.client.post(
        "/canned", data={CSRF_FIELD: csrf, "language": "", "title": TITLE, "text": CANNED_TEXT}, headers=HTML
    )
    assert rejected.status_code == 422
    assert_shown(assert_safe(rejected.text, "canned form"), TITLE, "canned form")

    for path in ("/", f"/cases/{case_id}", "/people", "/canned", "/audit", "/account", "/dashboard"):
        response = back_office.client.get(path, headers=HTML)
        assert response.status_code == 200, path
        page = assert_safe(response.text, path)
        assert_shown(page, NAME, path)
    case_page = assert_safe(back_office.client.get(f"/cases/{case_id}", headers=HTML).text, "case")
    assert_shown(case_page, TITLE, "case")
    assert_shown_isolated(case_page, NOTE, "case")
    buttons = [attrs for tag, attrs in case_page.tags if "canned-reply" in attrs.get("class", "")]
    assert [b["data-text"] for b in buttons] == [CANNED_TEXT]
    canned = assert_safe(back_office.client.get("/canned", headers=HTML).text, "canned")
    assert_shown(canned, TITLE, "canned")
    assert_shown(canned, CANNED_TEXT, "canned")
    people = assert_safe(back_office.client.get("/people", headers=HTML).text, "people")
    assert_shown(people, NAME + "2", "people")


# ---------------------------------------------------------------- 2. CSRF


def _annotation_sample(annotation: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin is typing.Union or str(origin) == "<class 'types.UnionType'>":
        first = next(arg for arg in typing.get_args(annotation) if arg is not type(None))
        return _annotation_sample(first)
    if origin is list:
        return [_annotation_sample(typing.get_args(annotation)[0])]
    if origin is typing.Literal:
        return typing.get_args(annotation)[0]
    if annotation is bool:
        return True
    if annotation is int:
        return 1
    return "x"


class Samples:
    """Values that make a request valid, by parameter name; by type for names not known here."""

    def __init__(self, back_office: BackOffice, *, case_id: int, person_id: int, reply_id: int) -> None:
        self.path = {"case_id": case_id, "person_id": person_id, "reply_id": reply_id, "token": "x" * 32}
        self.fields: dict[str, Any] = {
            "text": "hello",
            "outcome": "helped",
            "key_person_id": person_id,
            "needed": True,
            "languages": ["ar"],
            "role": "keyperson",
            "active": False,
            "username": "newbie",
            "name": "Newbie",
            "password": PASSWORD,
            "language": "ar",
            "title": "A title",
            "backup_id": str(person_id),
            "old_password": PASSWORD,
            "new_password": PASSWORD,
            "new_password_again": PASSWORD,
            "conversation": "not-signed",
            "kind": "text",
            "value": "hello",
        }

    def value(self, name: str, annotation: Any) -> Any:
        return self.fields[name] if name in self.fields else _annotation_sample(annotation)

    def request(self, route: Endpoint, method: str) -> tuple[str, dict[str, Any], bool]:
        """Path, httpx keyword arguments and whether the route takes a form."""
        assert route.dependant is not None, f"{method} {route.path}: not a FastAPI route, so not checked"
        # Parameters declared by sub-dependencies (e.g. a shared form dependency) count too.
        path_params, body_params = _all_params(route.dependant)
        values = {
            p.name: self.path.get(p.name, _annotation_sample(p.field_info.annotation)) for p in path_params
        }
        path = route.path_format.format(**values)
        form: dict[str, Any] = {}
        body: dict[str, Any] | None = None
        for param in body_params:
            annotation = param.field_info.annotation
            if isinstance(param.field_info, params.Form):
                if param.alias != CSRF_FIELD:
                    form[param.alias] = self.value(param.alias, annotation)
            elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
                body = {name: self.value(name, f.annotation) for name, f in annotation.model_fields.items()}
            else:
                body = {**(body or {}), param.alias: self.value(param.alias, annotation)}
        if form or any(isinstance(p.field_info, params.Form) for p in body_params):
            return path, {"data": form}, True
        return path, ({"json": body} if body is not None else {}), False


def _all_params(dependant: Dependant) -> tuple[list[Any], list[Any]]:
    """Path and body parameters of an endpoint and of all its sub-dependencies, each name once."""
    path: dict[str, Any] = {}
    body: dict[str, Any] = {}
    stack = [dependant]
    while stack:
        current = stack.pop()
        path.update({p.name: p for p in current.path_params})
        body.update({p.alias: p for p in current.body_params})
        stack.extend(current.dependencies)
    return list(path.values()), list(body.values())


def _send(
    client: TestClient,
    method: str,
    path: str,
    kwargs: dict[str, Any],
    token: str | bytes | None,
    is_form: bool,
) -> Any:
    """The token (or its absence) both as the form field and as the header."""
    arguments = {key: (dict(value) if isinstance(value, dict) else value) for key, value in kwargs.items()}
    headers: dict[str, Any] = {}
    if token is not None:
        headers[CSRF_HEADER] = token.encode() if isinstance(token, str) and not token.isascii() else token
        if is_form:
            field = token.decode("latin-1") if isinstance(token, bytes) else token
            arguments["data"] = {**arguments.get("data", {}), CSRF_FIELD: field}
    return client.request(method, path, headers=headers, follow_redirects=False, **arguments)


@dataclass(frozen=True)
class Endpoint:
    path: str
    path_format: str
    methods: frozenset[str]
    dependant: Dependant | None


def endpoints(app: FastAPI) -> list[Endpoint]:
    """Every route of the app, with included routers' prefixes (FastAPI may keep them nested)."""
    contexts: Any = iter_route_contexts(app.routes) if iter_route_contexts is not None else app.routes
    found = []
    for route in contexts:
        original = getattr(route, "original_route", route)
        dependant = getattr(original, "dependant", None)
        path = getattr(route, "path", None) or ""
        found.append(
            Endpoint(
                path, getattr(route, "path_format", None) or path, frozenset(route.methods or ()), dependant
            )
        )
    return found


def mutating_routes(app: FastAPI) -> list[tuple[str, Endpoint]]:
    return [
        (method, endpoint)
        for endpoint in endpoints(app)
        for method in sorted(endpoint.methods & MUTATING)
        if (method, endpoint.path) not in OWN_PROTECTION
    ]


def _world(back_office: BackOffice) -> tuple[str, Samples]:
    """A coordinator logged in, another key person, an open case, a canned reply."""
    back_office.person("coord", languages=["ar"], role=Role.COORDINATOR)
    other = back_office.person("amina", languages=["ar"])
    case_id = back_office.case(language="ar", texts=("hello",))
    with session_scope(back_office.engine) as session:
        reply = CannedReply(language="ar", title="t", text="x", created_at=back_office.clock.now)
        session.add(reply)
        session.flush()
        assert reply.id is not None
        reply_id = reply.id
    csrf = back_office.login("coord")
    return csrf, Samples(back_office, case_id=case_id, person_id=other, reply_id=reply_id)


def test_every_mutating_route_needs_the_csrf_token(back_office: BackOffice) -> None:
    csrf, samples = _world(back_office)
    routes = mutating_routes(back_office.client.app)  # type: ignore[arg-type]
    assert len(routes) >= 20, [route.path for _, route in routes]
    for method, route in routes:
        path, kwargs, is_form = samples.request(route, method)
        before = snapshot(back_office.engine)
        for token in (None, "", "wrong-token", csrf[:-1], "jéton-€-" + csrf, csrf.encode() + b"\xff"):
            response = _send(back_office.client, method, path, kwargs, token, is_form)
            assert response.status_code == 403, (method, path, token, response.status_code, response.text)
            assert any(m in response.text for m in CSRF_REFUSALS), (method, path, response.text)
        assert snapshot(back_office.engine) == before, (method, path)
    # The same requests with the right token are not refused: the 403s above were the missing token's.
    for method, route in routes:
        path, kwargs, is_form = samples.request(route, method)
        response = _send(back_office.client, method, path, kwargs, csrf, is_form)
        refused_for_csrf = response.status_code == 403 and any(m in response.text for m in CSRF_REFUSALS)
        assert response.status_code != 401 and response.status_code < 500, (method, path, response.text)
        assert not refused_for_csrf, (method, path, response.text)
        if back_office.client.get("/api/cases").status_code == 401:  # that was a log-out
            csrf = back_office.login("coord")


def test_a_session_cookie_does_not_log_in_through_a_form(back_office: BackOffice) -> None:
    """Login CSRF: the JSON login takes JSON only; the form login needs its double-submit cookie."""
    back_office.person("amina", languages=["ar"])
    credentials = {"username": "amina", "password": PASSWORD}
    as_form = back_office.client.post("/api/session", data=credentials)
    assert as_form.status_code == 422 and SESSION_COOKIE not in as_form.cookies
    as_text = back_office.client.post(
        "/api/session",
        content=b'{"username": "amina", "password": "' + PASSWORD.encode() + b'"}',
        headers={"Content-Type": "text/plain"},
    )
    assert as_text.status_code == 422 and SESSION_COOKIE not in as_text.cookies

    back_office.client.get("/login")
    cookie = back_office.client.cookies["brug_login_csrf"]
    for field in (None, "", "wrong", "é" + cookie):
        form = dict(credentials) | ({CSRF_FIELD: field} if field is not None else {})
        refused = back_office.client.post("/login", data=form, follow_redirects=False)
        assert refused.status_code == 403, field
        assert SESSION_COOKIE not in refused.cookies
    # Without the cookie, a token alone (as a cross-site form would send it) does not work either.
    stranger = other_client(back_office)
    refused = stranger.post("/login", data=credentials | {CSRF_FIELD: cookie}, follow_redirects=False)
    assert refused.status_code == 403
    done = back_office.client.post("/login", data=credentials | {CSRF_FIELD: cookie}, follow_redirects=False)
    assert done.status_code == 303 and SESSION_COOKIE in done.cookies


def test_the_setup_form_needs_its_double_submit_cookie(back_office: BackOffice) -> None:
    from brug.core.staff import new_setup_token

    with session_scope(back_office.engine) as session:
        token = new_setup_token(session, back_office.clock.now)
    form = {"username": "coord", "name": "Sara", "languages": ["nl"], "password": PASSWORD}
    for field in (None, "forged"):
        data = form | ({CSRF_FIELD: field} if field is not None else {})
        refused = back_office.client.post(f"/setup/{token}", data=data, follow_redirects=False)
        assert refused.status_code == 403
    with session_scope(back_office.engine) as session:
        assert session.exec(select(KeyPerson)).first() is None  # type: ignore[call-overload]


@pytest.mark.parametrize(
    "target", ["//evil.example", "/\\evil.example", "/\t/evil.example", "https://evil.example"]
)
def test_login_never_redirects_off_site(back_office: BackOffice, target: str) -> None:
    back_office.person("amina", languages=["ar"])
    back_office.client.get("/login")
    form = {
        "username": "amina",
        "password": PASSWORD,
        "next": target,
        CSRF_FIELD: back_office.client.cookies["brug_login_csrf"],
    }
    done = back_office.client.post("/login", data=form, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/"


# ---------------------------------------------------------------- 3. IDOR


def test_a_key_person_cannot_reach_other_cases_or_coordinator_pages(back_office: BackOffice) -> None:
    amina = back_office.person("amina", languages=["ar"])
    badr = back_office.person("badr", languages=["ar"])
    back_office.person("coord", languages=["ar"], role=Role.COORDINATOR)
    tigrinya = back_office.case(language="ti", texts=("selam",))
    taken = back_office.case(language="ar", texts=("marhaba",))
    mine_to_see = back_office.case(language="ar", texts=("ahlan",))
    with session_scope(back_office.engine) as session:
        case, holder = session.get(Case, taken), session.get(KeyPerson, badr)
        assert case is not None and holder is not None
        casework.claim(session, holder, case, back_office.clock.now)
    csrf = back_office.login("amina")
    samples = Samples(back_office, case_id=0, person_id=amina, reply_id=1)
    assert back_office.client.get(f"/api/cases/{mine_to_see}").status_code == 200
    assert back_office.client.get(f"/cases/{mine_to_see}", headers=HTML).status_code == 200

    app: FastAPI = back_office.client.app  # type: ignore[assignment]
    case_routes = [r for r in endpoints(app) if "{case_id}" in r.path]
    coordinator_routes = [r for r in endpoints(app) if r.path.startswith(COORDINATOR_PREFIXES)]
    assert len(case_routes) >= 16 and len(coordinator_routes) >= 9
    before = snapshot(back_office.engine)
    tried = 0
    for case_id in (tigrinya, taken):
        samples.path["case_id"] = case_id
        for route in case_routes:
            for method in sorted(route.methods - {"HEAD"}):
                path, kwargs, is_form = samples.request(route, method)
                response = _send(back_office.client, method, path, kwargs, csrf, is_form)
                assert response.status_code == 403, (method, path, response.status_code, response.text)
                tried += 1
    for route in coordinator_routes:
        for method in sorted(route.methods - {"HEAD"}):
            path, kwargs, is_form = samples.request(route, method)
            response = _send(back_office.client, method, path, kwargs, csrf, is_form)
            assert response.status_code == 403, (method, path, response.status_code)
            tried += 1
    assert snapshot(back_office.engine) == before
    assert tried >= 2 * 16 + 9


# ---------------------------------------------------------------- 4. sessions


def test_login_issues_a_fresh_token_and_logout_ends_it_server_side(back_office: BackOffice) -> None:
    back_office.person("amina", languages=["ar"])
    planted = "attacker-chosen-session-value"
    back_office.client.cookies.set(SESSION_COOKIE, planted)
    assert back_office.client.get("/api/cases").status_code == 401
    login = back_office.client.post("/api/session", json={"username": "amina", "password": PASSWORD})
    csrf, token = login.json()["csrf_token"], login.cookies[SESSION_COOKIE]
    assert token != planted and len(token) >= 32
    # The form login does the same, also for someone already logged in.
    page_client = other_client(back_office)
    page_client.cookies.set(SESSION_COOKIE, token)
    page_client.get("/login")
    form = {"username": "amina", "password": PASSWORD, CSRF_FIELD: page_client.cookies["brug_login_csrf"]}
    by_form = page_client.post("/login", data=form, follow_redirects=False)
    assert by_form.status_code == 303
    second = by_form.cookies[SESSION_COOKIE]
    page_client.cookies.clear()
    page_client.cookies.set(SESSION_COOKIE, second)
    assert second not in {token, planted}

    assert back_office.client.delete("/api/session", headers={CSRF_HEADER: csrf}).status_code == 204
    replay = other_client(back_office)
    replay.cookies.set(SESSION_COOKIE, token)
    assert replay.get("/api/cases").status_code == 401
    assert replay.get("/", headers=HTML, follow_redirects=False).status_code == 303

    csrf_page = page_client.get("/account", headers=HTML)
    field = Page(csrf_page.text)
    value = next(a["value"] for t, a in field.tags if t == "input" and a.get("name") == CSRF_FIELD)
    assert page_client.post("/logout", data={CSRF_FIELD: value}, follow_redirects=False).status_code == 303
    replay.cookies.set(SESSION_COOKIE, second)
    assert replay.get("/api/cases").status_code == 401


def test_a_session_expires_after_twelve_hours(back_office: BackOffice) -> None:
    back_office.person("amina", languages=["ar"])
    back_office.login("amina")
    back_office.clock.advance(hours=11, minutes=59)
    assert back_office.client.get("/api/cases").status_code == 200
    back_office.clock.advance(hours=1, minutes=1)
    assert back_office.client.get("/api/cases").status_code == 401
    assert back_office.client.get("/", headers=HTML, follow_redirects=False).status_code == 303


# ---------------------------------------------------------------- 5. brute force


def test_the_sixth_wrong_password_is_throttled_from_any_address(back_office: BackOffice) -> None:
    back_office.person("amina", languages=["ar"])
    wrong = {"username": "amina", "password": "not the password"}
    for _ in range(5):
        assert back_office.client.post("/api/session", json=wrong).status_code == 401
    elsewhere = other_client(back_office, address="203.0.113.9")
    throttled = elsewhere.post("/api/session", json=wrong)
    assert throttled.status_code == 429
    assert int(throttled.headers["Retry-After"]) > 0
    # The form login is throttled the same way.
    elsewhere.get("/login")
    form = wrong | {CSRF_FIELD: elsewhere.cookies["brug_login_csrf"]}
    assert elsewhere.post("/login", data=form).status_code == 429


def test_many_usernames_from_one_address_are_throttled(back_office: BackOffice) -> None:
    attacker = other_client(back_office, address="198.51.100.7")
    for number in range(5):
        response = attacker.post("/api/session", json={"username": f"user{number}", "password": "guess"})
        assert response.status_code == 401
    throttled = attacker.post("/api/session", json={"username": "user5", "password": "guess"})
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) > 0
    # Another address trying one of those names is not slowed down by the attacker.
    other = other_client(back_office, address="192.0.2.1")
    assert other.post("/api/session", json={"username": "user0", "password": "guess"}).status_code == 401


# ---------------------------------------------------------------- 6. headers and cookies


def _assert_security_headers(response: Any, where: str) -> None:
    csp = response.headers.get("Content-Security-Policy", "")
    directives = {part.split()[0]: part.split()[1:] for part in csp.split(";") if part.strip()}
    scripts = directives.get("script-src", directives.get("default-src"))
    assert scripts is not None and "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts, where
    assert directives.get("frame-ancestors") == ["'none'"], where
    assert response.headers.get("X-Content-Type-Options") == "nosniff", where
    assert response.headers.get("Referrer-Policy") in {"no-referrer", "same-origin", "strict-origin"}, where


def test_security_headers_on_every_kind_of_response(back_office: BackOffice) -> None:
    back_office.person("coord", languages=["ar"], role=Role.COORDINATOR)
    back_office.person("amina", languages=["ar"])
    anonymous = other_client(back_office)
    key_person = other_client(back_office)
    back_office.login("amina", key_person)
    csrf = back_office.login("coord")
    case_id = back_office.case(language="ar")
    responses = {
        "login page": (anonymous.get("/login", headers=HTML), 200),
        "queue page": (back_office.client.get("/", headers=HTML), 200),
        "json": (back_office.client.get("/api/cases"), 200),
        "openapi": (back_office.client.get("/api/openapi.json"), 200),
        "static": (anonymous.get("/static/app.js"), 200),
        "404 json": (anonymous.get("/no-such-page"), 404),
        "404 case": (back_office.client.get("/api/cases/999999"), 404),
        "401": (anonymous.get("/api/cases"), 401),
        "403 json": (key_person.get("/people"), 403),
        "403 page": (key_person.get("/people", headers=HTML), 403),
        "403 csrf": (back_office.client.post(f"/api/cases/{case_id}/claim"), 403),
        "422 body": (
            back_office.client.post(f"/api/cases/{case_id}/notes", json={}, headers={CSRF_HEADER: csrf}),
            422,
        ),
        "422 query": (back_office.client.get("/api/cases?status=bogus"), 422),
        "303": (anonymous.get("/", follow_redirects=False), 303),
    }
    for where, (response, code) in responses.items():
        assert response.status_code == code, where
        _assert_security_headers(response, where)


def _cookie_header(response: Any, name: str) -> str:
    found: list[str] = [v for v in response.headers.get_list("set-cookie") if v.startswith(f"{name}=")]
    assert found, name
    return found[0].lower()


def test_session_cookie_flags(back_office: BackOffice) -> None:
    back_office.person("amina", languages=["ar"])
    plain = back_office.client.post("/api/session", json={"username": "amina", "password": PASSWORD})
    cookie = _cookie_header(plain, SESSION_COOKIE)
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie

    https_settings = back_office.settings.model_copy(update={"brug_public_url": "https://brug.example.org"})
    assert https_settings.secure_cookies
    app = create_app(https_settings, back_office.engine, clock=back_office.clock)
    with TestClient(app, base_url="https://brug.example.org") as client:
        secure = client.post("/api/session", json={"username": "amina", "password": PASSWORD})
        cookie = _cookie_header(secure, SESSION_COOKIE)
        assert "httponly" in cookie and "samesite=lax" in cookie and "; secure" in cookie
        login_csrf = _cookie_header(client.get("/login"), "brug_login_csrf")
        assert "httponly" in login_csrf and "; secure" in login_csrf
        form = {"username": "amina", "password": PASSWORD, CSRF_FIELD: client.cookies["brug_login_csrf"]}
        by_form = client.post("/login", data=form, follow_redirects=False)
        assert "; secure" in _cookie_header(by_form, SESSION_COOKIE)


# ---------------------------------------------------------------- 7. fuzzing the JSON API


def test_hostile_text_in_json_is_a_422_not_a_500(back_office: BackOffice) -> None:
    back_office.person("coord", languages=["ar"], role=Role.COORDINATOR)
    csrf = back_office.login("coord")
    case_id = back_office.case(language="ar")
    json_headers = {CSRF_HEADER: csrf, "Content-Type": "application/json"}
    for body in (b'{"text": "a\\u0000b"}', b'{"text": "a\\ud800b"}'):
        for action in ("notes", "reply"):
            response = back_office.client.post(
                f"/api/cases/{case_id}/{action}", content=body, headers=json_headers
            )
            assert response.status_code == 422, (action, body, response.text)
    for body in (b'{"username": "a\\u0000", "password": "x"}', b'{"username": "a", "password": "\\ud800"}'):
        response = back_office.client.post(
            "/api/session", content=body, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 422, body
    too_big = back_office.client.post(
        f"/api/cases/{case_id}/assign", json={"key_person_id": 2**70}, headers={CSRF_HEADER: csrf}
    )
    assert too_big.status_code == 422
    assert back_office.client.get(f"/api/cases/{2**70}").status_code == 422
    assert back_office.client.get(f"/cases/{2**70}", headers=HTML).status_code == 422


def test_fuzz_the_json_api_from_its_schema(back_office: BackOffice) -> None:
    csrf, _ = _world(back_office)
    back_office.case(language="ti", texts=("selam",))
    token = back_office.client.cookies[SESSION_COOKIE]
    app = back_office.client.app
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    # Logging out would end the session the other operations use: last.
    operations.sort(key=lambda op: (op.method.upper() == "DELETE" and op.path == "/api/session", op.path))
    ran: Counter[str] = Counter()
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=25,
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Any) -> None:
            response = case.call(headers={CSRF_HEADER: csrf}, cookies={SESSION_COOKIE: token})
            case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
            ran[f"{case.method.upper()} {case.path}"] += 1

        check()
    print(f"\nschemathesis: {sum(ran.values())} cases over {len(ran)} operations: {dict(ran)}")
    assert len(ran) == len(operations) >= 9
    assert sum(ran.values()) >= 9 * 10

"""Try the bot without Telegram: the preview page runs the bot's own engine and keeps nothing."""

from __future__ import annotations

import re

from sqlalchemy import func
from sqlmodel import select

from brug.api.app import create_app
from brug.bot.preview import preview_step
from brug.core.db import session_scope
from brug.core.i18n import translations
from brug.core.models import Case, Message, OutboxItem, User
from tests.api.conftest import BackOffice

HTML = {"Accept": "text/html"}


def _conversation(page: str) -> str:
    match = re.search(r'name="conversation" value="([^"]+)"', page)
    assert match
    return match.group(1)


def _with_preview(back_office: BackOffice) -> None:
    back_office.client.app.state.preview = preview_step  # type: ignore[attr-defined]


def test_a_staff_member_chats_with_the_flows_in_arabic_and_nothing_is_stored(back_office: BackOffice) -> None:
    _with_preview(back_office)
    back_office.person("amina", languages=["ar"])
    csrf = back_office.login("amina")
    page = back_office.client.get("/preview?language=ar", headers=HTML).text
    assert 'dir="rtl"' in page and 'lang="ar"' in page
    form = {"csrf_token": csrf, "conversation": _conversation(page), "kind": "command", "value": "menu"}
    page = back_office.client.post("/preview", data=form, headers=HTML).text
    ar = translations("ar").gettext
    assert ar("Waiting time") in page and 'value="f:main.menu:0"' in page
    form = {
        "csrf_token": csrf,
        "conversation": _conversation(page),
        "kind": "button",
        "value": "f:main.menu:0",
    }
    page = back_office.client.post("/preview", data=form, headers=HTML).text
    assert ar("Waiting for your family is hard. What do you want to know?") in page
    form = {"csrf_token": csrf, "conversation": _conversation(page), "kind": "text", "value": "بدي موت"}
    page = back_office.client.post("/preview", data=form, headers=HTML).text
    assert "a case would be opened (urgent, crisis_signal)" in page
    with session_scope(back_office.engine) as session:
        for table in (User, Message, Case, OutboxItem):
            assert session.exec(select(func.count()).select_from(table)).one() == 0


def test_a_tampered_conversation_starts_again(back_office: BackOffice) -> None:
    _with_preview(back_office)
    back_office.person("amina", languages=["ar"])
    csrf = back_office.login("amina")
    page = back_office.client.get("/preview?language=ar", headers=HTML).text
    body, _, mac = _conversation(page).rpartition(".")
    forged = f"{body}x.{mac}"
    form = {"csrf_token": csrf, "conversation": forged, "kind": "command", "value": "help"}
    page = back_office.client.post("/preview", data=form, headers=HTML).text
    assert "What you can do here" in page, "an unreadable conversation restarts in English"


def test_the_preview_needs_a_login_and_the_csrf_field(back_office: BackOffice) -> None:
    _with_preview(back_office)
    response = back_office.client.get("/preview", headers=HTML, follow_redirects=False)
    assert response.status_code == 303
    back_office.person("amina", languages=["ar"])
    back_office.login("amina")
    form = {"csrf_token": "wrong", "conversation": "x", "kind": "text", "value": "hi"}
    assert back_office.client.post("/preview", data=form, headers=HTML).status_code == 403


def test_without_an_engine_the_page_says_so(back_office: BackOffice) -> None:
    app = create_app(back_office.settings, back_office.engine, clock=back_office.clock)
    assert app.state.preview is None
    back_office.person("amina", languages=["ar"])
    back_office.login("amina")
    back_office.client.app.state.preview = None  # type: ignore[attr-defined]
    page = back_office.client.get("/preview", headers=HTML).text
    assert "not available" in page

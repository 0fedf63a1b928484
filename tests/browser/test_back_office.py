"""A key person in a real browser: log in, urgent case on top, reply, and the answer arriving live."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import Page, expect
from sqlmodel import col, select

from brug.core.cases import request_person
from brug.core.db import session_scope
from brug.core.keypersons import create_key_person
from brug.core.models import Message, OutboxItem, Role, Severity, User, utcnow
from tests.browser.conftest import LiveServer

PASSWORD = "correct horse battery"


def _seed(server: LiveServer) -> tuple[int, int]:
    """A key person for Arabic and Dutch; an older normal Dutch case and a newer urgent Arabic one."""
    now = utcnow()
    with session_scope(server.engine) as session:
        create_key_person(
            session,
            username="amina",
            name="Amina",
            languages=["ar", "nl"],
            role=Role.KEYPERSON,
            password=PASSWORD,
        )
        ids = []
        for number, (language, severity, text) in enumerate(
            [
                ("nl", Severity.NORMAL, "Ik wil met iemand praten"),
                ("ar", Severity.URGENT, "لا أستطيع أن أكمل"),
            ]
        ):
            at = now - timedelta(minutes=30 - number * 20)
            user = User(telegram_key=f"k{number}", chat_id=7000 + number, language=language, created_at=at)
            session.add(user)
            session.flush()
            assert user.id is not None
            session.add(Message(user_id=user.id, direction="in", kind="text", text=text, created_at=at))
            reason = "crisis_signal" if severity == Severity.URGENT else "asked_for_person"
            case = request_person(session, user=user, severity=severity, reason=reason, now=at)
            ids.append(case.id)
    normal, urgent = ids
    assert normal is not None and urgent is not None
    return normal, urgent


def _log_in(page: Page, server: LiveServer) -> None:
    page.goto(server.url("/"))
    page.get_by_label("Username").fill("amina")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("h1")).to_have_text("Open cases")


def test_urgent_case_on_top_reply_and_the_answer_arrives_without_reload(
    live_server: LiveServer, page: Page
) -> None:
    normal, urgent = _seed(live_server)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    _log_in(page, live_server)

    rows = page.locator("#queue tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_have_attribute("data-case", str(urgent))
    expect(rows.nth(0)).to_contain_text("Urgent")
    expect(rows.nth(1)).to_have_attribute("data-case", str(normal))

    rows.nth(0).get_by_role("link").click()
    thread = page.locator("#thread")
    expect(thread).to_have_attribute("dir", "rtl")
    assert thread.evaluate("node => getComputedStyle(node).direction") == "rtl"
    expect(thread).to_contain_text("لا أستطيع أن أكمل")
    expect(page.locator(".rule")).to_contain_text("all coordinators are told")

    page.locator("#reply-text").fill("أنا أمينة، أنا هنا معك")
    page.get_by_role("button", name="Send").click()
    expect(thread.locator("li.out").last).to_contain_text("أنا أمينة، أنا هنا معك")
    expect(page.locator("#case-status")).to_contain_text("claimed · Amina")
    with session_scope(live_server.engine) as session:
        sent = session.exec(select(OutboxItem).order_by(col(OutboxItem.id))).all()
        assert any("أنا أمينة، أنا هنا معك" in str(row.payload.get("text")) for row in sent)
        user_id = session.exec(select(User.id).where(User.telegram_key == "k1")).one()
    assert user_id is not None

    page.evaluate("window.stillTheSamePage = true")
    with session_scope(live_server.engine) as session:
        session.add(Message(user_id=user_id, direction="in", kind="text", text="شكرا لك"))
    expect(thread.locator("li.in").last).to_contain_text("شكرا لك", timeout=10_000)
    assert page.evaluate("window.stillTheSamePage") is True
    assert errors == []


def test_a_new_case_appears_in_the_queue_without_reload(live_server: LiveServer, page: Page) -> None:
    _seed(live_server)
    _log_in(page, live_server)
    expect(page.locator("#queue tbody tr")).to_have_count(2)
    page.evaluate("window.stillTheSamePage = true")
    with session_scope(live_server.engine) as session:
        user = User(telegram_key="k-new", chat_id=7100, language="nl")
        session.add(user)
        session.flush()
        request_person(session, user=user, severity=Severity.URGENT, reason="crisis_signal", now=utcnow())
    rows = page.locator("#queue tbody tr")
    expect(rows).to_have_count(3, timeout=10_000)
    # Urgent first, then oldest: the new urgent case comes after the older urgent one, before the normal one.
    expect(rows.nth(1)).to_contain_text("Urgent")
    expect(rows.nth(1)).to_contain_text("Nederlands")
    expect(rows.nth(2)).not_to_contain_text("Urgent")
    assert page.evaluate("window.stillTheSamePage") is True

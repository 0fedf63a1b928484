"""The account page and the coordinators' pages: people, canned replies, audit log, dashboard."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlmodel import col, select

from brug.api.app import create_app
from brug.core.db import session_scope
from brug.core.models import AuditEntry, CannedReply, Case, Invite, KeyPerson, Role, Severity, User
from brug.core.staff import digest, link_telegram, redeem_invite
from tests.api.conftest import PASSWORD, BackOffice

BASE_URL = "http://127.0.0.1:8000"
COORDINATOR_PAGES = ["/people", "/canned", "/audit", "/dashboard"]


def coordinator(back_office: BackOffice) -> str:
    """Create the coordinator "coord" (Cora) and log in as her; returns the CSRF token."""
    back_office.person("coord", languages=["nl"], role=Role.COORDINATOR, name="Cora")
    return back_office.login("coord")


def other_client(back_office: BackOffice) -> TestClient:
    """A second browser on the same app."""
    return TestClient(back_office.client.app, base_url=BASE_URL)


def key_person(back_office: BackOffice, person_id: int) -> KeyPerson:
    person = back_office.get(KeyPerson, person_id)
    assert isinstance(person, KeyPerson)
    return person


def count(back_office: BackOffice, model: type[KeyPerson] | type[CannedReply] | type[Invite]) -> int:
    with session_scope(back_office.engine) as session:
        return session.exec(select(func.count()).select_from(model)).one()


def audit_details(back_office: BackOffice, action: str) -> list[str]:
    with session_scope(back_office.engine) as session:
        rows = session.exec(
            select(AuditEntry).where(AuditEntry.action == action).order_by(col(AuditEntry.id))
        ).all()
        return [row.detail for row in rows]


# ---------------------------------------------------------------- who sees what


def test_every_page_is_there_for_a_coordinator(back_office: BackOffice) -> None:
    coordinator(back_office)
    headings = {
        "/account": "Your account",
        "/people": "People",
        "/canned": "Canned replies",
        "/audit": "Audit log",
        "/dashboard": "Dashboard",
    }
    for path, heading in headings.items():
        page = back_office.client.get(path)
        assert page.status_code == 200, path
        assert f"<h1>{heading}" in page.text, path
        assert "style=" not in page.text and "<script>" not in page.text, path


def test_coordinator_pages_are_403_for_a_key_person(back_office: BackOffice) -> None:
    back_office.person("amina", languages=["ar"])
    csrf = back_office.login("amina")
    for path in COORDINATOR_PAGES:
        assert back_office.client.get(path).status_code == 403, path
    shown = back_office.client.get("/people", headers={"Accept": "text/html"})
    assert shown.status_code == 403 and "only coordinators" in shown.text
    created = back_office.client.post(
        "/people",
        data={
            "csrf_token": csrf,
            "username": "eve",
            "name": "Eve",
            "languages": ["ar"],
            "password": "x" * 12,
        },
    )
    assert created.status_code == 403
    assert back_office.client.post("/canned", data={"csrf_token": csrf}).status_code == 403
    assert count(back_office, KeyPerson) == 1
    account = back_office.client.get("/account")
    assert account.status_code == 200 and "Key person" in account.text
    assert 'href="/people"' not in account.text


def test_pages_send_a_visitor_who_is_not_logged_in_to_the_login_page(back_office: BackOffice) -> None:
    for path in ["/account", *COORDINATOR_PAGES]:
        response = back_office.client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == f"/login?next={path}"


# ---------------------------------------------------------------- CSRF


def test_a_post_without_the_right_csrf_token_is_403_and_changes_nothing(back_office: BackOffice) -> None:
    amina = back_office.person("amina", languages=["ar"])
    badr = back_office.person("badr", languages=["ar"])
    coordinator(back_office)
    posts: list[tuple[str, dict[str, str | list[str]]]] = [
        ("/people", {"username": "eve", "name": "Eve", "languages": ["ar"], "password": "y" * 12}),
        (f"/people/{amina}/active", {"active": "false"}),
        (f"/people/{amina}/role", {"role": "coordinator"}),
        (f"/people/{amina}/languages", {"languages": ["ti"]}),
        ("/canned", {"language": "ar", "title": "Hello", "text": "Hello"}),
        ("/account/backup", {"backup_id": str(badr)}),
        (
            "/account/password",
            {"old_password": PASSWORD, "new_password": "n" * 12, "new_password_again": "n" * 12},
        ),
        ("/account/telegram/code", {}),
        ("/account/invite", {}),
    ]
    for path, data in posts:
        for token in ({"csrf_token": "wrong"}, {}):
            response = back_office.client.post(path, data={**data, **token}, follow_redirects=False)
            assert response.status_code == 403, (path, token)
            assert "expired" in response.json()["detail"]
    assert count(back_office, KeyPerson) == 3
    assert count(back_office, CannedReply) == 0
    assert count(back_office, Invite) == 0
    person = key_person(back_office, amina)
    assert person.active and person.role == Role.KEYPERSON and person.languages == ["ar"]
    with session_scope(back_office.engine) as session:
        coord = session.exec(select(KeyPerson).where(KeyPerson.username == "coord")).one()
    assert coord.backup_id is None and coord.link_code_hash is None
    assert audit_details(back_office, "account") == []
    back_office.login("coord")  # the password did not change


# ---------------------------------------------------------------- people


def test_a_coordinator_creates_a_key_person_who_can_then_log_in(back_office: BackOffice) -> None:
    csrf = coordinator(back_office)
    form = {
        "csrf_token": csrf,
        "username": " Amina ",
        "name": "Amina",
        "languages": ["fa_AF", "ar"],
        "role": "keyperson",
        "password": "a long first password",
    }
    response = back_office.client.post("/people", data=form, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/people?done=created"
    page = back_office.client.get(response.headers["location"])
    assert "The account is created" in page.text
    assert "<td>amina</td>" in page.text and "ar, fa_AF" in page.text
    with session_scope(back_office.engine) as session:
        amina = session.exec(select(KeyPerson).where(KeyPerson.username == "amina")).one()
    assert amina.name == "Amina" and amina.languages == ["ar", "fa_AF"] and amina.role == Role.KEYPERSON
    assert audit_details(back_office, "account") == ["created amina (keyperson; ar, fa_AF)"]
    login = back_office.client.post(
        "/api/session", json={"username": "amina", "password": "a long first password"}
    )
    assert login.status_code == 200


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"username": "Not Valid!"}, "Username: 2–64 characters"),
        ({"username": "coord"}, "already exists"),
        ({"languages": []}, "Choose at least one language"),
        ({"languages": ["ar", "xx"]}, "Unknown language: xx"),
        ({"password": "short"}, "Password must have at least 10 characters"),
        ({"role": "admin"}, "Role must be one of keyperson, coordinator"),
        ({"name": "  "}, "Name must not be empty"),
        ({"name": "N" * 121}, "Name: at most 120 characters"),
    ],
)
def test_a_wrong_new_person_is_422_with_the_reason_and_the_form_kept(
    back_office: BackOffice, change: dict[str, object], message: str
) -> None:
    csrf = coordinator(back_office)
    form = {
        "csrf_token": csrf,
        "username": "badr",
        "name": "Badr",
        "languages": ["ar"],
        "role": "keyperson",
        "password": "a long first password",
        **change,
    }
    response = back_office.client.post("/people", data=form)
    assert response.status_code == 422
    assert message in response.text
    assert 'class="error"' in response.text
    assert "a long first password" not in response.text  # the password is never sent back
    assert count(back_office, KeyPerson) == 1


def test_deactivating_a_person_ends_their_sessions_and_login(back_office: BackOffice) -> None:
    amina = back_office.person("amina", languages=["ar"])
    amina_browser = other_client(back_office)
    back_office.login("amina", amina_browser)
    csrf = coordinator(back_office)
    response = back_office.client.post(
        f"/people/{amina}/active", data={"csrf_token": csrf, "active": "false"}
    )
    assert response.status_code == 200 and "deactivated" in response.text
    assert not key_person(back_office, amina).active
    assert amina_browser.get("/api/cases").status_code == 401
    refused = amina_browser.post("/api/session", json={"username": "amina", "password": PASSWORD})
    assert refused.status_code == 401
    back_office.client.post(f"/people/{amina}/active", data={"csrf_token": csrf, "active": "true"})
    assert key_person(back_office, amina).active
    back_office.login("amina", amina_browser)
    assert audit_details(back_office, "account") == ["deactivated amina", "reactivated amina"]


def test_a_coordinator_cannot_deactivate_themselves_or_change_their_own_role(back_office: BackOffice) -> None:
    csrf = coordinator(back_office)
    with session_scope(back_office.engine) as session:
        me = session.exec(select(KeyPerson).where(KeyPerson.username == "coord")).one()
    assert me.id is not None
    response = back_office.client.post(
        f"/people/{me.id}/active", data={"csrf_token": csrf, "active": "false"}
    )
    assert response.status_code == 422 and "cannot deactivate your own account" in response.text
    response = back_office.client.post(
        f"/people/{me.id}/role", data={"csrf_token": csrf, "role": "keyperson"}
    )
    assert response.status_code == 422 and "cannot change your own role" in response.text
    me_now = key_person(back_office, me.id)
    assert me_now.active and me_now.role == Role.COORDINATOR
    assert back_office.client.get("/people").status_code == 200
    missing = back_office.client.post("/people/999/active", data={"csrf_token": csrf, "active": "false"})
    assert missing.status_code == 404


def test_a_coordinator_changes_languages_and_role(back_office: BackOffice) -> None:
    amina = back_office.person("amina", languages=["ar"])
    csrf = coordinator(back_office)
    saved = back_office.client.post(
        f"/people/{amina}/languages", data={"csrf_token": csrf, "languages": ["ar", "ti"]}
    )
    assert saved.status_code == 200 and "The languages are saved" in saved.text
    assert key_person(back_office, amina).languages == ["ti", "ar"]
    for wrong in ([], ["ar", "de"]):
        refused = back_office.client.post(
            f"/people/{amina}/languages", data={"csrf_token": csrf, "languages": wrong}
        )
        assert refused.status_code == 422
    assert key_person(back_office, amina).languages == ["ti", "ar"]
    promoted = back_office.client.post(
        f"/people/{amina}/role", data={"csrf_token": csrf, "role": "coordinator"}
    )
    assert promoted.status_code == 200 and "The role is saved" in promoted.text
    assert key_person(back_office, amina).role == Role.COORDINATOR
    assert (
        back_office.client.post(
            f"/people/{amina}/role", data={"csrf_token": csrf, "role": "boss"}
        ).status_code
        == 422
    )
    assert audit_details(back_office, "account") == [
        "languages of amina: ti, ar",
        "role of amina: coordinator",
    ]


def test_the_people_list_shows_telegram_backup_and_held_cases(back_office: BackOffice) -> None:
    amina = back_office.person("amina", languages=["ar"], name="Amina")
    badr = back_office.person("badr", languages=["ar"], name="Badr")
    case_id = back_office.case(language="ar")
    with session_scope(back_office.engine) as session:
        person = session.get(KeyPerson, amina)
        assert person is not None
        person.telegram_chat_id, person.backup_id = 4242, badr
        case = session.get(Case, case_id)
        assert case is not None
        case.assigned_to, case.status = amina, "claimed"
        session.add_all([person, case])
    coordinator(back_office)
    page = back_office.client.get("/people").text
    row = re.search(rf'<tr data-person="{amina}">(.*?)</tr>', page, re.S)
    assert row is not None
    cells = re.findall(r"<td>(.*?)</td>", row.group(1), re.S)
    assert cells[:8] == ["Amina", "amina", "Key person", "ar", "yes", "linked", "Badr", "1 open"]


# ---------------------------------------------------------------- account


def test_a_link_code_has_eight_digits_is_shown_once_and_links_telegram(back_office: BackOffice) -> None:
    amina = back_office.person("amina", languages=["ar"])
    csrf = back_office.login("amina")
    page = back_office.client.post("/account/telegram/code", data={"csrf_token": csrf})
    assert page.status_code == 200 and page.url.path == "/account" and not page.url.query
    found = re.search(r"/link (\d+)</code>", page.text)
    assert found is not None and len(found.group(1)) == 8
    code = found.group(1)
    assert "within 15 minutes" in page.text
    assert key_person(back_office, amina).link_code_hash == digest(code)
    assert "brug_once" not in back_office.client.cookies
    again = back_office.client.get("/account")
    assert code not in again.text and "valid until 09:15 UTC" in again.text
    assert '<strong id="telegram-linked">no</strong>' in again.text
    with session_scope(back_office.engine) as session:
        assert link_telegram(session, code, 4242, back_office.clock.now) is not None
    linked = back_office.client.get("/account")
    assert '<strong id="telegram-linked">yes</strong>' in linked.text and "Unlink Telegram" in linked.text
    unlinked = back_office.client.post("/account/telegram/unlink", data={"csrf_token": csrf})
    assert "no longer linked" in unlinked.text
    assert key_person(back_office, amina).telegram_chat_id is None
    assert audit_details(back_office, "account") == ["Telegram link code made", "Telegram unlinked"]


def test_an_invite_without_the_bot_username_shows_the_code_and_what_to_set(back_office: BackOffice) -> None:
    amina = back_office.person("amina", languages=["ar"])
    csrf = back_office.login("amina")
    page = back_office.client.post("/account/invite", data={"csrf_token": csrf})
    found = re.search(r'<code class="code" id="invite-code">(kp[A-Za-z0-9_-]+)</code>', page.text)
    assert found is not None
    assert "TELEGRAM_BOT_USERNAME" in page.text and "t.me/" not in page.text.split("invite-code")[1][:80]
    assert "works once, for 30 days" in page.text
    with session_scope(back_office.engine) as session:
        invite = session.get(Invite, digest(found.group(1)))
        assert invite is not None and invite.key_person_id == amina


def test_an_invite_with_the_bot_username_is_a_t_me_link_that_works(back_office: BackOffice) -> None:
    amina = back_office.person("amina", languages=["ar"])
    settings = back_office.settings.model_copy(update={"telegram_bot_username": "brug_test_bot"})
    app = create_app(settings, back_office.engine, clock=back_office.clock)
    with TestClient(app, base_url=BASE_URL) as client:
        csrf = back_office.login("amina", client)
        page = client.post("/account/invite", data={"csrf_token": csrf})
        assert page.status_code == 200
        found = re.search(r"https://t\.me/brug_test_bot\?start=(kp[A-Za-z0-9_-]+)</code>", page.text)
        assert found is not None
        assert found.group(1) not in client.get("/account").text  # shown once
    case_id = back_office.case(language="ar")
    with session_scope(back_office.engine) as session:
        case = session.get(Case, case_id)
        assert case is not None and case.user_id is not None
        user = session.get(User, case.user_id)
        assert user is not None
        assert redeem_invite(session, found.group(1), user, back_office.clock.now) is not None
        assert user.contact_person_id == amina


def test_a_backup_is_saved_and_must_be_another_active_person(back_office: BackOffice) -> None:
    amina = back_office.person("amina", languages=["ar"], name="Amina")
    badr = back_office.person("badr", languages=["ar", "nl"], name="Badr")
    gone = back_office.person("gone", languages=["ar"], name="Gone")
    with session_scope(back_office.engine) as session:
        person = session.get(KeyPerson, gone)
        assert person is not None
        person.active = False
        session.add(person)
    csrf = back_office.login("amina")
    page = back_office.client.get("/account").text
    assert f'<option value="{badr}">Badr (ar, nl)</option>' in page
    assert f'value="{gone}"' not in page and f'<option value="{amina}"' not in page
    saved = back_office.client.post("/account/backup", data={"csrf_token": csrf, "backup_id": str(badr)})
    assert "Your backup is saved" in saved.text and "<strong>Badr</strong>" in saved.text
    assert key_person(back_office, amina).backup_id == badr
    for wrong in (str(amina), str(gone), "999", "x", "²"):
        refused = back_office.client.post("/account/backup", data={"csrf_token": csrf, "backup_id": wrong})
        assert refused.status_code == 422, wrong
    assert key_person(back_office, amina).backup_id == badr
    back_office.client.post("/account/backup", data={"csrf_token": csrf, "backup_id": ""})
    assert key_person(back_office, amina).backup_id is None
    assert audit_details(back_office, "account") == ["backup: badr", "backup: nobody"]


def test_changing_the_password_needs_the_old_one_and_logs_out_other_devices(back_office: BackOffice) -> None:
    back_office.person("amina", languages=["ar"])
    phone = other_client(back_office)
    back_office.login("amina", phone)
    csrf = back_office.login("amina")
    new = "a new long password"
    wrong = [
        ({"old_password": "not it at all", "new_password": new, "new_password_again": new}, "not right"),
        ({"old_password": PASSWORD, "new_password": "short", "new_password_again": "short"}, "at least 10"),
        ({"old_password": PASSWORD, "new_password": new, "new_password_again": new + "!"}, "not the same"),
    ]
    for form, message in wrong:
        refused = back_office.client.post("/account/password", data={"csrf_token": csrf, **form})
        assert refused.status_code == 422 and message in refused.text
        assert PASSWORD not in refused.text and new not in refused.text
    assert phone.get("/api/cases").status_code == 200
    done = back_office.client.post(
        "/account/password",
        data={"csrf_token": csrf, "old_password": PASSWORD, "new_password": new, "new_password_again": new},
    )
    assert done.status_code == 200 and "Your password is changed" in done.text
    assert back_office.client.get("/account").status_code == 200  # this session stays
    assert phone.get("/api/cases").status_code == 401
    old = phone.post("/api/session", json={"username": "amina", "password": PASSWORD})
    assert old.status_code == 401
    assert phone.post("/api/session", json={"username": "amina", "password": new}).status_code == 200
    assert audit_details(back_office, "account") == ["password changed"]


def test_a_confirmation_shows_only_fixed_texts(back_office: BackOffice) -> None:
    coordinator(back_office)
    page = back_office.client.get("/people", params={"done": "<b>you have been hacked</b>"})
    assert page.status_code == 200 and "hacked" not in page.text and 'class="flash"' not in page.text
    assert "The role is saved" in back_office.client.get("/people?done=role").text


# ---------------------------------------------------------------- canned replies


def test_canned_replies_are_grouped_by_language_right_to_left_where_needed(back_office: BackOffice) -> None:
    csrf = coordinator(back_office)
    for language, title, text in [
        ("ar", "تحية", "مرحبا، كيف حالك؟"),
        ("fa_AF", "سلام", "سلام، چطور هستید؟"),
        ("en", "Greeting", "Hello,\nhow are you?"),
    ]:
        response = back_office.client.post(
            "/canned", data={"csrf_token": csrf, "language": language, "title": title, "text": text}
        )
        assert response.status_code == 200 and "The canned reply is added" in response.text
    page = back_office.client.get("/canned").text
    assert '<strong dir="rtl" lang="ar">تحية</strong>' in page
    assert '<p class="canned-text" dir="rtl" lang="fa-AF">سلام، چطور هستید؟</p>' in page
    assert '<p class="canned-text" dir="ltr" lang="en">Hello,\nhow are you?</p>' in page
    arabic = page.index('id="canned-ar"')
    assert arabic < page.index("تحية") < page.index('id="canned-fa_AF"') < page.index("سلام، چطور")
    assert audit_details(back_office, "canned") == ["added #1 (ar)", "added #2 (fa_AF)", "added #3 (en)"]


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"language": "de", "title": "Hi", "text": "Hi"}, "Choose the language"),
        ({"language": "ar", "title": "T" * 81, "text": "Hi"}, "1 to 80 characters"),
        ({"language": "ar", "title": "  ", "text": "Hi"}, "1 to 80 characters"),
        ({"language": "ar", "title": "Hi", "text": "x" * 4001}, "1 to 4000 characters"),
        ({"language": "ar", "title": "Hi", "text": " "}, "1 to 4000 characters"),
    ],
)
def test_a_wrong_canned_reply_is_422(back_office: BackOffice, form: dict[str, str], message: str) -> None:
    csrf = coordinator(back_office)
    response = back_office.client.post("/canned", data={"csrf_token": csrf, **form})
    assert response.status_code == 422 and message in response.text
    assert count(back_office, CannedReply) == 0


def test_canned_replies_appear_on_cases_in_their_language_only_and_can_be_deleted(
    back_office: BackOffice,
) -> None:
    back_office.person("amina", languages=["ar", "en"])
    arabic_case = back_office.case(language="ar")
    english_case = back_office.case(language="en")
    csrf = coordinator(back_office)
    for language, title in [("ar", "تحية الصباح"), ("en", "Morning greeting")]:
        back_office.client.post(
            "/canned", data={"csrf_token": csrf, "language": language, "title": title, "text": f"{title}!"}
        )
    back_office.login("amina")
    arabic = back_office.client.get(f"/cases/{arabic_case}").text
    assert "تحية الصباح" in arabic and "Morning greeting" not in arabic
    english = back_office.client.get(f"/cases/{english_case}").text
    assert "Morning greeting" in english and "تحية الصباح" not in english
    csrf = back_office.login("coord")
    with session_scope(back_office.engine) as session:
        reply_id = session.exec(select(CannedReply.id).where(CannedReply.language == "ar")).one()
    deleted = back_office.client.post(f"/canned/{reply_id}/delete", data={"csrf_token": csrf})
    assert deleted.status_code == 200 and "The canned reply is deleted" in deleted.text
    assert "تحية الصباح" not in back_office.client.get(f"/cases/{arabic_case}").text
    assert back_office.client.post(f"/canned/{reply_id}/delete", data={"csrf_token": csrf}).status_code == 404


# ---------------------------------------------------------------- audit log


def test_the_audit_log_is_newest_first_100_a_page_and_filters_by_case(back_office: BackOffice) -> None:
    back_office.person("amina", languages=["ar"], name="Amina")
    first_case, second_case = back_office.case(language="ar"), back_office.case(language="ar")
    with session_scope(back_office.engine) as session:
        amina = session.exec(select(KeyPerson).where(KeyPerson.username == "amina")).one()
        for number in range(1, 106):  # entry 105 is the newest; entries go back in time from 08:59
            session.add(
                AuditEntry(
                    actor_id=amina.id if number % 2 else None,
                    action="note",
                    case_id=first_case if number % 10 == 0 else second_case,
                    detail=f"entry {number}",
                    at=back_office.clock.now - timedelta(minutes=200 - number),
                )
            )
    coordinator(back_office)  # logging in adds the newest entry, "login" at 09:00
    page = back_office.client.get("/audit").text
    details = re.findall(r"<bdi>(.*?)</bdi>", page)
    assert len(details) == 100
    assert details[:3] == ["", "entry 105", "entry 104"] and details[-1] == "entry 7"
    rows = re.findall(r'<tr data-entry="\d+">(.*?)</tr>', page, re.S)
    assert (
        "<td>2026-11-29 09:00:00</td>" in rows[0]
        and "<td>Cora</td>" in rows[0]
        and "<td>login</td>" in rows[0]
    )
    assert "<td>Amina</td>" in rows[1] and f'<a href="/cases/{second_case}">#{second_case}</a>' in rows[1]
    assert "<td>system</td>" in rows[2]
    assert 'href="/audit?page=2"' in page and "Newer" not in page
    second = back_office.client.get("/audit?page=2").text
    assert re.findall(r"<bdi>(.*?)</bdi>", second) == [f"entry {n}" for n in range(6, 0, -1)]
    assert 'href="/audit?page=1"' in second and "Older" not in second
    only_first = back_office.client.get(f"/audit?case={first_case}").text
    assert re.findall(r"<bdi>(.*?)</bdi>", only_first) == [f"entry {n}" for n in range(100, 0, -10)]
    assert back_office.client.get("/audit?case=").text.count("<bdi>") == 100  # the empty filter field
    assert back_office.client.get("/audit?page=0").status_code == 422
    assert back_office.client.get("/audit?case=abc").status_code == 422


# ---------------------------------------------------------------- dashboard


def test_the_dashboard_says_no_data_yet_on_an_empty_database(back_office: BackOffice) -> None:
    coordinator(back_office)
    page = back_office.client.get("/dashboard")
    assert page.status_code == 200
    assert 'id="no-data"' in page.text and page.text.count("No data yet") >= 6
    assert "Urgent: no replies yet" in page.text and "Normal: no replies yet" in page.text


def test_the_dashboard_shows_medians_and_counts_without_personal_data(back_office: BackOffice) -> None:
    waits = {Severity.NORMAL: [50, 10, 30], Severity.URGENT: [7, 8]}
    texts = ("secret words of a family",)
    case_ids: list[tuple[int, int]] = []
    for severity, minutes in waits.items():
        for wait in minutes:
            case_ids.append((back_office.case(language="ar", severity=severity, texts=texts), wait))
    with session_scope(back_office.engine) as session:
        for case_id, wait in case_ids:
            case = session.get(Case, case_id)
            assert case is not None
            case.first_reply_at = case.created_at + timedelta(minutes=wait)
            session.add(case)
    coordinator(back_office)
    page = back_office.client.get("/dashboard").text
    assert "Normal: median <strong>30 min</strong> over 3 cases" in page
    assert "Urgent: median <strong>7.5 min</strong> over 2 cases" in page
    assert "5 cases in this time" in page and 'id="no-data"' not in page
    assert "<title>Normal: 30 min</title>" in page
    assert "secret words" not in page and "key-1" not in page

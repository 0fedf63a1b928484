"""The key persons' pages: logging in with a form, the first-start link, the queue and a case."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlmodel import select

from brug.core.db import session_scope
from brug.core.models import KeyPerson, Role, Severity
from brug.core.staff import new_setup_token
from tests.api.conftest import PASSWORD, BackOffice

HTML = {"Accept": "text/html"}


def _login_csrf(client: TestClient, path: str = "/login") -> str:
    page = client.get(path, headers=HTML)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, page.text
    return match.group(1)


def test_pages_send_a_strict_content_security_policy(back_office: BackOffice) -> None:
    headers = back_office.client.get("/login").headers
    policy = headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert headers["x-content-type-options"] == "nosniff"


def test_a_page_without_login_redirects_to_the_login_form(back_office: BackOffice) -> None:
    response = back_office.client.get("/cases/1?x=1", headers=HTML, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/cases/1%3Fx%3D1"


def test_form_login_goes_to_next_and_refuses_a_foreign_next(back_office: BackOffice) -> None:
    back_office.person("amina", languages=["ar"])
    token = _login_csrf(back_office.client)
    form = {"username": "amina", "password": PASSWORD, "csrf_token": token, "next": "//evil.example/"}
    response = back_office.client.post("/login", data=form, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    assert back_office.client.get("/", headers=HTML).status_code == 200


def test_form_login_without_its_csrf_cookie_is_refused(back_office: BackOffice) -> None:
    back_office.person("amina", languages=["ar"])
    token = _login_csrf(back_office.client)
    back_office.client.cookies.clear()
    form = {"username": "amina", "password": PASSWORD, "csrf_token": token}
    response = back_office.client.post("/login", data=form, headers=HTML, follow_redirects=False)
    assert response.status_code == 403
    assert "brug_session" not in response.cookies


def test_wrong_password_in_the_form_shows_a_clear_message(back_office: BackOffice) -> None:
    back_office.person("amina", languages=["ar"])
    form = {"username": "amina", "password": "nope-nope-nope", "csrf_token": _login_csrf(back_office.client)}
    response = back_office.client.post("/login", data=form, headers=HTML)
    assert response.status_code == 401
    assert "Wrong username or password." in response.text


def test_the_setup_link_makes_the_first_coordinator_once(back_office: BackOffice) -> None:
    with session_scope(back_office.engine) as session:
        token = new_setup_token(session, back_office.clock.now)
    assert token is not None
    path = f"/setup/{token}"
    form = {
        "username": "coord",
        "name": "Sara",
        "languages": ["nl", "ar"],
        "password": PASSWORD,
        "csrf_token": _login_csrf(back_office.client, path),
    }
    response = back_office.client.post(path, data=form, follow_redirects=False)
    assert response.status_code == 303
    with session_scope(back_office.engine) as session:
        coordinator = session.exec(select(KeyPerson)).one()
    assert (coordinator.role, coordinator.languages) == (Role.COORDINATOR, ["nl", "ar"])
    assert back_office.client.get("/", headers=HTML).status_code == 200
    again = back_office.client.get(path, headers=HTML)
    assert again.status_code == 404 and "does not work" in again.text


def test_an_expired_setup_link_does_not_work(back_office: BackOffice) -> None:
    with session_scope(back_office.engine) as session:
        token = new_setup_token(session, back_office.clock.now)
    back_office.clock.advance(hours=24, seconds=1)
    assert back_office.client.get(f"/setup/{token}", headers=HTML).status_code == 404


def test_queue_page_shows_urgent_first(back_office: BackOffice) -> None:
    back_office.person("amina", languages=["ar"])
    normal = back_office.case(language="ar")
    urgent = back_office.case(language="ar", severity=Severity.URGENT, reason="crisis_signal")
    back_office.login("amina")
    page = back_office.client.get("/", headers=HTML).text
    assert page.index(f'data-case="{urgent}"') < page.index(f'data-case="{normal}"')
    assert "Crisis signal" in page


def test_user_text_is_escaped_and_arabic_cases_read_right_to_left(back_office: BackOffice) -> None:
    back_office.person("amina", languages=["ar"])
    hostile = '<script>alert(1)</script><a href="javascript:x">\u202eevil</a>'
    case_id = back_office.case(language="ar", texts=(hostile, "مرحبا"))
    back_office.login("amina")
    page = back_office.client.get(f"/cases/{case_id}", headers=HTML).text
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'href="javascript:' not in page
    assert '<ol class="thread" id="thread" dir="rtl" lang="ar">' in page
    assert re.search(r"<bdi[^>]*>&lt;script", page)


def test_forms_on_the_case_page_need_the_csrf_field(back_office: BackOffice) -> None:
    back_office.person("amina", languages=["ar"])
    case_id = back_office.case(language="ar")
    csrf = back_office.login("amina")
    refused = back_office.client.post(f"/cases/{case_id}/claim", data={"csrf_token": "x"}, headers=HTML)
    assert refused.status_code == 403
    done = back_office.client.post(
        f"/cases/{case_id}/claim", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert done.status_code == 303
    page = back_office.client.get(f"/cases/{case_id}", headers=HTML).text
    assert "claimed · Amina" in page

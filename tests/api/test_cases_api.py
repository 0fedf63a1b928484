"""The JSON API: login, the queue, a case, and what each key person may do."""

from __future__ import annotations

import re

from sqlmodel import col, select

from brug.core.db import session_scope
from brug.core.models import AuditEntry, Case, CaseStatus, Message, OutboxItem, Role, Severity
from tests.api.conftest import PASSWORD, BackOffice


def test_login_sets_an_httponly_lax_cookie_and_returns_the_csrf_token(back_office: BackOffice) -> None:
    back_office.person("amina", languages=["ar"])
    response = back_office.client.post("/api/session", json={"username": "amina", "password": PASSWORD})
    assert response.status_code == 200
    assert response.json()["username"] == "amina"
    assert response.json()["role"] == "keyperson"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie


def test_wrong_password_is_401_and_the_sixth_failure_is_slowed_down(back_office: BackOffice) -> None:
    back_office.person("amina", languages=["ar"])
    for _ in range(5):
        response = back_office.client.post(
            "/api/session", json={"username": "amina", "password": "wrong-wrong"}
        )
        assert response.status_code == 401
        assert response.json() == {"detail": "wrong username or password"}
    throttled = back_office.client.post("/api/session", json={"username": "amina", "password": PASSWORD})
    assert throttled.status_code == 429
    assert int(throttled.headers["retry-after"]) > 0
    back_office.clock.advance(seconds=int(throttled.headers["retry-after"]))
    assert (
        back_office.client.post("/api/session", json={"username": "amina", "password": PASSWORD}).status_code
        == 200
    )


def test_without_login_the_api_answers_401_in_json(back_office: BackOffice) -> None:
    response = back_office.client.get("/api/cases")
    assert response.status_code == 401
    assert "log in" in response.json()["detail"]


def test_queue_lists_urgent_first_then_oldest_in_my_languages_only(back_office: BackOffice) -> None:
    back_office.person("amina", languages=["ar", "nl"])
    old_normal = back_office.case(language="ar")
    back_office.clock.advance(minutes=5)
    newer_urgent = back_office.case(language="nl", severity=Severity.URGENT, reason="crisis_signal")
    back_office.case(language="ti")
    back_office.login("amina")
    cases = back_office.client.get("/api/cases?status=open").json()
    assert [c["id"] for c in cases] == [newer_urgent, old_normal]
    first = cases[0]
    assert first["severity"] == "urgent" and first["status"] == "open" and first["reason"] == "crisis_signal"
    assert re.fullmatch(r"[A-Z][a-z]+-\d+", first["pseudonym"])
    assert set(first) >= {"id", "pseudonym", "language", "severity", "status", "reason", "assigned_to"}
    assert set(first) >= {"created_at", "last_message_at"}


def test_a_key_person_cannot_read_another_languages_case_but_a_coordinator_can(
    back_office: BackOffice,
) -> None:
    back_office.person("amina", languages=["ar"])
    back_office.person("coord", languages=["nl"], role=Role.COORDINATOR)
    tigrinya = back_office.case(language="ti", texts=("ሰላም",))
    back_office.login("amina")
    assert back_office.client.get(f"/api/cases/{tigrinya}").status_code == 403
    assert back_office.client.get("/api/cases/9999").status_code == 404
    back_office.login("coord")
    detail = back_office.client.get(f"/api/cases/{tigrinya}").json()
    assert [m["text"] for m in detail["messages"]] == ["ሰላም"]
    assert detail["messages"][0]["direction"] == "in"


def test_mutations_need_the_csrf_header(back_office: BackOffice) -> None:
    back_office.person("amina", languages=["ar"])
    case_id = back_office.case(language="ar")
    csrf = back_office.login("amina")
    refused = back_office.client.post(f"/api/cases/{case_id}/claim")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    accepted = back_office.client.post(f"/api/cases/{case_id}/claim", headers={"X-CSRF-Token": csrf})
    assert accepted.status_code == 200
    assert accepted.json()["status"] == "claimed"


def test_claim_reply_close_goes_to_the_users_chat_and_the_audit_log(back_office: BackOffice) -> None:
    amina = back_office.person("amina", languages=["ar"], name="Amina")
    case_id = back_office.case(language="ar", texts=("أحتاج مساعدة",))
    headers = {"X-CSRF-Token": back_office.login("amina")}
    reply = back_office.client.post(
        f"/api/cases/{case_id}/reply", json={"text": "مرحبا، أنا هنا"}, headers=headers
    )
    assert reply.status_code == 202
    closed = back_office.client.post(
        f"/api/cases/{case_id}/close", json={"outcome": "helped"}, headers=headers
    )
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    with session_scope(back_office.engine) as session:
        case = session.get(Case, case_id)
        assert case is not None and case.assigned_to == amina and case.status == CaseStatus.CLOSED
        sent = [
            row.payload["text"] for row in session.exec(select(OutboxItem).order_by(col(OutboxItem.id))).all()
        ]
        out = session.exec(select(Message).where(Message.author_id == amina)).all()
        actions = [row.action for row in session.exec(select(AuditEntry).order_by(col(AuditEntry.id))).all()]
    assert any("مرحبا، أنا هنا" in text and "Amina" in text for text in sent)
    assert [m.direction for m in out] == ["out"]
    assert actions == ["login", "claim", "reply", "close"]


def test_a_claimed_case_is_not_yours_and_closing_needs_a_known_outcome(back_office: BackOffice) -> None:
    back_office.person("amina", languages=["ar"])
    back_office.person("omar", languages=["ar"])
    case_id = back_office.case(language="ar")
    headers = {"X-CSRF-Token": back_office.login("amina")}
    back_office.client.post(f"/api/cases/{case_id}/claim", headers=headers)
    bad = back_office.client.post(
        f"/api/cases/{case_id}/close", json={"outcome": "whatever"}, headers=headers
    )
    assert bad.status_code == 422
    omar = {"X-CSRF-Token": back_office.login("omar")}
    assert back_office.client.get(f"/api/cases/{case_id}").status_code == 403
    refused = back_office.client.post(f"/api/cases/{case_id}/reply", json={"text": "hi"}, headers=omar)
    assert refused.status_code == 403


def test_logout_ends_the_session(back_office: BackOffice) -> None:
    back_office.person("amina", languages=["ar"])
    csrf = back_office.login("amina")
    assert back_office.client.delete("/api/session", headers={"X-CSRF-Token": csrf}).status_code == 204
    assert back_office.client.get("/api/cases").status_code == 401


def test_openapi_lists_the_stable_endpoints(back_office: BackOffice) -> None:
    paths = back_office.client.get("/api/openapi.json").json()["paths"]
    assert {"/api/session", "/api/cases", "/api/cases/{case_id}", "/api/cases/{case_id}/reply"} <= set(paths)
    assert "post" in paths["/api/cases/{case_id}/close"] and "delete" in paths["/api/session"]


def test_hand_over_notes_interpreter_and_reopen_through_the_api(back_office: BackOffice) -> None:
    amina = back_office.person("amina", languages=["ar"], name="Amina")
    omar = back_office.person("omar", languages=["ar"], name="Omar")
    case_id = back_office.case(language="ar")
    amina_headers = {"X-CSRF-Token": back_office.login("amina")}
    api = back_office.client
    assert api.post(f"/api/cases/{case_id}/claim", headers=amina_headers).status_code == 200
    note = api.post(f"/api/cases/{case_id}/notes", json={"text": "Speaks some Dutch"}, headers=amina_headers)
    assert note.status_code == 201
    flagged = api.post(f"/api/cases/{case_id}/interpreter", json={"needed": True}, headers=amina_headers)
    assert flagged.json()["interpreter_needed"] is True
    handed = api.post(f"/api/cases/{case_id}/assign", json={"key_person_id": omar}, headers=amina_headers)
    assert (handed.json()["assigned_to"], handed.json()["assigned_to_name"]) == (omar, "Omar")
    assert api.get(f"/api/cases/{case_id}").status_code == 403, "after handing over, Amina no longer sees it"

    omar_headers = {"X-CSRF-Token": back_office.login("omar")}
    closed = api.post(f"/api/cases/{case_id}/close", json={"outcome": "referred_ggz"}, headers=omar_headers)
    assert closed.json()["status"] == "closed"
    reopened = api.post(f"/api/cases/{case_id}/reopen", headers=omar_headers)
    assert reopened.json()["status"] == "claimed"
    again = api.post(f"/api/cases/{case_id}/reopen", headers=omar_headers)
    assert again.status_code == 409
    with session_scope(back_office.engine) as session:
        texts = [row.payload["text"] for row in session.exec(select(OutboxItem).order_by(col(OutboxItem.id)))]
    assert any("Omar" in text and "Amina" in text for text in texts), "the user is told who takes over"
    assert amina != omar


def test_a_key_person_cannot_assign_a_case_they_do_not_hold(back_office: BackOffice) -> None:
    back_office.person("amina", languages=["ar"])
    omar = back_office.person("omar", languages=["ar"])
    case_id = back_office.case(language="ar")
    headers = {"X-CSRF-Token": back_office.login("amina")}
    refused = back_office.client.post(
        f"/api/cases/{case_id}/assign", json={"key_person_id": omar}, headers=headers
    )
    assert refused.status_code == 403


def test_the_status_filter_is_checked(back_office: BackOffice) -> None:
    back_office.person("amina", languages=["ar"])
    back_office.login("amina")
    response = back_office.client.get("/api/cases?status=open,lost")
    assert response.status_code == 422
    assert "status" in response.json()["detail"]

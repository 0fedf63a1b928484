"""GET /metrics: the numbers match the tables, no personal data leaks into labels, and who may read it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from brug.api.app import create_app
from brug.core.db import session_scope
from brug.core.models import (
    Case,
    CaseStatus,
    InboundUpdate,
    InboxStatus,
    OutboxItem,
    OutboxStatus,
    Role,
    Severity,
)
from brug.core.settings import SettingsError, load_settings
from tests.api.conftest import BackOffice
from tests.constants import SECRET_KEY, VAULT

METRICS_TOKEN = "metrics-token-with-at-least-32-characters"
CHAT_ID = 987_654_321
SECRET_TEXT = "mijn geheime verhaal"


def _values(body: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(body)
        for sample in family.samples
    }


def _token_client(back_office: BackOffice, token: str | None = METRICS_TOKEN) -> TestClient:
    settings = load_settings(
        brug_env="test",
        database_url=back_office.settings.database_url,
        brug_secret_key=SECRET_KEY,
        brug_metrics_token=token,
    )
    app = create_app(settings, back_office.engine, clock=back_office.clock)
    return TestClient(app, base_url="http://127.0.0.1:8000")


def _seed(back_office: BackOffice) -> None:
    back_office.case(severity=Severity.URGENT, texts=(SECRET_TEXT,))
    back_office.clock.advance(seconds=300)
    back_office.case(severity=Severity.URGENT)
    urgent_claimed = back_office.case(severity=Severity.URGENT)
    back_office.case()
    normal_claimed = back_office.case()
    normal_closed = back_office.case()
    back_office.clock.advance(seconds=300)
    now = back_office.clock.now
    with session_scope(back_office.engine) as session:
        for case_id, status in (
            (urgent_claimed, CaseStatus.CLAIMED),
            (normal_claimed, CaseStatus.CLAIMED),
            (normal_closed, CaseStatus.CLOSED),
        ):
            case = session.get(Case, case_id)
            assert case is not None
            case.status = status
        payload = {"chat_id": CHAT_ID, "text": SECRET_TEXT}
        for outbox_status, age in (
            (OutboxStatus.PENDING, 90),
            (OutboxStatus.PENDING, 30),
            (OutboxStatus.SENT, 600),
            (OutboxStatus.FAILED, 500),
        ):
            session.add(
                OutboxItem(
                    chat_id=CHAT_ID,
                    chat_key=VAULT.chat_key(CHAT_ID),
                    method="sendMessage",
                    payload=payload,
                    status=outbox_status,
                    created_at=now - timedelta(seconds=age),
                )
            )
        for update_id, update_status in (
            (1, InboxStatus.DONE),
            (2, InboxStatus.DONE),
            (3, InboxStatus.PENDING),
        ):
            session.add(
                InboundUpdate(
                    update_id=update_id,
                    payload={"message": {"chat": {"id": CHAT_ID}, "text": SECRET_TEXT}},
                    chat_key=VAULT.chat_key(CHAT_ID),
                    status=update_status,
                    received_at=now,
                )
            )


def test_metrics_match_the_tables(back_office: BackOffice) -> None:
    _seed(back_office)
    back_office.person("cora", languages=["ar"], role=Role.COORDINATOR)
    back_office.login("cora")

    response = back_office.client.get("/metrics")

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    values = _values(response.text)
    assert values[("brug_updates_total", (("status", "done"),))] == 2
    assert values[("brug_updates_total", (("status", "pending"),))] == 1
    assert values[("brug_updates_total", (("status", "failed"),))] == 0
    assert values[("brug_replies_total", (("status", "pending"),))] == 2
    assert values[("brug_replies_total", (("status", "sent"),))] == 1
    assert values[("brug_replies_total", (("status", "failed"),))] == 1
    assert values[("brug_outbox_pending", ())] == 2
    assert values[("brug_outbox_oldest_pending_age_seconds", ())] == 90
    open_cases = {labels: value for (name, labels), value in values.items() if name == "brug_cases_open"}
    assert open_cases == {
        (("severity", "normal"), ("status", "claimed")): 1,
        (("severity", "normal"), ("status", "open")): 1,
        (("severity", "urgent"), ("status", "claimed")): 1,
        (("severity", "urgent"), ("status", "open")): 2,
    }
    assert values[("brug_cases_urgent_unclaimed", ())] == 2
    assert values[("brug_cases_urgent_unclaimed_oldest_age_seconds", ())] == 600


def test_metrics_of_an_empty_database_are_zero(back_office: BackOffice) -> None:
    with _token_client(back_office) as client:
        response = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert response.status_code == 200
    values = _values(response.text)
    assert values[("brug_outbox_pending", ())] == 0
    assert values[("brug_outbox_oldest_pending_age_seconds", ())] == 0
    assert values[("brug_cases_urgent_unclaimed_oldest_age_seconds", ())] == 0
    assert values[("brug_updates_total", (("status", "pending"),))] == 0


def test_metrics_carry_no_personal_data(back_office: BackOffice) -> None:
    _seed(back_office)
    with _token_client(back_office) as client:
        body = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).text
    assert "brug_outbox_pending" in body
    assert str(CHAT_ID) not in body
    assert "50000" not in body  # the seeded users' chat ids are 500001…
    assert "key-" not in body  # their pseudonyms
    assert SECRET_TEXT not in body
    labels = {
        name for family in text_string_to_metric_families(body) for s in family.samples for name in s.labels
    }
    assert labels == {"status", "severity"}


def test_the_metrics_token_gives_access(back_office: BackOffice) -> None:
    with _token_client(back_office) as client:
        assert client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).status_code == 200
        assert client.get("/metrics", headers={"Authorization": f"bearer {METRICS_TOKEN}"}).status_code == 200
        wrong = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}x"})
        assert wrong.status_code == 401
        assert wrong.headers["www-authenticate"].startswith("Bearer")
        assert (
            client.get("/metrics", headers={"Authorization": "Bearer ü-not-ascii".encode()}).status_code
            == 401
        )
        assert client.get("/metrics", headers={"Authorization": f"Basic {METRICS_TOKEN}"}).status_code == 401
        assert client.get("/metrics").status_code == 401


def test_no_token_is_accepted_when_none_is_set(back_office: BackOffice) -> None:
    with _token_client(back_office, token=None) as client:
        assert client.get("/metrics", headers={"Authorization": "Bearer None"}).status_code == 401
        assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 401


def test_only_coordinators_may_read_metrics_when_logged_in(back_office: BackOffice) -> None:
    back_office.person("amina", languages=["ar"])
    back_office.person("cora", languages=["ar"], role=Role.COORDINATOR)
    assert back_office.client.get("/metrics").status_code == 401

    back_office.login("amina")
    assert back_office.client.get("/metrics").status_code == 403
    wrong = back_office.client.get("/metrics", headers={"Authorization": "Bearer wrong"})
    assert wrong.status_code == 403

    back_office.login("cora")
    assert back_office.client.get("/metrics").status_code == 200


def test_a_key_person_with_the_token_may_read_metrics(back_office: BackOffice) -> None:
    back_office.person("amina", languages=["ar"])
    with _token_client(back_office) as client:
        back_office.login("amina", client)
        assert client.get("/metrics").status_code == 403
        assert client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).status_code == 200


def test_the_metrics_token_setting() -> None:
    assert load_settings(brug_metrics_token="  ").brug_metrics_token is None
    assert load_settings(brug_metrics_token=METRICS_TOKEN).brug_metrics_token == METRICS_TOKEN
    with pytest.raises(SettingsError, match="BRUG_METRICS_TOKEN"):
        load_settings(brug_metrics_token="too-short")

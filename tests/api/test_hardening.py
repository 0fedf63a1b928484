"""Security headers on server errors, and NUL characters in forms, which PostgreSQL cannot store."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from brug.api.app import SECURITY_HEADERS
from brug.api.deps import CSRF_FIELD, get_now
from brug.core.models import Role
from tests.api.conftest import BackOffice

HTML = {"accept": "text/html"}


def test_a_server_error_still_has_the_security_headers(back_office: BackOffice) -> None:
    def broken_clock() -> None:
        raise RuntimeError("the clock broke")

    app = back_office.client.app
    app.dependency_overrides[get_now] = broken_clock  # type: ignore[attr-defined]
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            response = client.get("/healthz")
            assert response.status_code == 200
            response = client.get("/", headers=HTML)
    finally:
        app.dependency_overrides.clear()  # type: ignore[attr-defined]
    assert response.status_code == 500
    assert "the clock broke" not in response.text
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, name


@pytest.mark.parametrize(
    ("path", "fields"),
    [
        ("/people", {"username": "amir", "name": "A\x00mir", "password": "correct horse battery"}),
        ("/canned", {"language": "ar", "title": "Hel\x00lo", "text": "Hello"}),
        ("/canned", {"language": "ar", "title": "Hello", "text": "Hel\x00lo"}),
        ("/canned?next=%00", {"language": "ar", "title": "Hello", "text": "Hello"}),
    ],
)
def test_a_nul_character_in_a_form_is_a_422_and_stores_nothing(
    back_office: BackOffice, path: str, fields: dict[str, str]
) -> None:
    back_office.person("coord", languages=["ar"], role=Role.COORDINATOR)
    csrf = back_office.login("coord")
    form = {CSRF_FIELD: csrf, **fields}
    response = back_office.client.post(path, data=form, headers=HTML, follow_redirects=False)
    assert response.status_code == 422
    listed = back_office.client.get(path.split("?")[0], headers=HTML).text
    assert "amir" not in listed.lower().replace("\x00", "")
    assert "Hello" not in listed

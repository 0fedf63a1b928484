"""The composition root: what `brug run` serves leaves its start-up objects out of the collector."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import URL

from brug.core.db import create_db_engine
from brug.core.settings import Settings, load_settings
from brug.service import build_app
from tests.constants import SECRET_KEY
from tests.fake_bot_api import FakeBotAPI


@pytest.fixture
def unfrozen() -> Iterator[None]:
    """The freeze is process-wide: start from none, and leave none behind for the other tests."""
    gc.unfreeze()
    yield
    gc.unfreeze()


def _frozen_after_start(settings: Settings) -> int:
    engine = create_db_engine(settings.database, settings.vault)
    try:
        assert gc.get_freeze_count() == 0
        with TestClient(build_app(settings, engine)) as office:
            assert office.get("/healthz").status_code == 200
            return gc.get_freeze_count()
    finally:
        engine.dispose()


def test_the_back_office_alone_freezes_what_exists_once_started(database_url: URL, unfrozen: None) -> None:
    settings = load_settings(
        brug_env="test",
        database_url=database_url.render_as_string(hide_password=False),
        brug_secret_key=SECRET_KEY,
    )
    assert _frozen_after_start(settings) > 10_000


def test_with_the_bot_too_after_the_lexicons_and_flows_are_loaded(
    bot_settings: Settings, fake_telegram: FakeBotAPI, unfrozen: None
) -> None:
    assert _frozen_after_start(bot_settings) > 100_000

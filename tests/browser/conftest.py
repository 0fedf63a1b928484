"""Real-browser tests: Debian's Chromium, driven by Playwright, against the back office served by uvicorn.

Playwright's own browser download (`playwright install`) is never used: the browser is the system's
Chromium, named by BRUG_CHROMIUM (default /usr/bin/chromium).

Tests here are sync functions. While the sync Playwright API is open it leaves its own asyncio loop
marked as running in the main thread, so an async test (pytest-asyncio's `Runner.run()`) cannot run
until it is closed; that is why the browser lives for this package, not for the whole session.

When a test that uses `page` fails, a full-page screenshot is saved to BRUG_TEST_ARTIFACTS (default:
`test-artifacts/` in the project root) and its path is added to the report.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright
from playwright.sync_api import Error as PlaywrightError
from sqlalchemy import Engine
from sqlalchemy.engine import URL

from brug.api.app import create_app
from brug.core.db import create_db_engine
from brug.core.settings import Settings, load_settings
from tests.conftest import _skip_or_fail
from tests.constants import SECRET_KEY, VAULT
from tests.fake_bot_api import bind_loopback_socket

CHROMIUM_ENV = "BRUG_CHROMIUM"
DEFAULT_CHROMIUM = "/usr/bin/chromium"
ARTIFACTS_ENV = "BRUG_TEST_ARTIFACTS"
DEFAULT_ARTIFACTS = "test-artifacts"

# Without the background-networking flags Chromium keeps calling Google's services, and this
# machine's closed network refuses those connections; none of them matters to a test.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

_ARTIFACTS_DIR = pytest.StashKey[Path]()


def pytest_configure(config: pytest.Config) -> None:
    """Read BRUG_TEST_ARTIFACTS now: during a test the autouse `_clean_environment` fixture has removed
    every BRUG_* variable and moved the working directory into the test's tmp_path."""
    configured = os.environ.get(ARTIFACTS_ENV)
    folder = Path(configured).resolve() if configured else config.rootpath / DEFAULT_ARTIFACTS
    config.stash[_ARTIFACTS_DIR] = folder


@pytest.fixture(scope="package")
def chromium_browser() -> Iterator[Browser]:
    """One headless Chromium for all browser tests; each test gets its own context through `page`.

    Package scope, not session: see the module docstring. It is set up before the function-scoped
    `_clean_environment`, so BRUG_CHROMIUM is still visible here.
    """
    executable = os.environ.get(CHROMIUM_ENV, DEFAULT_CHROMIUM)
    if not (Path(executable).is_file() and os.access(executable, os.X_OK)):
        _skip_or_fail(
            f"Chromium is not installed at {executable}: `apt-get install chromium`, or set {CHROMIUM_ENV}"
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium_browser: Browser) -> Iterator[Page]:
    """A fresh page in a fresh browser context: no cookies or storage carry over between tests."""
    context = chromium_browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
    try:
        yield context.new_page()
    finally:
        context.close()


@dataclass(frozen=True)
class LiveServer:
    base_url: str
    settings: Settings
    engine: Engine

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"


@pytest.fixture
def live_server(database_url: URL) -> Iterator[LiveServer]:
    """The back office on a free loopback port, served by uvicorn in a thread, on a fresh migrated database.

    Its engine is the test's way into the same database, e.g. to add rows the page should show.
    """
    settings = load_settings(
        brug_env="test",
        database_url=database_url.render_as_string(hide_password=False),
        brug_secret_key=SECRET_KEY,
    )
    engine = create_db_engine(database_url, VAULT)
    sock = bind_loopback_socket()
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    # `log_config=None` leaves the process's logging setup alone, as the fake Bot API does.
    config = uvicorn.Config(
        create_app(settings, engine),
        host="127.0.0.1",
        log_config=None,
        log_level="warning",
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="live-server", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the back office did not start")
            time.sleep(0.005)
        yield LiveServer(base_url=base_url, settings=settings, engine=engine)
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()
        engine.dispose()
    if thread.is_alive():
        raise RuntimeError("the back office's server thread did not stop")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """On a failed test call, screenshot the test's `page` (while it is still open) for the report."""
    report = yield
    page = getattr(item, "funcargs", {}).get("page")
    if report.when != "call" or not report.failed or not isinstance(page, Page) or page.is_closed():
        return report
    folder = item.config.stash[_ARTIFACTS_DIR]
    path = folder / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', item.nodeid).strip('_')}.png"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=path, full_page=True, timeout=10_000)
    except (OSError, PlaywrightError) as exc:
        report.sections.append(("browser screenshot", f"could not save {path}: {exc}"))
    else:
        report.sections.append(("browser screenshot", str(path)))
    return report

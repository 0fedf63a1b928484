"""The front door in a real browser: proves that Chromium, Playwright and the live server work together."""

import re

from playwright.sync_api import ConsoleMessage, Page, expect

from tests.browser.conftest import LiveServer


def test_home_sends_a_visitor_to_the_login_page_and_health_answers(
    live_server: LiveServer, page: Page
) -> None:
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("console", lambda message: _record_console_error(problems, message))

    response = page.goto(live_server.url("/"))
    assert response is not None
    assert response.status == 200

    expect(page).to_have_url(re.compile(r"/login\?next=/$"))
    expect(page).to_have_title("Log in · Brug back office")
    expect(page.locator("h1")).to_have_text("Log in")
    expect(page.get_by_label("Username")).to_be_focused()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    assert problems == []

    health = page.request.get(live_server.url("/healthz"))
    assert health.status == 200
    assert health.json() == {"status": "ok", "database": "ok", "telegram": "off"}


def _record_console_error(problems: list[str], message: ConsoleMessage) -> None:
    """A script error, a missing stylesheet or a Content-Security-Policy violation is a console error.

    The browser's own request for /favicon.ico is not the page's: the back office has no icon.
    """
    if message.type == "error" and not message.location["url"].endswith("/favicon.ico"):
        problems.append(f"console: {message.text} ({message.location['url']})")

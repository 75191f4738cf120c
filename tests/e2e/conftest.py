"""Browser journeys: Playwright driving Debian's Chromium against a live server.

Under CI (CI=true) a missing Chromium fails the run; elsewhere the journeys are skipped with a
message saying how to install it.
"""

import os
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
SCREENSHOTS = Path(
    os.environ.get("KEFU_SCREENSHOTS", Path(__file__).resolve().parents[2] / "test-results")
)


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.xdist_group("browser"))


@pytest.fixture(scope="module")
def browser():
    """One Chromium per test module. Not per session: Playwright's sync API keeps an event loop running
    in this thread while it is open, and asyncio tests that run on the same worker afterwards would fail
    with "cannot be called from a running event loop"."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(
                f"{CHROMIUM} is missing: CI never skips browser tests (apt-get install chromium)"
            )
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium to run the browser journeys")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url, locale="en-US", viewport={"width": 1280, "height": 800}
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def follow_nav(page, name: str) -> None:
    """Follow an entry of the navigation bar, opening its menu first when it sits in one (业务 …)."""
    main_nav = page.get_by_test_id("main-nav")
    menu = main_nav.locator(f'.dropdown:has(a.dropdown-item:text-is("{name}")) .dropdown-toggle')
    if menu.count():
        menu.first.click()
    main_nav.get_by_role("link", name=name, exact=True).first.click()


@pytest.fixture
def asgi_live_server(transactional_db):
    """The whole ASGI application (pages and websockets) served by uvicorn in a thread of this
    process, so it shares the test database and the in-process channel layer. Yields its URL."""
    from tests.e2e.asgi_server import running_kefu

    with running_kefu() as url:
        yield url

"""Browser fixtures: Debian's Chromium driven by Playwright, and the real server in a process.

Where no Chromium is found every test here is skipped with the reason (see harness.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import (
    ARTIFACTS,
    LAPTOP,
    LIBRARIAN,
    LiveServer,
    chromium_missing,
    create_storytime,
    launch,
    login,
    seed_staff,
)


@pytest.hookimpl(tryfirst=True)  # before `-m "not browser"` deselects by mark
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test in this folder `browser`, and skip them all where Chromium is missing."""
    here = Path(__file__).parent
    reason = chromium_missing()
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Start the real app once per run, with a branch, a librarian and an API token."""
    server = LiveServer(tmp_path_factory.mktemp("live"))
    server.start()
    try:
        seed_staff(server)
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def playwright_instance():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance):
    """Launch Debian's Chromium by path; Playwright gives it a fresh temporary profile."""
    browser = launch(playwright_instance)
    yield browser
    browser.close()


# Signed-in browser state per staff email, kept for the whole run (sessions outlive restarts).
_STAFF_STATES: dict[str, dict] = {}


class Contexts:
    """Open browser contexts (one per person or device) and close them after the test."""

    def __init__(self, browser, server: LiveServer) -> None:
        self.browser = browser
        self.server = server
        self.opened: list = []

    def new(self, device: dict | None = None, **options):
        """Open a context (PHONE, LAPTOP, TV or custom options) on the live server."""
        context = self.browser.new_context(
            base_url=self.server.url, **{**(device or LAPTOP), **options}
        )
        context.set_default_timeout(10_000)
        self.opened.append(context)
        return context

    def staff(self, device: dict | None = None, email: str = LIBRARIAN, **options):
        """Open a context signed in as staff (through the real login form, once per run)."""
        state = _STAFF_STATES.get(email)
        if state is None:
            context = self.new(device, **options)
            login(context.new_page(), email)
            _STAFF_STATES[email] = context.storage_state()
            return context
        return self.new(device, storage_state=state, **options)

    def close(self) -> None:
        for context in self.opened:
            context.close()


@pytest.fixture
def contexts(browser, live_server) -> Iterator[Contexts]:
    """Open contexts for one test; they are closed at its end."""
    opened = Contexts(browser, live_server)
    yield opened
    opened.close()


@pytest.fixture
def storytime(live_server: LiveServer) -> dict:
    """An open storytime at the Central branch, shares go on screen at once."""
    return create_storytime(live_server)


# Caregiver text that became elements. Every page's scripts are files (the CSP forbids
# inline ones), so any inline <script> is injected. Locators work where JavaScript is off.
INJECTED = 'img[src="x"], [onerror], a[href^="javascript:" i], script:not([src])'


class Guard:
    """Fail when a page opens a dialog or asks for a URL outside the live server."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.dialogs: list[str] = []
        self.foreign: list[str] = []

    def watch(self, page) -> None:
        def on_dialog(dialog) -> None:
            self.dialogs.append(f"{dialog.type}: {dialog.message}")
            dialog.dismiss()

        def on_request(request) -> None:
            url = request.url
            # `<img src=x>` would ask for a same-origin ".../x": unexpected too.
            if not url.startswith((self.server.url + "/", "data:")) or url.endswith("/x"):
                self.foreign.append(url)

        page.on("dialog", on_dialog)
        page.on("request", on_request)

    def check(self, page=None) -> None:
        """Assert nothing ran; on a page, also that no caregiver markup became elements."""
        if page is not None:
            injected = page.locator(INJECTED)
            found = [
                injected.nth(n).evaluate("el => el.outerHTML") for n in range(injected.count())
            ]
            assert found == [], f"caregiver text became markup on {page.url}: {found}"
        assert self.dialogs == [], f"a page opened a dialog: {self.dialogs}"
        assert self.foreign == [], f"a page asked for unexpected URLs: {self.foreign}"


@pytest.fixture
def guard(live_server: LiveServer) -> Guard:
    return Guard(live_server)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Return the folder for reports the browser tests write (build/browser/)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Attach what the server logged during a failed browser test to its report."""
    report = yield
    server = item.funcargs.get("live_server") if hasattr(item, "funcargs") else None
    if report.failed and server is not None and server.log.exists():
        start = item.stash.get(_LOG_START, 0)
        report.sections.append(("live server log", server.log.read_text()[start:][-6000:]))
    return report


_LOG_START = pytest.StashKey[int]()


@pytest.fixture(autouse=True)
def _remember_log_start(request: pytest.FixtureRequest) -> None:
    """Note where the server log stood when the test began."""
    if "live_server" in request.fixturenames:
        server = request.getfixturevalue("live_server")
        request.node.stash[_LOG_START] = server.log.stat().st_size if server.log.exists() else 0

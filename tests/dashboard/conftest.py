"""Fixtures for the dashboard tests: a seeded store, a served dashboard, headless Chromium."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from workbench.config import Settings
from workbench.dashboard.demo import DemoSeed, seed_demo_store
from workbench.store import Store, open_store

CHROMIUM = "/usr/bin/chromium"
# without the network flags Chromium stalls on a closed network
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-quic",
                 "--disable-sync"]


def seeded_store(folder: Path) -> tuple[Store, DemoSeed, str]:
    """A migrated SQLite store in ``folder`` with the demo seed; returns its URL too."""
    url = f"sqlite:///{folder / 'dash.db'}"
    store = open_store(url)
    store.upgrade()
    return store, seed_demo_store(store, bars=300, trades=24), url


class Browser:
    """One Chromium for the test run; ``page()`` opens a fresh context recording JS errors."""

    def __init__(self) -> None:
        from playwright.sync_api import sync_playwright

        self._pw = sync_playwright().start()
        self.browser = self._pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        self.errors: list[str] = []
        self.failed_urls: list[str] = []

    def page(self) -> Any:
        context = self.browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        page.on("console", lambda msg: self.errors.append(f"console: {msg.text}")
                if msg.type == "error" else None)
        page.on("requestfailed", lambda req: self.failed_urls.append(req.url))
        return page

    def close(self) -> None:
        self.browser.close()
        self._pw.stop()


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium driven by playwright (never a downloaded browser).

    Package scope, not session: playwright's sync API keeps an event loop running in the main
    thread while it is started, so every later ``asyncio.run`` in the session would fail.
    """
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        print(f"SKIP browser tests: {CHROMIUM} is missing; install it with "
              "`apt-get install -y chromium`")
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    b = Browser()
    yield b
    b.close()


def wait_until(check: Callable[[], Any], timeout_s: float = 5.0, interval_s: float = 0.05) -> Any:
    """Poll ``check`` until it returns something truthy; returns it, or fails at the timeout."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout_s} s")
        time.sleep(interval_s)


def settings_for(url: str, folder: Path, **dashboard: Any) -> Settings:
    """Settings pointing at ``url`` with the given dashboard section."""
    return Settings(database={"url": url}, data={"dir": folder}, dashboard=dashboard)

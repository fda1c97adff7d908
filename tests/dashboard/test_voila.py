"""The Voilà apps in headless Chromium: the backtest explorer runs a backtest, the portfolio
report shows the store. One Voilà server (directory mode) for the module."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.dashboard.conftest import Browser, seeded_store
from workbench.dashboard.server import free_port

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
VOILA_DIR = ROOT / "dashboards" / "voila"


@pytest.fixture(scope="module")
def voila(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("voila")
    _, seed, url = seeded_store(folder)
    port = free_port()
    env = dict(os.environ, WORKBENCH_DATABASE__URL=url, MPLBACKEND="Agg",
               NUMBA_CACHE_DIR=os.environ.get("NUMBA_CACHE_DIR", str(ROOT / ".cache/numba")))
    log = (folder / "voila.log").open("w")
    proc = subprocess.Popen(
        [str(Path(sys.executable).with_name("voila")), str(VOILA_DIR), f"--port={port}",
         "--no-browser", "--Voila.ip=127.0.0.1", "--show_tracebacks=True",
         # Panel's JupyterLab extension needs JupyterLab's document manager, absent in Voila
         "--VoilaConfiguration.extension_denylist=@pyviz/jupyterlab_pyviz"],
        cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(base, timeout=2).status_code < 500:
                break
        except httpx.TransportError:
            time.sleep(0.3)
    else:
        proc.kill()
        raise AssertionError((folder / "voila.log").read_text())
    yield {"base": base, "seed": seed, "log": folder / "voila.log"}
    proc.terminate()
    proc.wait(timeout=20)
    log.close()


def test_backtest_explorer_runs_a_backtest(browser: Browser, voila: dict[str, Any]) -> None:
    """The explorer renders, runs its first backtest on load, and runs again after the user
    picks another strategy and presses Run."""
    browser.errors.clear()
    browser.failed_urls.clear()
    page = browser.page()
    page.goto(f"{voila['base']}/voila/render/backtest_explorer.ipynb", timeout=120_000)
    page.wait_for_selector('[data-testid="bt-done"]', timeout=120_000)
    first = page.locator('[data-testid="bt-done"]').inner_text()
    assert "orders" in first
    assert page.locator("table.wb-stats >> text=final_equity").count() == 1
    assert page.locator('img[alt="backtest plot"]').count() == 1
    page.locator("select").first.select_option("grid")
    page.wait_for_selector("text=n_levels", timeout=30_000)
    page.locator("button:has-text('Run backtest')").click()
    page.wait_for_function(
        "prev => { const el = document.querySelector('[data-testid=\"bt-done\"]');"
        " return el && el.innerText !== prev }", arg=first, timeout=60_000)
    assert "orders" in page.locator('[data-testid="bt-done"]').inner_text()
    # Voila's own template links font-awesome from a CDN, unreachable on a closed network
    offline = [u for u in browser.failed_urls if not u.startswith(voila["base"])]
    assert len(offline) == len(browser.failed_urls)
    errors = [e for e in browser.errors if "net::ERR_NAME_NOT_RESOLVED" not in e]
    assert errors == [], errors
    page.context.close()


def test_portfolio_report_shows_the_store(browser: Browser, voila: dict[str, Any]) -> None:
    """The report shows the stored equity and the newest fill's signature."""
    page = browser.page()
    page.goto(f"{voila['base']}/voila/render/portfolio_report.ipynb", timeout=120_000)
    seed = voila["seed"]
    page.wait_for_selector(f"text={seed.signatures[-1]}", timeout=120_000)
    assert page.locator(f"text={float(seed.last_equity)}").count() >= 1
    page.context.close()

"""Screenshots of every dashboard page (and the Voila explorer) into docs/screenshots/.

Uses a temporary store with the dashboard demo seed (real SOL/USDT prices; see
``workbench.dashboard.demo``) and Debian's headless Chromium.

Run: ``.venv/bin/python scripts/screenshots.py [--out docs/screenshots]``.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from workbench.config import Settings
from workbench.dashboard import serve_dashboard
from workbench.dashboard.demo import seed_demo_store
from workbench.dashboard.pages import PAGES
from workbench.store import open_store

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-quic", "--disable-sync"]
ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    opts = parser.parse_args()
    opts.out.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="shots-"))
    url = f"sqlite:///{folder / 'shots.db'}"
    store = open_store(url)
    store.upgrade()
    seed_demo_store(store, bars=600, trades=24)
    server = serve_dashboard(Settings(database={"url": url}, data={"dir": folder}), 0,
                             threaded=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1366, "height": 900})
        for cls in PAGES:
            page.goto(f"{server.url}?page={cls.slug}")
            page.wait_for_selector('[data-testid="status-breaker"]', timeout=60_000)
            page.wait_for_timeout(1500)
            path = opts.out / f"dashboard-{cls.slug}.png"
            page.screenshot(path=str(path), full_page=True)
            print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
        browser.close()
    server.stop()


if __name__ == "__main__":
    main()

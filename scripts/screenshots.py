"""Screenshots of every dashboard page into docs/screenshots/.

Three sources for what the pages show:

- ``--paper-run SECONDS`` (what the README's screenshots are): starts the real paper engine
  (``workbench run --demo --no-dashboard``) in a temporary folder, lets it trade for SECONDS,
  takes the screenshots while it still runs, then stops it with SIGTERM (a clean stop);
- ``--store URL``: any store, e.g. ``sqlite:////path/data/workbench.db`` of a running engine;
- neither: a temporary store with the dashboard demo seed (``workbench.dashboard.demo``).

Uses Debian's headless Chromium.

Run: ``.venv/bin/python scripts/screenshots.py --paper-run 90 [--out docs/screenshots]``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from playwright.sync_api import sync_playwright

from workbench.config import Settings
from workbench.dashboard import serve_dashboard
from workbench.dashboard.demo import seed_demo_store
from workbench.dashboard.pages import PAGES
from workbench.store import ledger, open_store

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-quic", "--disable-sync"]
ROOT = Path(__file__).resolve().parents[1]


@contextlib.contextmanager
def paper_run(folder: Path, seconds: float, speed: float) -> Iterator[str]:
    """Run the paper engine in ``folder`` for at least ``seconds``; yields its store URL
    while it is still running, and stops it cleanly afterwards."""
    workbench = Path(sys.executable).with_name("workbench")
    env = dict(os.environ, WORKBENCH_ENGINE__METRICS_PORT="0")
    log = (folder / "engine.log").open("w")
    proc = subprocess.Popen(
        [str(workbench), "run", "--demo", "--no-dashboard", "--speed", f"{speed:g}",
         "--duration", f"{seconds + 600:g}"], cwd=folder, env=env, stdout=log,
        stderr=subprocess.STDOUT)
    url = f"sqlite:///{folder / 'data' / 'workbench.db'}"
    try:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise SystemExit(f"the paper engine exited early ({proc.returncode}); see "
                                 f"{folder / 'engine.log'}")
            time.sleep(1)
        store = open_store(url)
        print(f"paper run: {len(ledger.load_fills(store))} fills, "
              f"{len(ledger.load_orders(store))} orders after {seconds:g} s", flush=True)
        yield url
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def shoot(url: str, folder: Path, out: Path) -> None:
    """Serve the dashboard on ``url`` and screenshot each page into ``out``."""
    server = serve_dashboard(Settings(database={"url": url}, data={"dir": folder}), 0,
                             threaded=True)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport={"width": 1366, "height": 900})
            for cls in PAGES:
                page.goto(f"{server.url}?page={cls.slug}")
                page.wait_for_selector('[data-testid="status-breaker"]', timeout=60_000)
                page.wait_for_timeout(1500)
                path = out / f"dashboard-{cls.slug}.png"
                page.screenshot(path=str(path), full_page=True)
                print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
            browser.close()
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--store", help="Screenshot this store (a database URL).")
    source.add_argument("--paper-run", type=float, metavar="SECONDS",
                        help="Run the paper engine this long first, screenshot while it runs.")
    parser.add_argument("--speed", type=float, default=240.0,
                        help="Replay multiplier of --paper-run (default 240: a 5m bar/1.25 s).")
    opts = parser.parse_args()
    opts.out.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="shots-"))
    if opts.store:
        shoot(opts.store, folder, opts.out)
    elif opts.paper_run:
        with paper_run(folder, opts.paper_run, opts.speed) as url:
            shoot(url, folder / "data", opts.out)
    else:
        url = f"sqlite:///{folder / 'shots.db'}"
        store = open_store(url)
        store.upgrade()
        seed_demo_store(store, bars=600, trades=24)
        shoot(url, folder, opts.out)


if __name__ == "__main__":
    main()

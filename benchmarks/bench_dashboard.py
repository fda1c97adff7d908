"""Dashboard benchmark: first render of Overview and fill-to-screen delay in headless Chromium.

Targets (issue 8): Overview first render < 1.5 s, a fill on screen < 1 s after it is stored.
Baseline, measured in the same run and browser: a static HTML page of the same size served
by a plain HTTP server on loopback (what the network and browser cost alone).

Run: ``.venv/bin/python benchmarks/bench_dashboard.py [--runs 5]``.
"""

from __future__ import annotations

import argparse
import http.server
import statistics
import tempfile
import threading
import time
from decimal import Decimal
from functools import partial
from pathlib import Path

from playwright.sync_api import sync_playwright

from workbench.config import Settings
from workbench.dashboard import serve_dashboard
from workbench.dashboard.demo import demo_fill, seed_demo_store
from workbench.dashboard.server import free_port
from workbench.domain import Order, OrderStatus, Side
from workbench.store import ledger, open_store

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-quic", "--disable-sync"]


def _static_server(folder: Path) -> tuple[str, http.server.ThreadingHTTPServer]:
    (folder / "index.html").write_text(
        "<!DOCTYPE html><html><body><h1>baseline</h1>"
        + "".join(f"<p>row {i}</p>" for i in range(200)) + "</body></html>")
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    port = free_port()
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{port}/index.html", httpd


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    opts = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-dash-"))
    url = f"sqlite:///{folder / 'bench.db'}"
    store = open_store(url)
    store.upgrade()
    seed_demo_store(store, bars=2000, trades=200)
    server = serve_dashboard(Settings(database={"url": url}), 0, threaded=True)
    static_url, httpd = _static_server(folder)
    base, first, repeat, fill_delay = [], [], [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        # warm-up: server imports and first session, browser caches off per context anyway
        warm = browser.new_page()
        warm.goto(server.url)
        warm.wait_for_selector('[data-testid="equity"]', timeout=60_000)
        warm.context.close()
        for _ in range(opts.runs):
            ctx = browser.new_context()
            page = ctx.new_page()
            t0 = time.perf_counter()
            page.goto(static_url)
            page.wait_for_selector("text=row 199")
            base.append(time.perf_counter() - t0)
            ctx.close()
            ctx = browser.new_context()  # fresh cache: a first visit
            page = ctx.new_page()
            t0 = time.perf_counter()
            page.goto(server.url)
            page.wait_for_selector('[data-testid="equity"]', timeout=60_000)
            page.wait_for_selector(".bk-Canvas, canvas", timeout=60_000)
            first.append(time.perf_counter() - t0)
            t0 = time.perf_counter()  # a repeat visit: scripts come from the browser cache
            page.goto(server.url)
            page.wait_for_selector('[data-testid="equity"]', timeout=60_000)
            page.wait_for_selector(".bk-Canvas, canvas", timeout=60_000)
            repeat.append(time.perf_counter() - t0)
            page.goto(f"{server.url}?page=orders")
            page.wait_for_selector(".wb-table-fills .tabulator-row", timeout=60_000)
            oid = f"bench-{time.time_ns()}"
            ledger.save_order(store, Order(client_order_id=oid, strategy="grid-sol",
                                           symbol="SOL/USDT", side=Side.BUY,
                                           amount=Decimal("0.1"), price=Decimal("100")),
                              status=OrderStatus.SUBMITTED)
            fill = demo_fill(oid, side=Side.BUY, base=Decimal("0.1"), price=Decimal("100"),
                             ts_ns=time.time_ns())
            t0 = time.perf_counter()
            ledger.save_fill(store, fill, strategy="grid-sol")
            page.wait_for_selector(f".wb-table-fills >> text={fill.signature}", timeout=10_000)
            fill_delay.append(time.perf_counter() - t0)
            ctx.close()
        browser.close()
    server.stop()
    httpd.shutdown()
    b, f, r, d = (statistics.median(x) for x in (base, first, repeat, fill_delay))
    print(f"runs: {opts.runs}")
    print(f"baseline static page load    median {b * 1000:7.0f} ms")
    print(f"Overview first render        median {f * 1000:7.0f} ms  (max {max(first) * 1000:.0f})"
          f"  target < 1500 ms  -> {'OK' if f < 1.5 else 'MISS'}  ({f / b:.1f}x baseline)")
    print(f"Overview repeat visit        median {r * 1000:7.0f} ms  ({r / b:.1f}x baseline)")
    print(f"fill stored -> on screen     median {d * 1000:7.0f} ms  (max "
          f"{max(fill_delay) * 1000:.0f})  target < 1000 ms  -> {'OK' if d < 1.0 else 'MISS'}")


if __name__ == "__main__":
    main()

"""Dashboard benchmark: first render of Overview and fill-to-screen delay in headless Chromium.

Targets (issue 8): Overview first render < 1.5 s, a fill on screen < 1 s after it is stored.
Baselines, measured in the same run and browser (the machine is shared, so absolute times
move with its load; compare the ratios):

- a static HTML page served by a plain HTTP server on loopback (what the network and the
  browser cost alone);
- the Panel floor: a Panel page holding one HTML pane, served by Panel with the same
  scripts (what BokehJS + Panel cost before the dashboard adds anything).

Lines: first render (fresh browser context: no cached scripts) until the equity card and the
equity plot's canvas are on screen; the browser's own first-contentful-paint for that visit;
a repeat visit (scripts from the browser cache); the delay from a fill stored to its row on
the Orders page.

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
from typing import Any

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
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    handler = partial(Quiet, directory=str(folder))
    port = free_port()
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{port}/index.html", httpd


def _panel_floor() -> tuple[str, Any]:
    """A one-pane Panel page: BokehJS and Panel's own cost, same resources as the dashboard."""
    import panel as pn

    from workbench.dashboard.server import _local_resources

    def app() -> Any:
        pn.extension()
        return pn.pane.HTML('<div data-testid="equity">1,234.56</div>')

    port = free_port()
    ready = threading.Event()
    holder: dict[str, Any] = {}

    def run() -> None:
        import asyncio

        from tornado.ioloop import IOLoop

        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        IOLoop.current()
        server = pn.serve({"/": app}, port=port, address="127.0.0.1", show=False, start=False,
                          verbose=False)
        _local_resources(server._tornado)
        server.start()
        holder["loop"] = loop
        ready.set()
        loop.run_forever()

    threading.Thread(target=run, daemon=True).start()
    ready.wait(30)
    return f"http://127.0.0.1:{port}/", holder["loop"]


def _fcp_ms(page: Any) -> float:
    return float(page.evaluate(
        "(performance.getEntriesByName('first-contentful-paint')[0] || {startTime: NaN})"
        ".startTime"))


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
    floor_url, floor_loop = _panel_floor()
    base, floor, first, fcp, repeat, fill_delay = [], [], [], [], [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        # warm-up: server imports and first session, browser caches off per context anyway
        warm = browser.new_page()
        warm.goto(server.url)
        warm.wait_for_selector('[data-testid="equity"]', timeout=60_000)
        warm.goto(floor_url)
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
            ctx = browser.new_context()
            page = ctx.new_page()
            t0 = time.perf_counter()
            page.goto(floor_url)
            page.wait_for_selector('[data-testid="equity"]', timeout=60_000)
            floor.append(time.perf_counter() - t0)
            ctx.close()
            ctx = browser.new_context()  # fresh cache: a first visit
            page = ctx.new_page()
            t0 = time.perf_counter()
            page.goto(server.url)
            page.wait_for_selector('[data-testid="equity"]', timeout=60_000)
            page.wait_for_selector(".bk-Canvas, canvas", timeout=60_000)
            first.append(time.perf_counter() - t0)
            fcp.append(_fcp_ms(page) / 1000)
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
    floor_loop.call_soon_threadsafe(floor_loop.stop)
    b, fl, f, fp, r, d = (statistics.median(x) for x in (base, floor, first, fcp, repeat,
                                                         fill_delay))
    print(f"runs: {opts.runs}")
    print(f"baseline static page load    median {b * 1000:7.0f} ms")
    print(f"baseline Panel floor (1 pane) median {fl * 1000:6.0f} ms  ({fl / b:.1f}x static)")
    print(f"Overview first render        median {f * 1000:7.0f} ms  (max {max(first) * 1000:.0f})"
          f"  target < 1500 ms  -> {'OK' if f < 1.5 else 'MISS'}  ({f / b:.1f}x static, "
          f"{f / fl:.2f}x Panel floor)")
    print(f"Overview first contentful paint median {fp * 1000:4.0f} ms  (browser's FCP)")
    print(f"Overview repeat visit        median {r * 1000:7.0f} ms  ({r / b:.1f}x static, "
          f"{r / fl:.2f}x Panel floor)")
    print(f"fill stored -> on screen     median {d * 1000:7.0f} ms  (max "
          f"{max(fill_delay) * 1000:.0f})  target < 1000 ms  -> {'OK' if d < 1.0 else 'MISS'}")


if __name__ == "__main__":
    main()

"""The dashboard in headless Chromium, no users configured: pages, values, controls, live fills.

One server, one browser and one browser tab for the whole module: each test navigates the
shared tab (a new dashboard session per navigation) so the scripts load once, from cache.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from tests.dashboard.conftest import Browser, seeded_store, settings_for, wait_until
from workbench.dashboard import queries, serve_dashboard
from workbench.dashboard.demo import demo_fill
from workbench.dashboard.pages import PAGES
from workbench.domain import Order, OrderStatus, Side
from workbench.store import ledger

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("dash")
    store, seed, url = seeded_store(folder)
    server = serve_dashboard(settings_for(url, folder), 0, threaded=True, refresh_ms=250)
    yield {"store": store, "seed": seed, "url": server.url, "server": server}
    server.stop()


@pytest.fixture(scope="module")
def tab(browser: Browser) -> Iterator[Any]:
    """The module's one browser tab."""
    page = browser.page()
    yield page
    page.context.close()


def open_page(tab: Any, served: dict[str, Any], slug: str) -> Any:
    """Navigate the shared tab to a page (a fresh session) and wait for the status bar."""
    tab.goto(f"{served['url']}?page={slug}")
    tab.wait_for_selector('[data-testid="status-breaker"]', timeout=30_000)
    return tab


def commands(store: Any) -> list[tuple[str, str, dict[str, Any]]]:
    frame = ledger.load_commands(store)
    return list(zip(frame["actor"], frame["command"], frame["args"], strict=True))


@pytest.mark.parametrize("slug", [cls.slug for cls in PAGES])
def test_every_page_loads_without_js_errors(browser: Browser, tab: Any, served: dict[str, Any],
                                             slug: str) -> None:
    """Each page renders its content and the browser reports no JavaScript error."""
    browser.errors.clear()
    page = open_page(tab, served, slug)
    title = next(cls.title for cls in PAGES if cls.slug == slug)
    active = page.locator(".bk-tab.bk-active").first
    assert active.inner_text().strip() == title
    page.wait_for_timeout(300)  # over a refresh period: errors in updates would show now
    assert browser.errors == []


def open_tab(page: Any, title: str) -> None:
    """Click a page's tab in the current session."""
    page.locator(".bk-tab", has_text=title).click()


def test_overview_loads_no_table_library_until_a_table_page_opens(
        browser: Browser, tab: Any, served: dict[str, Any]) -> None:
    """The Overview page ships neither Tabulator nor BokehJS's WebGL bundle; its tables are
    plain HTML with the stored values. Opening the Orders tab fetches Tabulator from the
    dashboard's server, then shows the fills, with no JavaScript error."""
    browser.errors.clear()
    browser.failed_urls.clear()
    page = open_page(tab, served, "overview")
    scripts = page.evaluate("[...document.scripts].map(s => s.src).filter(Boolean)")
    assert any("panel.min.js" in s for s in scripts), scripts
    assert not [s for s in scripts if "tabulator" in s or "bokeh-gl" in s], scripts
    assert all(s.startswith(served["url"]) for s in scripts), scripts  # no CDN
    assert page.evaluate("typeof window.Tabulator") == "undefined"
    exposure = page.locator('[data-testid="table-exposure"]')
    assert "SOL" in exposure.inner_text()
    open_tab(page, "Orders & fills")
    page.wait_for_selector(".wb-table-fills .tabulator-row", timeout=15_000)
    page.wait_for_selector(f"text={served['seed'].signatures[-1]}", timeout=10_000)
    assert page.evaluate("typeof window.Tabulator") == "function"
    assert "page=orders" in page.url
    page.wait_for_timeout(300)
    assert browser.errors == []
    assert browser.failed_urls == []


def test_pages_show_the_values_in_the_store(tab: Any, served: dict[str, Any]) -> None:
    """Overview shows the stored equity; orders and fills show signatures; risk shows events;
    strategies show their names; the local-only banner is there."""
    seed, store = served["seed"], served["store"]
    page = open_page(tab, served, "overview")
    equity = f"{float(seed.last_equity):,.2f}"
    page.wait_for_selector(f'[data-testid="equity"] >> text={equity}', timeout=5000)
    assert page.locator('[data-testid="local-only"]').is_visible()
    assert "127.0.0.1" in page.locator('[data-testid="local-only"]').inner_text()
    open_tab(page, "Orders & fills")  # the other pages in the same session, by their tabs
    page.wait_for_selector(f"text={seed.signatures[-1]}", timeout=10_000)
    page.wait_for_selector(f"text={seed.order_ids[-1]}", timeout=5000)
    open_tab(page, "Risk")
    for rule in seed.risk_rules:
        page.wait_for_selector(f".wb-table-risk-events >> text={rule}", timeout=10_000)
    open_tab(page, "Strategies")
    for name in seed.strategies:
        page.wait_for_selector(f".wb-table-strategies >> text={name}", timeout=10_000)
    positions = ledger.load_positions(store)
    open_tab(page, "Positions")
    qty = format(Decimal(positions["quantity"].iloc[0]).normalize(), "f")
    page.wait_for_selector(f".wb-table-positions >> text={qty}", timeout=10_000)


def test_market_page_shows_candles_and_pool_depth(tab: Any, served: dict[str, Any]) -> None:
    """The Market page plots the stored candles and, as the engine publishes no depth, the
    depth of the configured paper pools computed at the newest stored close."""
    page = open_page(tab, served, "market")
    note = page.wait_for_selector('[data-testid="depth-note"]', timeout=10_000)
    text = note.inner_text()
    assert "local:SOL/USDT#1" in text and "engine has not published its depth" in text
    view = queries.load_pool_depth(served["store"], symbol="SOL/USDT", venue="local:SOL/USDT#1")
    assert view.source == "candles"
    assert queries._decimal_text(view.price) in text
    page.locator(".wb-depth select").select_option(label="local:SOL/USDT#2")
    page.wait_for_selector('[data-testid="depth-note"] >> text=local:SOL/USDT#2', timeout=5000)


def test_stop_strategy_sends_the_command(tab: Any, served: dict[str, Any]) -> None:
    """Choosing a strategy and pressing Stop puts stop_strategy with its name in the store."""
    store = served["store"]
    page = open_page(tab, served, "strategies")
    page.locator(".wb-strategy select").select_option("sma-sol")
    page.locator(".wb-stop button").click()
    found = wait_until(lambda: [c for c in commands(store) if c[1] == "stop_strategy"])
    actor, _, args = found[0]
    assert args == {"strategy": "sma-sol"}
    assert actor.startswith("local")
    audit = ledger.load_audit(store)
    assert "command:stop_strategy" in set(audit["action"])


def test_kill_switch_needs_confirmation(tab: Any, served: dict[str, Any]) -> None:
    """The kill switch opens a confirmation; only typing KILL arms it, and confirming sends
    kill with flatten."""
    store = served["store"]
    page = open_page(tab, served, "risk")
    confirm = page.locator(".wb-kill-confirm button")
    assert not confirm.is_visible()
    page.locator(".wb-kill button").click()
    confirm.wait_for(state="visible", timeout=5000)
    assert confirm.is_disabled()
    page.locator(".wb-kill-text input").fill("kil")
    page.wait_for_timeout(300)
    assert confirm.is_disabled()
    assert not [c for c in commands(store) if c[1] == "kill"]
    page.locator(".wb-kill-text input").fill("KILL")
    wait_until(lambda: confirm.is_enabled(), timeout_s=5)
    confirm.click()
    found = wait_until(lambda: [c for c in commands(store) if c[1] == "kill"])
    assert found[0][2] == {"flatten": True}


def test_limit_change_sends_set_limit(tab: Any, served: dict[str, Any]) -> None:
    """Changing max_order_notional to 250 queues set_limit; a non-number is refused in place."""
    store = served["store"]
    page = open_page(tab, served, "risk")
    page.locator(".wb-table-limits >> text=max_order_notional").wait_for(timeout=10_000)
    page.locator(".wb-limit-name select").select_option("max_order_notional")
    page.locator(".wb-limit-value input").fill("abc")
    page.locator(".wb-set-limit button").click()
    page.wait_for_selector("text=is not a valid Decimal", timeout=5000)
    assert not [c for c in commands(store) if c[1] == "set_limit"]
    page.locator(".wb-limit-value input").fill("250")
    page.locator(".wb-set-limit button").click()
    found = wait_until(lambda: [c for c in commands(store) if c[1] == "set_limit"])
    assert found[0][2] == {"name": "max_order_notional", "value": "250"}


def test_new_fill_appears_within_a_second(tab: Any, served: dict[str, Any]) -> None:
    """A fill written to the store is on the Orders page within one second."""
    store = served["store"]
    page = open_page(tab, served, "orders")
    page.wait_for_selector(".wb-table-fills .tabulator-row", timeout=10_000)
    oid = f"live-{time.time_ns()}"
    ledger.save_order(store, Order(client_order_id=oid, strategy="grid-sol", symbol="SOL/USDT",
                                   side=Side.BUY, amount=Decimal("0.25"),
                                   price=Decimal("101.5")), status=OrderStatus.SUBMITTED)
    fill = demo_fill(oid, side=Side.BUY, base=Decimal("0.25"), price=Decimal("101.5"),
                     ts_ns=time.time_ns())
    start = time.monotonic()
    ledger.save_fill(store, fill, strategy="grid-sol")
    page.wait_for_selector(f".wb-table-fills >> text={fill.signature}", timeout=1000)
    elapsed = time.monotonic() - start
    print(f"fill on screen after {elapsed * 1000:.0f} ms")

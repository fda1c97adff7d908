"""The Market page follows the engine's pair and timeframe, lets the user choose pair,
timeframe, candle source and depth venue, and shows the depth the engine published."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.dashboard.conftest import Browser, seeded_store, settings_for
from workbench.dashboard import queries, serve_dashboard
from workbench.live.feeds import depth_snapshot
from workbench.samples import load_sample
from workbench.store import ledger, save_candles

POOL = "local:SOL/USDT#1"


def _publish_depth(store: Any) -> dict[str, Any]:
    """What the engine's DepthPublisher writes, for a pool of 1,000 SOL / 150,000 USDT."""
    snap = depth_snapshot(symbol="SOL/USDT", venue=POOL, timeframe="5m",
                          ts=1_704_074_100_000_000_000, base_raw=1000 * 10**9,
                          quote_raw=150_000 * 10**6, base_decimals=9, quote_decimals=6,
                          fee_bps=25)
    ledger.set_state(store, f"depth:SOL/USDT:{POOL}", snap)
    return snap


def _more_series(store: Any) -> None:
    """Real shipped samples: SOL/USDT 1h and BTC/USDT 1h besides the seed's SOL/USDT 5m, so
    the first series in name order (BTC/USDT 1h) is not the engine's."""
    for symbol, tf in (("SOL/USDT", "1h"), ("BTC/USDT", "1h")):
        save_candles(store, load_sample(symbol, tf, bars=200), source="sample", symbol=symbol,
                     timeframe=tf)


def test_engine_market_from_depth_else_marks(tmp_path: Path) -> None:
    store, _seed, _ = seeded_store(tmp_path)
    ledger.set_state(store, "marks", {"SOL/USDT": "101.5"})
    assert queries.load_engine_market(store) == ("SOL/USDT", "")
    _publish_depth(store)
    assert queries.load_engine_market(store) == ("SOL/USDT", "5m")
    view = queries.load_pool_depth(store, symbol="SOL/USDT", venue=POOL)
    assert view.source == "published" and view.price == 150
    assert "150" in view.note and "2024-01-01 01:55:00" in view.note


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("dash-market")
    store, _seed, url = seeded_store(folder)
    _more_series(store)
    snap = _publish_depth(store)
    server = serve_dashboard(settings_for(url, folder), 0, threaded=True, refresh_ms=250)
    yield {"store": store, "url": server.url, "server": server, "snap": snap}
    server.stop()


@pytest.mark.integration
def test_market_follows_the_engine_and_lets_the_user_choose(browser: Browser,
                                                            served: dict[str, Any]) -> None:
    browser.errors.clear()
    page = browser.page()
    page.goto(f"{served['url']}?page=market")
    page.wait_for_selector('[data-testid="market-engine"] >> text=SOL/USDT', timeout=30_000)
    assert "5m" in page.locator('[data-testid="market-engine"]').inner_text()
    assert page.locator(".wb-market-pair select").input_value() == "SOL/USDT"
    assert page.locator(".wb-market-timeframe select").input_value() == "5m"
    candles = '[data-testid="candles-note"] >> text='
    page.wait_for_selector(candles + "SOL/USDT 5m (sample)", timeout=10_000)
    note = page.locator('[data-testid="depth-note"]').inner_text()
    assert "as the engine published it" in note and "pool price 150" in note
    # the user's choices: another timeframe, then another pair (no depth there)
    page.locator(".wb-market-timeframe select").select_option("1h")
    page.wait_for_selector(candles + "SOL/USDT 1h (sample)", timeout=10_000)
    page.locator(".wb-market-pair select").select_option("BTC/USDT")
    page.wait_for_selector(candles + "BTC/USDT 1h (sample)", timeout=10_000)
    page.wait_for_selector('[data-testid="depth-note"] >> text=No depth for BTC/USDT',
                           timeout=10_000)
    page.wait_for_timeout(600)  # two refresh periods: the choice is kept
    assert page.locator(".wb-market-pair select").input_value() == "BTC/USDT"
    page.locator(".wb-market-pair select").select_option("SOL/USDT")
    page.locator(".wb-depth select").select_option(label="local:SOL/USDT#2")
    page.wait_for_selector('[data-testid="depth-note"] >> text=local:SOL/USDT#2',
                           timeout=10_000)
    assert browser.errors == []
    page.context.close()

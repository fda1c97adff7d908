"""Market depth: the paper pools' depth curves, and which source the Market page uses."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from tests.dashboard.conftest import seeded_store
from workbench.dashboard import queries
from workbench.data.depth import cp_depth
from workbench.store import ledger


def test_paper_pools_match_the_engines() -> None:
    """The dashboard's copy of the paper pools equals the engine's DEFAULT_POOLS (the
    dashboard may not import the engine, so this test keeps the two together)."""
    from workbench.live.defaults import DEFAULT_POOLS

    ours = [(p.name, p.depth_quote, p.lag_bars, p.fee_bps) for p in queries.PAPER_POOLS]
    theirs = [(p.name, p.depth_quote, p.lag_bars, p.fee_bps) for p in DEFAULT_POOLS]
    assert ours == theirs
    assert {p.symbol for p in queries.PAPER_POOLS} == {"SOL/USDT"}


def test_pool_depth_known_answer() -> None:
    """1,000 SOL against 150,000 USDT (price 150): within 1 % a taker buys
    1000 - sqrt(150e6 / 151.5) = 4.9628 SOL (the worked example of workbench.data.depth),
    and depth grows with the impact on both sides."""
    pool = queries.PaperPool(name="local:SOL/USDT#9", depth_quote=Decimal(150_000))
    frame = queries.compute_pool_depth(pool, Decimal(150), impacts_bps=(10, 100, 500))
    row = frame.set_index("impact_bps").loc[100]
    assert Decimal("4.9627") < row["ask_base"] < Decimal("4.9629")
    raw = cp_depth(1000 * 10**9, 150_000 * 10**6, impact_bps=100, fee_bps=25)
    assert row["bid_base"] == Decimal(raw.bid_base_raw) / 10**9
    assert row["ask_quote"] == Decimal(raw.ask_quote_raw) / 10**6
    for col in ("bid_base", "ask_base"):
        assert list(frame[col]) == sorted(frame[col]) and frame[col].iloc[0] > 0
    deeper = queries.compute_pool_depth(
        queries.PaperPool(name="x:SOL/USDT#1", depth_quote=Decimal(300_000)), Decimal(150),
        impacts_bps=(100,))
    assert deeper["ask_base"].iloc[0] == pytest.approx(2 * row["ask_base"], rel=1e-6)


def test_depth_source_order(tmp_path: Path) -> None:
    """Published levels win; else the engine's replayed closes (lagged per pool); else the
    newest stored close; a venue that is no paper pool has no depth."""
    store, _seed, _ = seeded_store(tmp_path)
    thin = queries.load_pool_depth(store, symbol="SOL/USDT", venue="local:SOL/USDT#2")
    assert thin.source == "candles" and thin.price is not None
    assert "engine has not published its depth" in thin.note
    ledger.set_state(store, "engine_cursor", {"ts": 1_704_074_100_000_000_000,
                                              "closes": ["101.5", "102.25", "104.12"]})
    deep = queries.load_pool_depth(store, symbol="SOL/USDT", venue="local:SOL/USDT#1")
    thin = queries.load_pool_depth(store, symbol="SOL/USDT", venue="local:SOL/USDT#2")
    assert (deep.source, deep.price) == ("engine", Decimal("104.12"))
    assert (thin.source, thin.price) == ("engine", Decimal("102.25"))  # one bar behind
    expected = queries.compute_pool_depth(queries.PAPER_POOLS[0], Decimal("104.12"))
    assert deep.levels.equals(expected)
    ledger.set_state(store, "depth:SOL/USDT:local:SOL/USDT#1", {"levels": [
        {"impact_bps": 50, "bid_base": 3, "ask_base": 4},
        {"impact_bps": 10, "bid_base": 1, "ask_base": 2}]})
    published = queries.load_pool_depth(store, symbol="SOL/USDT", venue="local:SOL/USDT#1")
    assert published.source == "published"
    assert list(published.levels["impact_bps"]) == [10, 50]
    other = queries.load_pool_depth(store, symbol="SOL/USDT", venue="jupiter")
    assert other.source == "none" and other.levels.empty

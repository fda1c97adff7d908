"""vectorbt integration: exact Portfolio export, the vectorbt engine, the vectorbt sweep."""

import subprocess
import sys
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from workbench.backtest import CostModel, make_venue_frame, run, sweep
from workbench.backtest.vectorbt_bridge import impact_tolerance
from workbench.errors import ConfigError

GRID = {"lower": 94.0, "upper": 104.0, "n_levels": 12, "size_per_level": Decimal("3"),
        "max_inventory_levels": 6}
# pool fee, network + priority fee and a tip, expected failures: no size-dependent impact
FEE_ONLY = CostModel(liquidity="none", pool_fee_bps=25.0, jito_tip_lamports=10_000,
                     failed_tx_rate=0.1)


def test_vectorbt_is_imported_lazily():
    """Importing the backtest package (and running numba backtests) does not import vectorbt."""
    code = ("import sys, workbench.backtest; "
            "assert 'vectorbt' not in sys.modules, 'vectorbt imported eagerly'")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=False)
    assert out.returncode == 0, out.stderr


@pytest.mark.parametrize(("name", "params", "costs"), [
    ("grid", GRID, CostModel(depth_quote=Decimal(20_000), jito_tip_lamports=1000)),
    ("grid", {**GRID, "spacing": "geometric", "out_of_range": "shift"},
     CostModel(liquidity="concentrated", depth_quote=Decimal(20_000), cl_range_pct=1.0)),
    ("sma_cross", {"fast": 8, "slow": 30}, CostModel(depth_quote=Decimal(300_000))),
])
def test_to_vectorbt_replays_the_backtest_exactly(sol_5m, name, params, costs):
    """from_orders with our sizes, impact-moved prices, pool fees and tx costs holds our equity."""
    res = run(name, sol_5m, params=params, costs=costs, init_cash=2_000)
    pf = res.to_vectorbt()
    filled = res.orders[res.orders["status"] == "filled"]
    rec = pf.orders.values
    assert len(rec) == len(filled) > 10
    np.testing.assert_array_equal(rec["idx"], filled["bar"])
    np.testing.assert_allclose(rec["size"], filled["size"], rtol=1e-12)
    # executed prices carry the impact: above the mid on buys, below it on sells
    is_buy = (filled["side"] == "buy").to_numpy()
    mid = filled["price"].to_numpy()
    assert (rec["price"][is_buy] > mid[is_buy]).all()
    assert (rec["price"][~is_buy] < mid[~is_buy]).all()
    np.testing.assert_allclose(rec["fees"], filled["pool_fee"] + filled["tx_cost"], rtol=1e-9)
    np.testing.assert_allclose(pf.value().to_numpy(), res.equity["equity"].to_numpy(),
                               rtol=1e-9)
    np.testing.assert_allclose(pf.cash().to_numpy(), res.equity["cash"].to_numpy(), rtol=1e-9,
                               atol=1e-9)
    assert pf.total_return() == pytest.approx(res.stats()["total_return"], abs=1e-9)


def test_to_vectorbt_refuses_what_it_cannot_hold(sol_5m):
    """Arbitrage legs and fee-paying failed transactions are refused with the reason."""
    arb = run("arbitrage", make_venue_frame(sol_5m, lag_bars=1))
    with pytest.raises(ConfigError, match="two venues in one atomic transaction"):
        arb.to_vectorbt()
    failing = CostModel(failed_tx_mode="simulate", seed=1, failed_tx_rate=0.5)
    res = run("grid", sol_5m, params=GRID, costs=failing)
    assert (res.orders["status"].str.startswith("failed")).any()
    with pytest.raises(ConfigError, match="charges fees only on fills"):
        res.to_vectorbt()
    # retried until they land, the failures' fees ride on the fills and export exactly
    landed = run("grid", sol_5m, params=GRID,
                 costs=CostModel(failed_tx_mode="simulate", seed=1, failed_tx_rate=0.5,
                                 max_tx_attempts=100))
    assert landed.orders["failed_tx"].sum() > 0
    np.testing.assert_allclose(landed.to_vectorbt().value().to_numpy(),
                               landed.equity["equity"].to_numpy(), rtol=1e-9)


@pytest.mark.parametrize(("name", "params"), [("sma_cross", {"fast": 8, "slow": 30}),
                                              ("rsi", {"oversold": 35.0, "overbought": 65.0}),
                                              ("bollinger", {"window": 20, "k": 1.5})])
def test_vectorbt_engine_equals_numba_without_impact(sol_5m, name, params):
    """from_signals with the pool fee as 1/g - 1 (buys) and 1 - g (sells) is the numba result."""
    ours = run(name, sol_5m, params=params, costs=FEE_ONLY)
    theirs = run(name, sol_5m, params=params, costs=FEE_ONLY, engine="vectorbt")
    assert theirs.engine == "vectorbt" and ours.engine == "numba"
    assert list(theirs.orders.columns) == list(ours.orders.columns)
    assert theirs.orders["bar"].tolist() == ours.orders["bar"].tolist()
    assert len(ours.orders) >= 6
    np.testing.assert_allclose(theirs.equity.to_numpy(), ours.equity.to_numpy(), rtol=1e-9,
                               atol=1e-9)
    for col in ("quote", "pool_fee", "tx_cost"):
        np.testing.assert_allclose(theirs.orders[col], ours.orders[col], rtol=1e-9, err_msg=col)
    a, b = ours.stats(), theirs.stats()
    for key in ("total_return", "sharpe", "max_drawdown", "trade_count", "fees_paid"):
        assert b[key] == pytest.approx(a[key], rel=1e-9), key


@pytest.mark.parametrize(("name", "depth"), [("sma_cross", 5_000_000), ("rsi", 5_000_000),
                                             ("bollinger", 5_000_000), ("sma_cross", 1_000_000),
                                             ("bollinger", 200_000)])
def test_vectorbt_engine_within_the_impact_bound(sol_5m, name, depth):
    """With pool impact, vectorbt's fixed slippage (impact of an init_cash trade) stays within
    exp(sum g*|N_k - init_cash|/y) - 1 of the exact curve (see vectorbt_bridge).

    The bound is tight (all-in trades err the same way once equity drifts from init_cash), so
    thin pools and frequent trading show large gaps: that is the approximation, not a bug.
    """
    costs = CostModel(depth_quote=Decimal(depth))
    ours = run(name, sol_5m, costs=costs)
    theirs = run(name, sol_5m, costs=costs, engine="vectorbt")
    assert theirs.orders["bar"].tolist() == ours.orders["bar"].tolist()
    bound = impact_tolerance(ours)
    gap = abs(theirs.equity["equity"].iloc[-1] / ours.equity["equity"].iloc[-1] - 1.0)
    assert 0.0 < gap <= bound + 1e-9
    # every fill pays impact in the same direction in both engines
    assert np.sign(theirs.orders["impact"]).tolist() == np.sign(ours.orders["impact"]).tolist()
    if depth == 5_000_000:
        assert bound < 0.03  # a tolerance that means something at a deep pool


@pytest.mark.parametrize(("name", "grid"), [
    ("sma_cross", {"fast": [3, 5, 10, 20], "slow": [20, 40, 80]}),
    ("rsi", {"period": [7, 14], "oversold": [25.0, 35.0], "overbought": [65.0, 75.0]}),
    ("bollinger", {"window": [10, 20, 40], "k": [1.0, 2.0]}),
])
def test_vectorbt_sweep_equals_numba_sweep(sol_5m, name, grid):
    """vectorbt parameter broadcasting + one from_signals call gives the numba sweep's table."""
    ours = sweep(name, sol_5m, grid, costs=FEE_ONLY)
    theirs = sweep(name, sol_5m, grid, costs=FEE_ONLY, engine="vectorbt", chunk_size=5)
    pd.testing.assert_frame_equal(theirs, ours, rtol=1e-9, atol=1e-12)
    assert ours["trade_count"].max() > 5
    if name == "sma_cross":
        assert ours.loc[ours["fast"] >= ours["slow"], "sharpe"].isna().all()


def test_vectorbt_engine_refusals(sol_5m):
    """What vectorbt cannot express is refused with the setting to change."""
    with pytest.raises(ConfigError, match="'grid' is path dependent"):
        run("grid", sol_5m, params=GRID, engine="vectorbt")
    with pytest.raises(ConfigError, match="cannot simulate failed transactions"):
        run("sma_cross", sol_5m, engine="vectorbt",
            costs=CostModel(failed_tx_mode="simulate", seed=0))
    with pytest.raises(ConfigError, match="fee-only cost model"):
        sweep("sma_cross", sol_5m, {"fast": [5], "slow": [20]}, engine="vectorbt")
    with pytest.raises(ConfigError, match=r"engine='pandas' must be one of \('numba', "):
        run("sma_cross", sol_5m, engine="pandas")

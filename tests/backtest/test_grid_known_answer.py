"""Grid fills, fees and balances on five-bar cases worked by hand."""

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from workbench.backtest import CostModel, run
from workbench.strategies import GridParams

# 1% pool fee (g = 0.99), no impact, 5,000 lamports per tx at SOL = 100 -> 0.0005 quote per fill
COSTS = CostModel(pool_fee_bps=100.0, liquidity="none", network_fee_lamports=5_000,
                  priority_fee_lamports=0, failed_tx_rate=0.0, min_trade_quote=Decimal(0))
G, TX = 0.99, 0.0005


def _bars(closes):
    idx = pd.date_range("2024-01-01", periods=len(closes), freq="1h", tz="UTC")
    c = np.asarray(closes, dtype=float)
    return pd.DataFrame({"open": c, "high": c, "low": c, "close": c, "volume": 1.0,
                         "sol_price": 100.0}, index=idx)


def _params(mode):
    # levels 90, 100, 110; one SOL per level; at most two lots held
    return GridParams(lower=90.0, upper=110.0, n_levels=3, size_per_level=Decimal(1),
                      max_inventory_levels=2, out_of_range=mode)


def test_pause_buys_twice_then_sells_both():
    """Falls through 100 and 90 buy a lot each; the rise through both sells both; then waits."""
    res = run("grid", _bars([105, 95, 85, 105, 115]), params=_params("pause"), costs=COSTS,
              init_cash=1000)
    o = res.orders
    assert o["bar"].tolist() == [1, 2, 3]
    assert o["side"].tolist() == ["buy", "buy", "sell"]
    assert o["size"].tolist() == [1.0, 1.0, 2.0]
    q1, q2, q3 = 95 / G, 85 / G, 2 * 105 * G
    np.testing.assert_allclose(o["quote"], [q1, q2, q3], rtol=1e-15)
    np.testing.assert_allclose(o["pool_fee"], [q1 * 0.01, q2 * 0.01, 2 * 105 * 0.01], rtol=1e-12)
    np.testing.assert_allclose(o["impact"], 0.0, atol=1e-12)
    np.testing.assert_allclose(o["tx_cost"], TX)
    cash = [1000, 1000 - q1 - TX, 1000 - q1 - q2 - 2 * TX, 1000 - q1 - q2 + q3 - 3 * TX]
    cash.append(cash[-1])
    np.testing.assert_allclose(res.equity["cash"], cash, rtol=1e-15)
    assert res.equity["base"].tolist() == [0, 1, 2, 0, 0]
    t = res.trades
    assert len(t) == 2 and not t["is_open"].any()
    np.testing.assert_allclose(t["pnl"], [(q3 - TX) / 2 - (q1 + TX), (q3 - TX) / 2 - (q2 + TX)])
    s = res.stats()
    assert s["trade_count"] == 2 and s["win_rate"] == 1.0
    assert s["fees_paid"] == pytest.approx(0.01 * (q1 + q2 + 210) + 3 * TX)


def test_close_sells_inventory_and_stops():
    """Leaving the range in close mode sells what is held at that bar and trades no more."""
    res = run("grid", _bars([105, 95, 85, 105, 95]), params=_params("close"), costs=COSTS,
              init_cash=1000)
    o = res.orders
    assert list(zip(o["bar"], o["side"], o["size"], strict=True)) == [(1, "buy", 1.0),
                                                                      (2, "sell", 1.0)]
    assert o["quote"].iloc[1] == pytest.approx(85 * G, rel=1e-15)
    assert res.equity["cash"].iloc[-1] == pytest.approx(1000 - 95 / G + 85 * G - 2 * TX)


def test_shift_recentres_and_keeps_inventory():
    """Shift mode re-centres the 20-wide grid on the price that left it; inventory carries over."""
    res = run("grid", _bars([105, 95, 85, 105, 115]), params=_params("shift"), costs=COSTS,
              init_cash=1000)
    o = res.orders
    # 85 -> grid 75/85/95 (cell 1); 105 leaves it: sell 1, grid 95/105/115; 115 crosses 115: sell 1
    assert list(zip(o["bar"], o["side"], o["size"], strict=True)) == [
        (1, "buy", 1.0), (2, "buy", 1.0), (3, "sell", 1.0), (4, "sell", 1.0)]
    np.testing.assert_allclose(o["quote"], [95 / G, 85 / G, 105 * G, 115 * G], rtol=1e-15)
    assert res.equity["base"].iloc[-1] == 0


def test_cash_and_min_notional_rejections_are_results():
    """A buy the cash cannot pay and an order under the minimum are recorded, not raised."""
    costs = CostModel(pool_fee_bps=100.0, liquidity="none", network_fee_lamports=5_000,
                      priority_fee_lamports=0, failed_tx_rate=0.0, min_trade_quote=Decimal(90))
    res = run("grid", _bars([105, 95, 85, 105, 115]), params=_params("pause"), costs=costs,
              init_cash=100)
    # bar 2: 85 < 90 minimum -> rejected first; bar 3 sells the one lot held (not two)
    assert res.orders["status"].tolist() == [
        "filled", "rejected: notional below min_trade_quote", "filled"]
    assert res.orders["size"].tolist() == [1.0, 1.0, 1.0]
    poor = run("grid", _bars([105, 95, 85, 105]), params=_params("pause"), costs=COSTS,
               init_cash=100)
    # 95/0.99 + tx leaves 4.04: the second buy (85/0.99) is refused, inventory stays one lot
    assert poor.orders["status"].tolist() == [
        "filled", "rejected: not enough cash for the input plus transaction cost", "filled"]
    assert poor.orders["size"].tolist() == [1.0, 1.0, 1.0]
    small = run("grid", _bars([105, 95, 85]), params=_params("pause"),
                costs=CostModel(liquidity="none", min_trade_quote=Decimal(100)), init_cash=1000)
    assert set(small.orders["status"]) == {"rejected: notional below min_trade_quote"}
    assert small.equity["cash"].iloc[-1] == 1000


def test_constant_product_impact_and_expected_tx_cost():
    """A 1 SOL buy from a 1,000,000-quote pool at 100 costs y*b/((x-b)*g) quote."""
    costs = CostModel(pool_fee_bps=25.0, depth_quote=Decimal(1_000_000), failed_tx_rate=0.05,
                      network_fee_lamports=5_000, priority_fee_lamports=50_000,
                      jito_tip_lamports=10_000, min_trade_quote=Decimal(0))
    res = run("grid", _bars([105, 95]), params=_params("pause"), costs=costs, init_cash=1000)
    x, y, g = 1_000_000 / 95, 1_000_000.0, 0.9975
    q = y * 1 / ((x - 1) * g)
    row = res.orders.iloc[0]
    assert row["quote"] == pytest.approx(q, rel=1e-14)
    assert row["impact"] == pytest.approx(q * g - 95, rel=1e-12)
    # expected lamports per fill: tip + (network + priority) / (1 - failure rate)
    assert row["tx_cost"] == pytest.approx((10_000 + 55_000 / 0.95) / 1e9 * 100, rel=1e-14)

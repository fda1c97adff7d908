"""Arbitrage: closed-form size, every leg and balance on hand cases; real-data run."""

import math
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from workbench.backtest import CostModel, make_venue_frame, run
from workbench.strategies import ArbitrageParams
from workbench.strategies._numeric import cp_two_pool_optimum

NO_TX = CostModel(network_fee_lamports=0, priority_fee_lamports=0, failed_tx_rate=0.0,
                  min_trade_quote=Decimal(0))


def _frame(pa, pb, da=1000.0, db=1000.0, n=1):
    idx = pd.date_range("2024-01-01", periods=n, freq="5min", tz="UTC")
    return pd.DataFrame({"a_price": pa, "a_depth": da, "b_price": pb, "b_depth": db,
                         "sol_price": 100.0}, index=idx)


def test_closed_form_is_the_maximum():
    """q* from the formula beats every size on a fine grid (independent brute force)."""
    xa, ya, xb, yb, ga, gb = 10.0, 1000.0, 1000 / 101, 1000.0, 0.997, 0.9995
    q, out = cp_two_pool_optimum(xa, ya, ga, xb, yb, gb)

    def profit(z):
        base = xa * ga * z / (ya + ga * z)
        return yb * gb * base / (xb + gb * base) - z

    grid = np.linspace(0.0, 10.0, 200_001)
    assert profit(q) >= max(profit(z) for z in grid[::10]) - 1e-12
    assert abs(q - grid[np.argmax([profit(z) for z in grid[::1]])]) < 1e-3
    assert out - q == pytest.approx(profit(q), rel=1e-12)


def test_hand_case_every_leg_and_balance():
    """Prices 100/101, 1,000 quote depth each, no fees: buy 2.48137 quote on a, sell on b."""
    p = ArbitrageParams(fee_bps=(0.0, 0.0), max_depth_frac=1.0)
    res = run("arbitrage", _frame(100.0, 101.0), params=p, costs=NO_TX, init_cash=1000)
    xa, ya, xb, yb = 10.0, 1000.0, 1000 / 101, 1000.0
    a, b, c = xa * yb, ya * xb, xa + xb
    q = (math.sqrt(a * b) - b) / c
    base = xa * q / (ya + q)
    out = yb * base / (xb + base)
    assert q == pytest.approx(2.481374, abs=1e-6)
    legs = res.orders
    assert legs["side"].tolist() == ["buy", "sell"] and legs["venue"].tolist() == ["a", "b"]
    np.testing.assert_allclose(legs["quote"], [q, out], rtol=1e-13)
    np.testing.assert_allclose(legs["size"], [base, base], rtol=1e-13)
    assert res.equity["cash"].iloc[-1] == pytest.approx(1000 + out - q, rel=1e-15)
    assert res.trades["pnl"].iloc[0] == pytest.approx(out - q, rel=1e-12)


def test_fees_and_tip_can_kill_the_trade():
    """The spread does not pay 50 bps a side (0.995**2 < 100/101), nor a 0.05 tip."""
    fees = ArbitrageParams(fee_bps=(50.0, 50.0), max_depth_frac=1.0)
    assert run("arbitrage", _frame(100.0, 101.0), params=fees, costs=NO_TX).trades.empty
    tip = CostModel(network_fee_lamports=0, priority_fee_lamports=0, failed_tx_rate=0.0,
                    jito_tip_lamports=500_000, min_trade_quote=Decimal(0))  # 0.05 quote at 100
    p = ArbitrageParams(fee_bps=(0.0, 0.0), max_depth_frac=1.0)
    assert run("arbitrage", _frame(100.0, 101.0), params=p, costs=tip).trades.empty
    # with the 0.0123 gross profit above, a 0.01-quote tip still pays
    small = CostModel(network_fee_lamports=0, priority_fee_lamports=0, failed_tx_rate=0.0,
                      jito_tip_lamports=100_000, min_trade_quote=Decimal(0))
    r = run("arbitrage", _frame(100.0, 101.0), params=p, costs=small)
    assert r.orders["tx_cost"].sum() == pytest.approx(0.01)


def test_size_capped_by_thinner_depth_and_cash():
    """The input is min(q*, max_depth_frac * thinner depth, cash - tx)."""
    p = ArbitrageParams(fee_bps=(0.0, 0.0), max_depth_frac=0.001)
    r = run("arbitrage", _frame(100.0, 101.0, da=5000.0, db=1000.0), params=p, costs=NO_TX)
    assert r.orders["quote"].iloc[0] == pytest.approx(1.0)  # 0.001 * 1000
    cash = run("arbitrage", _frame(100.0, 101.0), params=ArbitrageParams(
        fee_bps=(0.0, 0.0), max_depth_frac=1.0), costs=NO_TX, init_cash=Decimal("0.5"))
    assert cash.orders["quote"].iloc[0] == pytest.approx(0.5)


def test_real_data_lagged_venue(sol_5m):
    """On real SOL/USDT with a one-bar-lagged second venue, cash only grows, by the sum of pnl."""
    data = make_venue_frame(sol_5m, lag_bars=1)
    res = run("arbitrage", data, params=ArbitrageParams(fee_bps=(4.0, 25.0)), init_cash=10_000)
    t = res.trades
    assert len(t) > 20 and (t["pnl"] > 0).all()
    assert res.equity["cash"].iloc[-1] == pytest.approx(10_000 + t["pnl"].sum(), rel=1e-12)
    assert (np.diff(res.equity["cash"].to_numpy()) >= 0).all()
    assert {"a", "b"} == set(t["buy_venue"])

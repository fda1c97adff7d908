"""Failed transactions: drawn per bar with a seed, paid without a fill, converging to the
expected-cost model."""

import math
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from workbench.backtest import CostModel, make_venue_frame, run, sweep
from workbench.errors import ConfigError
from workbench.strategies import ArbitrageParams

GRID = {"lower": 94.0, "upper": 104.0, "n_levels": 12, "size_per_level": Decimal("3"),
        "max_inventory_levels": 6}
FEES = {"network_fee_lamports": 5_000, "priority_fee_lamports": 45_000,
        "jito_tip_lamports": 30_000}


def _sim(seed, rate=0.3, attempts=1, **kw):
    return CostModel(failed_tx_mode="simulate", seed=seed, failed_tx_rate=rate,
                     max_tx_attempts=attempts, **FEES, **kw)


def test_draws_price_every_attempt():
    """Landed: tip + (failures + 1) sends; given up: max_tx_attempts sends; no tip."""
    sol = np.linspace(100.0, 200.0, 5_000)
    costs = _sim(7, rate=0.4, attempts=3)
    d = costs.draw_tx(sol)
    send = 50_000
    lamports = np.where(d.is_landed, 30_000 + (d.failed + 1) * send, 3 * send)
    np.testing.assert_allclose(d.cost, lamports / 1e9 * sol, rtol=1e-15)
    assert (d.failed[~d.is_landed] == 3).all() and (d.failed[d.is_landed] < 3).all()
    # P(give up) = rate ** attempts
    assert abs((~d.is_landed).mean() - 0.4 ** 3) < 4 * math.sqrt(0.064 * 0.936 / 5_000)
    exp = CostModel(**FEES, failed_tx_rate=0.4).draw_tx(sol)
    assert exp.is_landed.all() and (exp.failed == 0).all()
    np.testing.assert_allclose(exp.cost, (30_000 + send / 0.6) / 1e9 * sol, rtol=1e-15)
    np.testing.assert_array_equal(d.expected, exp.cost)


def test_same_seed_same_run_other_seed_other_failures(sol_5m):
    """A seed reproduces every order; another seed fails other bars."""
    a = run("grid", sol_5m, params=GRID, costs=_sim(11))
    b = run("grid", sol_5m, params=GRID, costs=_sim(11))
    c = run("grid", sol_5m, params=GRID, costs=_sim(12))
    pd.testing.assert_frame_equal(a.orders, b.orders)
    pd.testing.assert_frame_equal(a.equity, b.equity)
    fa = set(a.orders.loc[a.orders["status"].str.startswith("failed"), "bar"])
    fc = set(c.orders.loc[c.orders["status"].str.startswith("failed"), "bar"])
    assert fa and fc and fa != fc


def test_a_failed_order_pays_and_does_not_fill(sol_5m):
    """Each sent order fails exactly on the bars the draw says; it pays the drawn cost, keeps
    the position, and the cash reconciles to the orders."""
    costs = _sim(5, rate=0.35)
    res = run("grid", sol_5m, params=GRID, costs=costs, init_cash=2_000)
    draws = costs.draw_tx(sol_5m["close"].to_numpy())
    o = res.orders
    sent = ~o["status"].str.startswith("rejected")
    bars = o.loc[sent, "bar"].to_numpy()
    is_failed = o.loc[sent, "status"].str.startswith("failed").to_numpy()
    np.testing.assert_array_equal(is_failed, ~draws.is_landed[bars])
    np.testing.assert_array_equal(o.loc[sent, "tx_cost"], draws.cost[bars])
    np.testing.assert_array_equal(o.loc[sent, "failed_tx"], draws.failed[bars])
    assert is_failed.sum() >= 5
    base = res.equity["base"].to_numpy()
    cash = res.equity["cash"].to_numpy()
    for row in o[o["status"].str.startswith("failed")].itertuples():
        assert base[row.bar] == base[row.bar - 1]
        assert cash[row.bar] == cash[row.bar - 1] - row.tx_cost
        assert row.quote == row.pool_fee == row.impact == 0.0
    f = o[o["status"] == "filled"]
    sign = np.where(f["side"] == "buy", -1.0, 1.0)
    flows = (sign * f["quote"]).sum() - f["tx_cost"].sum() - o.loc[~o["status"].isin(
        ["filled"]), "tx_cost"].sum()
    assert cash[-1] == pytest.approx(2_000 + flows, rel=1e-12)
    st = res.stats()
    assert st["failed_orders"] == is_failed.sum()
    assert st["tx_costs"] == pytest.approx(o["tx_cost"].sum(), rel=1e-12)


def test_failed_entry_stays_flat_until_the_next_signal(sol_5m):
    """A signal strategy whose entry fails is still flat on that bar and waits for a new cross."""
    res = run("sma_cross", sol_5m, params={"fast": 5, "slow": 20}, costs=_sim(2, rate=0.5))
    o = res.orders
    failed_buys = o[(o["side"] == "buy") & o["status"].str.startswith("failed")]
    assert len(failed_buys) >= 3
    assert (res.equity["base"].to_numpy()[failed_buys["bar"]] == 0.0).all()


def test_retrying_until_landed_converges_to_the_expected_model(sol_5m):
    """With retries until the order lands, fills equal the expected model's and the mean tx cost
    and final equity over seeds converge to it."""
    expected = run("grid", sol_5m, params=GRID, costs=CostModel(**FEES, failed_tx_rate=0.3))
    tx, final = [], []
    for seed in range(150):
        r = run("grid", sol_5m, params=GRID, costs=_sim(seed, attempts=1_000))
        if seed < 3:
            for col in ("bar", "side", "size", "quote", "pool_fee", "impact"):
                np.testing.assert_array_equal(r.orders[col], expected.orders[col])
        tx.append(r.orders["tx_cost"].sum())
        final.append(r.equity["equity"].iloc[-1])
    tx, final = np.array(tx), np.array(final)
    target_tx = expected.orders["tx_cost"].sum()
    assert abs(tx.mean() - target_tx) < 4 * tx.std(ddof=1) / math.sqrt(len(tx))
    target_eq = expected.equity["equity"].iloc[-1]
    assert abs(final.mean() - target_eq) < 4 * final.std(ddof=1) / math.sqrt(len(final))
    assert tx.std() > 0  # the draws really vary


def test_without_retry_the_cost_per_fill_is_the_expected_cost(sol_5m):
    """One attempt per order: rate of sent orders fail, and lamports paid per fill average
    tip + (network + priority) / (1 - rate), the expected model's charge."""
    rate, lamports, fills, sent = 0.3, 0.0, 0, 0
    for seed in range(120):
        r = run("grid", sol_5m, params=GRID, costs=_sim(seed, rate=rate))
        o = r.orders[~r.orders["status"].str.startswith("rejected")]
        sol = sol_5m["close"].to_numpy()[o["bar"]]
        lamports += float((o["tx_cost"] / sol * 1e9).sum())
        fills += int((o["status"] == "filled").sum())
        sent += len(o)
    fill_rate = fills / sent
    se = math.sqrt(rate * (1 - rate) / sent)
    assert abs(fill_rate - (1 - rate)) < 4 * se
    per_fill = lamports / fills
    want = CostModel(**FEES, failed_tx_rate=rate).expected_tx_lamports
    # per fill = 30,000 + 50,000 / fill_rate: its error is the fill rate's, scaled
    assert abs(per_fill - want) < 50_000 * 4 * se / (1 - rate) ** 2 + 1e-6


def test_sweep_sees_the_same_failures_as_run(sol_5m):
    """Draws belong to bars, so a sweep row equals run() with the same seed (common numbers)."""
    costs = _sim(9, rate=0.4)
    table = sweep("sma_cross", sol_5m, {"fast": [5, 10], "slow": [30]}, costs=costs)
    for i in range(2):
        st = run("sma_cross", sol_5m, params={"fast": int(table.fast[i]), "slow": 30},
                 costs=costs).stats()
        assert table.total_return[i] == pytest.approx(st["total_return"], rel=1e-12)
        assert table.fees_paid[i] == pytest.approx(st["fees_paid"], rel=1e-12)
        assert table.trade_count[i] == st["trade_count"]


def test_failed_arbitrage_fills_neither_leg(sol_5m):
    """A failed atomic transaction fills no leg, pays its fee, and is not a trade."""
    data = make_venue_frame(sol_5m, lag_bars=1)
    p = ArbitrageParams(fee_bps=(4.0, 25.0))
    costs = _sim(4, rate=0.4)
    res = run("arbitrage", data, params=p, costs=costs)
    legs = res.orders
    failed = legs[legs["status"].str.startswith("failed")]
    assert len(failed) >= 4 and (failed["quote"] == 0).all()
    assert set(failed.groupby("bar")["side"].apply(tuple)) == {("buy", "sell")}
    ok = legs[legs["status"] == "filled"]
    assert len(res.trades) == len(ok) // 2
    paid = legs["tx_cost"].sum()
    gross = ok.loc[ok["side"] == "sell", "quote"].sum() - ok.loc[ok["side"] == "buy", "quote"].sum()
    assert res.equity["cash"].iloc[-1] == pytest.approx(10_000 + gross - paid, rel=1e-12)
    # decisions are made on the expected cost: the same bars trade as in the expected model
    exp = run("arbitrage", data, params=p, costs=CostModel(**FEES, failed_tx_rate=0.4))
    assert len(set(legs["bar"]) & set(exp.orders["bar"])) > 0.8 * len(set(exp.orders["bar"]))


def test_cost_model_checks_the_failure_settings():
    """Simulation needs a seed; attempts and the mode are checked, with the fix in the message."""
    with pytest.raises(ConfigError, match=r"seed=None must be set when failed_tx_mode='simulate'"):
        CostModel(failed_tx_mode="simulate")
    with pytest.raises(ConfigError, match=r"max_tx_attempts=0 must be an int >= 1"):
        CostModel(max_tx_attempts=0)
    with pytest.raises(ConfigError, match=r"failed_tx_mode='sometimes' must be one of"):
        CostModel(failed_tx_mode="sometimes")
    shown = _sim(3).to_dict()
    assert shown["failed_tx_mode"] == "simulate" and shown["seed"] == 3

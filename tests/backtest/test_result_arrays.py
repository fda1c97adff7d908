"""The array-based result building equals the pandas code it replaced, bit for bit.

FIFO matching (numba), stats (NumPy arrays), the orders/equity frames, the SMA crossover's
array signals and the shortcuts in ``load_ohlcv``/``bars_per_year``/``draw_tx`` are compared
with the previous implementations (``_legacy_result.py``) on real SOL/USDT bars and on hand
cases.
"""

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from tests.backtest._legacy_grid import legacy_grid_kernel
from tests.backtest._legacy_result import (
    legacy_compute_stats,
    legacy_orders_frame,
    legacy_trades_from_orders,
)
from workbench.backtest import CostModel, load_ohlcv, run
from workbench.backtest.engine import bars_per_year
from workbench.backtest.kernels import (
    FAILED_TX,
    FILLED,
    REJECTED_CASH,
    equity_returns,
    fifo_trades,
    grid_kernel,
    grid_kernel_into,
    records,
    signals_kernel,
)
from workbench.backtest.result import compute_stats, orders_frame, trades_from_orders
from workbench.backtest.signals import signal_arrays, sma_cross_arrays
from workbench.strategies import (
    GridParams,
    SmaCrossParams,
    compute_sma_cross_signals,
    get_strategy,
)

SIMULATED = CostModel(failed_tx_mode="simulate", seed=3, failed_tx_rate=0.3,
                      depth_quote=Decimal(50_000))


def _results(bars: pd.DataFrame) -> list:
    lo, hi = float(bars["close"].quantile(0.2)), float(bars["close"].quantile(0.8))
    grid = GridParams(lower=lo, upper=hi, n_levels=15, size_per_level=Decimal("2"),
                      max_inventory_levels=5)
    return [
        run("sma_cross", bars, params={"fast": 5, "slow": 20}),
        run("sma_cross", bars, params={"fast": 3, "slow": 12}, costs=SIMULATED),
        run("rsi", bars, costs=SIMULATED),
        run("bollinger", bars),
        run("grid", bars, params=grid, costs=SIMULATED, init_cash=3_000),
        run("grid", bars, params=grid, init_cash=500),  # cash rejections
    ]


def _legacy_stats(res) -> pd.Series:
    return legacy_compute_stats(res.equity["equity"], res.trades, res.orders,
                                init_cash=float(res.init_cash),
                                bars_per_year=res.bars_per_year,
                                exposure=float((res.equity["base"] != 0).mean()))


def test_trades_and_stats_equal_the_pandas_implementation_on_real_data(sol_5m):
    statuses = set()
    n_trades = 0
    for res in _results(sol_5m):
        last = res.equity.index[-1]
        want = legacy_trades_from_orders(res.orders, float(res.equity["price"].iloc[-1]), last)
        assert len(want) >= 1
        n_trades += len(want)
        pd.testing.assert_frame_equal(res.trades, want, check_exact=True)
        pd.testing.assert_frame_equal(
            trades_from_orders(res.orders, float(res.equity["price"].iloc[-1]), last), want,
            check_exact=True)
        pd.testing.assert_series_equal(res.stats(), _legacy_stats(res), check_exact=True)
        statuses |= set(res.orders["status"])
    assert n_trades > 100
    # the cases cover fills, chain failures and rejections
    assert {"filled", "failed: every attempt failed on chain (fees paid, nothing filled)",
            "rejected: not enough cash for the input plus transaction cost"} <= statuses


def test_orders_and_equity_frames_equal_the_previous_construction(sol_5m):
    res = _results(sol_5m)[4]
    close = sol_5m["close"].to_numpy()
    tx = SIMULATED.draw_tx(close)
    p = res.params
    mult, mbuy, msell = SIMULATED.curve()
    cash, base, k, *recs = grid_kernel(
        close, np.full(len(close), 50_000.0), tx.cost, tx.is_landed, tx.failed, p.lower,
        p.upper, p.n_levels, False, 2.0, 5, 0, 3_000.0, SIMULATED.gamma, mult, mbuy, msell, 1.0)
    pd.testing.assert_frame_equal(orders_frame(sol_5m.index, tuple(recs), k),
                                  legacy_orders_frame(sol_5m.index, tuple(recs), k))
    pd.testing.assert_frame_equal(res.orders, legacy_orders_frame(sol_5m.index, tuple(recs), k))
    want = pd.DataFrame({"price": close, "cash": cash, "base": base,
                         "equity": cash + base * close}, index=sol_5m.index)
    pd.testing.assert_frame_equal(res.equity, want, check_exact=True)


def _orders(rows: list[tuple]) -> pd.DataFrame:
    """Orders frame from (bar, side, size, quote, tx_cost, status code) hand rows."""
    index = pd.date_range("2024-01-01", periods=20, freq="5min", tz="UTC")
    bar, side, size, quote, tx, status = (np.array(c) for c in zip(*rows, strict=True))
    recs = (bar.astype(np.int64), side.astype(np.int64), size.astype(float),
            np.full(len(rows), 100.0), quote.astype(float), np.zeros(len(rows)),
            np.zeros(len(rows)), tx.astype(float), status.astype(np.int64))
    return orders_frame(index, recs, len(rows))


HAND_CASES = {
    # buy 2 @ 100 (+1 tx), buy 1 @ 110, sell 2.5 for 300 (-1 tx): lot 1 whole, lot 2 half
    "split across lots": [(1, 1, 2.0, 200.0, 1.0, FILLED), (2, 1, 1.0, 110.0, 0.0, FILLED),
                          (3, -1, 2.5, 300.0, 1.0, FILLED)],
    "sell more than held": [(1, 1, 1.0, 100.0, 0.0, FILLED), (4, -1, 3.0, 330.0, 0.0, FILLED)],
    "only buys stay open": [(1, 1, 1.0, 100.0, 0.5, FILLED), (2, 1, 2.0, 190.0, 0.5, FILLED)],
    "rejected and failed skipped": [(1, 1, 1.0, 100.0, 0.0, FILLED),
                                    (2, -1, 1.0, 0.0, 0.0, REJECTED_CASH),
                                    (3, -1, 1.0, 0.0, 0.7, FAILED_TX),
                                    (5, -1, 1.0, 120.0, 0.2, FILLED)],
    "sell while flat": [(1, -1, 1.0, 100.0, 0.0, FILLED), (2, 1, 1.0, 100.0, 0.0, FILLED)],
    "tiny remainder": [(1, 1, 1.0, 100.0, 0.0, FILLED), (2, -1, 1.0 - 1e-13, 99.0, 0.0, FILLED)],
    "no orders": [],
}


@pytest.mark.parametrize("case", sorted(HAND_CASES))
def test_fifo_hand_cases_equal_the_pandas_matching(case):
    rows = HAND_CASES[case]
    if rows:
        orders = _orders(rows)
    else:
        ints = (0, 1, 8)
        recs = tuple(np.zeros(0, np.int64 if j in ints else float) for j in range(9))
        orders = orders_frame(pd.date_range("2024-01-01", periods=2, tz="UTC"), recs, 0)
        # the one difference: an empty status column keeps the text dtype (it was float64)
        assert orders["status"].dtype == orders["side"].dtype
        pd.testing.assert_frame_equal(orders, legacy_orders_frame(
            pd.date_range("2024-01-01", periods=2, tz="UTC"), recs, 0), check_dtype=False)
    last = pd.Timestamp("2024-01-01 01:35", tz="UTC")
    got = trades_from_orders(orders, 125.0, last)
    # empty trades keep ns timestamps (pandas 3 gave the old empty frame a seconds unit)
    assert got["entry_ts"].dtype == got["exit_ts"].dtype == "datetime64[ns, UTC]"
    pd.testing.assert_frame_equal(got, legacy_trades_from_orders(orders, 125.0, last),
                                  check_exact=True, check_dtype=bool(rows))


def test_fifo_split_across_lots_by_hand():
    """Lot 1: 2 base at (200 + 1) / 2 = 100.5; lot 2: 1 at 110. Selling 2.5 for (300 - 1) / 2.5
    = 119.6 per base closes lot 1 and half of lot 2; the other half is open at 125."""
    n, t_in, t_out, size, entry, exit_, is_open = fifo_trades(
        np.array([1, 2, 3]), np.array([True, True, False]), np.array([2.0, 1.0, 2.5]),
        np.array([200.0, 110.0, 300.0]), np.array([1.0, 0.0, 1.0]), 9, 125.0)
    assert n == 3
    assert t_in[:n].tolist() == [1, 2, 2]
    assert t_out[:n].tolist() == [3, 3, 9]
    assert size[:n].tolist() == [2.0, 0.5, 0.5]
    np.testing.assert_allclose(entry[:n], [201.0, 55.0, 55.0])
    np.testing.assert_allclose(exit_[:n], [239.2, 59.8, 62.5])
    assert is_open[:n].tolist() == [False, False, True]


def test_equity_returns_match_numpy_including_nan():
    rng = np.random.default_rng(0)
    eq = 1_000.0 * np.cumprod(1.0 + rng.normal(0, 0.01, 5_000))
    eq[4_000] = np.nan
    for x in (eq[:3_000], eq):
        r, down2, mdd = equity_returns(x, 1_000.0)
        want_r = np.diff(x, prepend=1_000.0) / np.concatenate(([1_000.0], x[:-1]))
        np.testing.assert_array_equal(r, want_r)
        np.testing.assert_array_equal(down2, np.minimum(want_r, 0.0) ** 2)
        peak = np.maximum.accumulate(np.concatenate(([1_000.0], x)))[1:]
        np.testing.assert_array_equal(mdd, np.max(1.0 - x / peak))
    assert np.isnan(equity_returns(eq, 1_000.0)[2])


def test_stats_of_a_frame_with_nan_pnl_equal_the_pandas_sum(sol_5m):
    """NaN in a column counts as 0, as in ``Series.sum``."""
    res = _results(sol_5m)[0]
    trades = res.trades.copy()
    trades.loc[trades.index[1], "pnl"] = np.nan
    args = (res.equity["equity"], trades, res.orders)
    kw = {"init_cash": float(res.init_cash), "bars_per_year": res.bars_per_year,
          "exposure": 0.5}
    pd.testing.assert_series_equal(compute_stats(*args, **kw), legacy_compute_stats(*args, **kw),
                                   check_exact=True)


@pytest.mark.parametrize(("fast", "slow"), [(1, 2), (5, 20), (10, 40), (50, 1999), (3, 5000)])
def test_sma_cross_arrays_equal_compute_signals(sol_5m, fast, slow):
    p = SmaCrossParams(fast=fast, slow=slow)
    want = compute_sma_cross_signals(sol_5m, p)
    entry, exit_ = sma_cross_arrays(sol_5m["close"].to_numpy(), fast, slow)
    np.testing.assert_array_equal(entry, want["entry"].to_numpy())
    np.testing.assert_array_equal(exit_, want["exit"].to_numpy())
    if slow < len(sol_5m) - 10:
        assert entry.sum() > 0
    got = signal_arrays(get_strategy("sma_cross"), sol_5m, p)
    np.testing.assert_array_equal(got[0], entry)


def test_signal_arrays_of_other_strategies_come_from_compute_signals(sol_5m):
    spec = get_strategy("rsi")
    p = spec.make_params(None)
    entry, exit_ = signal_arrays(spec, sol_5m, p)
    want = spec.compute_signals(sol_5m, p)
    np.testing.assert_array_equal(entry, want["entry"].to_numpy())
    np.testing.assert_array_equal(exit_, want["exit"].to_numpy())


def test_load_ohlcv_shallow_copy_leaves_the_input_alone(sol_5m):
    bars = sol_5m.copy()
    out = load_ohlcv(bars)
    assert out is not bars
    out.loc[out.index[0], "close"] = 1.0
    assert bars["close"].iloc[0] == sol_5m["close"].iloc[0]
    ints = bars.astype({"volume": np.int64})[["close", "volume", "open"]]
    conv = load_ohlcv(ints)
    assert list(conv.columns) == ["open", "close", "volume"]
    assert conv["volume"].dtype == np.float64


def test_bars_per_year_uniform_and_irregular(sol_5m):
    assert bars_per_year(sol_5m.index) == 365.25 * 86400.0 / 300.0
    idx = sol_5m.index[[0, 1, 2, 4, 5, 6, 9]]  # steps 5, 5, 10, 5, 5, 15 minutes: median 5
    assert bars_per_year(idx) == 365.25 * 86400.0 / 300.0
    assert bars_per_year(sol_5m.index[[0, 2, 4, 5]]) == 365.25 * 86400.0 / 600.0


def test_expected_tx_cost_has_the_previous_bits(sol_5m):
    c = CostModel(jito_tip_lamports=1234)
    sol = sol_5m["close"].to_numpy()
    want = np.full(len(sol), c.expected_tx_lamports) / 1_000_000_000 * sol
    np.testing.assert_array_equal(c.draw_tx(sol).cost, want)


@pytest.mark.parametrize("mode", [0, 1, 2])  # pause, shift, close
@pytest.mark.parametrize("geometric", [False, True])
def test_grid_kernel_equals_the_previous_kernel_bit_for_bit(sol_5m, mode, geometric):
    """Skipping paused bars and refilling one levels array change no number: every output
    equals the kernel before the change, on real bars that leave the range both ways."""
    close = sol_5m["close"].to_numpy()
    tx = SIMULATED.draw_tx(close)
    mult, mbuy, msell = SIMULATED.curve()
    lo, hi = close[0] * 0.97, close[0] * 1.03  # the series leaves this range both ways
    assert close.min() < lo and close.max() > hi
    args = (close, np.full(len(close), 50_000.0), tx.cost, tx.is_landed, tx.failed, lo, hi, 9,
            geometric, 1.5, 4, mode, 1_000.0, SIMULATED.gamma, mult, mbuy, msell, 1.0)
    got = grid_kernel(*args)
    want = legacy_grid_kernel(*args)
    k = want[2]
    assert got[2] == k > (3 if mode == 2 else 20)
    for g, w in zip(got[:2], want[:2], strict=True):
        np.testing.assert_array_equal(g, w)
    for g, w in zip(got[3:], want[3:], strict=True):
        np.testing.assert_array_equal(g[:k], w[:k])
    # into dirty, reused buffers: the same again
    cash, base, recs = np.full(len(close), 7.0), np.full(len(close), 7.0), records(len(close) + 1)
    for _ in range(2):
        assert grid_kernel_into(*args, cash, base, recs) == k
        np.testing.assert_array_equal(cash, want[0])
        np.testing.assert_array_equal(base, want[1])
        for g, w in zip(recs, want[3:], strict=True):
            np.testing.assert_array_equal(g[:k], w[:k])


def test_run_sma_equals_the_previous_pandas_wiring(sol_5m):
    """run's array path (signal arrays, kernel into the equity block, trades from the records)
    gives the frames the old path built from compute_signals, signals_kernel and pandas."""
    costs = SIMULATED
    res = run("sma_cross", sol_5m, params={"fast": 4, "slow": 15}, costs=costs,
              init_cash=5_000)
    close = sol_5m["close"].to_numpy()
    sig = compute_sma_cross_signals(sol_5m, SmaCrossParams(fast=4, slow=15))
    tx = costs.draw_tx(close)
    mult, mbuy, msell = costs.curve()
    cash, base, k, *recs = signals_kernel(
        close, sig["entry"].to_numpy(), sig["exit"].to_numpy(), np.full(len(close), 50_000.0),
        tx.cost, tx.is_landed, tx.failed, 5_000.0, costs.gamma, mult, mbuy, msell, 1.0)
    orders = legacy_orders_frame(sol_5m.index, tuple(recs), k)
    assert k > 20
    pd.testing.assert_frame_equal(res.orders, orders, check_exact=True)
    pd.testing.assert_frame_equal(res.equity, pd.DataFrame(
        {"price": close, "cash": cash, "base": base, "equity": cash + base * close},
        index=sol_5m.index), check_exact=True)
    pd.testing.assert_frame_equal(
        res.trades, legacy_trades_from_orders(orders, float(close[-1]), sol_5m.index[-1]),
        check_exact=True)

"""Backtest benchmarks; every figure is a ratio against a baseline timed in the same run.

1. SMA crossover on 100,000 bars: ``workbench.backtest.run`` vs backtesting.py (the
   ``backtesting`` package) with the same rules (all-in long on a fast/slow cross up, flat on a
   cross down, fill at the close, 25 bps commission). Target >= 50x. The same run with
   ``engine="vectorbt"`` (``vbt.Portfolio.from_signals``) is timed against the same
   backtesting.py run, and its final equity is checked against the numba engine's.
2. A 100-combination SMA sweep over 100,000 bars: bar-parameter evaluations per second.
   Target >= 20 M/s. Also shown for ``sweep(..., engine="vectorbt")`` (vbt.MA broadcasting and
   one 100-column ``from_signals``), with its table checked against the numba one.
3. The grid kernel vs a bare numba loop doing the same level arithmetic (>= 50% of its speed)
   and vs the plain-Python reference (>= 100x). The kernel is timed writing into outputs
   allocated once (``grid_kernel_into``; the bare loop has no outputs at all), and also as
   ``grid_kernel``, which allocates fresh outputs per call: on a fresh 100k-bar curve every
   4 KiB page faults on first touch, which costs more than the simulation when the C
   allocator has just returned that memory to the OS. ``bare_grid_loop`` says exactly what
   the baseline does and does not do.

The SMA timing is ``run(...)`` plus ``stats()``: ``run`` builds the orders, trades and
equity frames eagerly (nothing is lazy), so the timed section gives what ``bt.run()`` gives.

Data: real SOL/USDT 5m bars (76,948, Binance 2024); to reach 100,000 bars the series is
continued by repeating its own log-returns from the start (so prices stay continuous). Numba
compilation is excluded (each function runs once before timing; NUMBA_CACHE_DIR keeps it).
Run: ``NUMBA_CACHE_DIR=.cache/numba .venv/bin/python benchmarks/bench_backtest.py``.
"""

from __future__ import annotations

import time
import warnings
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from numba import njit

from workbench.backtest import CostModel, load_ohlcv, run, sweep
from workbench.backtest.kernels import grid_kernel, grid_kernel_into, records
from workbench.backtest.reference import reference_grid
from workbench.strategies import GridParams

N = 100_000


def bars_100k() -> pd.DataFrame:
    base = load_ohlcv("SOL/USDT", timeframe="5m")
    close = base["close"].to_numpy()
    r = np.diff(np.log(close))
    need = N - len(close)
    ext = close[-1] * np.exp(np.cumsum(r[:need]))
    c = np.concatenate([close, ext])
    idx = pd.date_range(base.index[0], periods=N, freq="5min", tz="UTC")
    return pd.DataFrame({"open": c, "high": c, "low": c, "close": c, "volume": 1.0}, index=idx)


def best_of(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


FEE_ONLY = CostModel(liquidity="none", pool_fee_bps=25.0, network_fee_lamports=0,
                     priority_fee_lamports=0, failed_tx_rate=0.0, min_trade_quote=Decimal(0))


def bench_sma(bars: pd.DataFrame) -> None:
    from backtesting import Backtest, Strategy
    from backtesting.lib import crossover

    fast, slow = 10, 40

    def ours(engine: str = "numba") -> Any:
        res = run("sma_cross", bars, params={"fast": fast, "slow": slow}, costs=FEE_ONLY,
                  init_cash=1_000_000, engine=engine)
        res.stats()
        return res

    def sma(x, n):
        return pd.Series(x).rolling(n).mean().to_numpy()

    class SmaCross(Strategy):
        def init(self) -> None:
            self.f = self.I(sma, self.data.Close, fast)
            self.s = self.I(sma, self.data.Close, slow)

        def next(self) -> None:
            if crossover(self.f, self.s):
                self.buy()
            elif crossover(self.s, self.f) and self.position:
                self.position.close()

    df = bars.rename(columns=str.capitalize)
    df.index = df.index.tz_localize(None)

    def theirs() -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            Backtest(df, SmaCross, cash=1_000_000, commission=0.0025, trade_on_close=True,
                     finalize_trades=True).run()

    numba_res = ours()
    t_ours = best_of(ours)
    t_theirs = best_of(theirs, repeat=1)
    print(f"sma_cross 100k bars: workbench {t_ours * 1e3:.1f} ms, backtesting.py "
          f"{t_theirs * 1e3:.0f} ms -> {t_theirs / t_ours:.0f}x (target >= 50x)")
    vbt_res = ours("vectorbt")  # imports vectorbt, loads its compiled code
    t_vbt = best_of(lambda: ours("vectorbt"))
    gap = vbt_res.equity["equity"].iloc[-1] / numba_res.equity["equity"].iloc[-1] - 1.0
    print(f"sma_cross 100k bars, engine='vectorbt' (from_signals): {t_vbt * 1e3:.1f} ms, "
          f"backtesting.py {t_theirs * 1e3:.0f} ms -> {t_theirs / t_vbt:.0f}x; "
          f"{t_vbt / t_ours:.2f}x the numba engine's time; final equity vs numba "
          f"{gap:+.1e}")


def bench_sweep(bars: pd.DataFrame) -> None:
    grid = {"fast": [2, 4, 6, 8, 10, 12, 14, 16, 18, 20],
            "slow": [30, 40, 50, 60, 80, 100, 120, 150, 200, 250]}
    sweep("sma_cross", bars, grid, chunk_size=100)
    t = best_of(lambda: sweep("sma_cross", bars, grid, chunk_size=100))
    evals = 100 * len(bars)
    print(f"sweep 100 params x {len(bars):,} bars: {t * 1e3:.0f} ms -> "
          f"{evals / t / 1e6:.1f} M bar-param evaluations/s (target >= 20 M/s)")
    ours = sweep("sma_cross", bars, grid, costs=FEE_ONLY, chunk_size=100)
    theirs = sweep("sma_cross", bars, grid, costs=FEE_ONLY, chunk_size=100, engine="vectorbt")
    t_vbt = best_of(lambda: sweep("sma_cross", bars, grid, costs=FEE_ONLY, chunk_size=100,
                                  engine="vectorbt"), repeat=2)
    diff = float(np.nanmax(np.abs(theirs["total_return"] - ours["total_return"])))
    print(f"sweep 100 params x {len(bars):,} bars, engine='vectorbt': {t_vbt * 1e3:.0f} ms -> "
          f"{evals / t_vbt / 1e6:.1f} M bar-param evaluations/s ({t_vbt / t:.0f}x numba's time);"
          f" max |total_return difference| {diff:.1e}")


@njit(cache=True)
def bare_grid_loop(close, levels, max_lots):
    """The grid's level arithmetic and nothing else: the floor any grid simulation pays.

    Per bar: the same cell tracking as the kernel (skip the search while the price stays
    inside the current cell, else a binary search for the highest level <= price), the lots
    crossed capped at ``max_lots`` inventory (buys) or at the inventory (sells), and cash
    moved by lots * price. It does NOT do what the kernel must also do: costs (pool fee,
    price impact, transaction fee, failed transactions, rejections), the order records, the
    per-bar cash and position curve, out-of-range modes (the range is fixed, as in "pause").
    The search is a binary search because the kernel's step function
    (``workbench.strategies._numeric.grid_step``) searches that way; a walk from the current
    cell would make both this loop and the kernel faster (see the issue notes).
    """
    n_lv = levels.shape[0]
    last = n_lv - 1
    cell = -1
    for k in range(n_lv):
        if levels[k] <= close[0]:
            cell = k
    inv = 0
    cash = 0.0
    for i in range(1, close.shape[0]):
        p = close[i]
        if 0 <= cell < last and levels[cell] <= p < levels[cell + 1]:
            continue
        lo, hi = 0, n_lv
        while lo < hi:
            mid = (lo + hi) // 2
            if levels[mid] <= p:
                lo = mid + 1
            else:
                hi = mid
        new = lo - 1
        d = cell - new
        if d > 0:
            d = min(d, max_lots - inv)
        elif d < 0:
            d = -min(-d, inv)
        inv += d
        cash -= d * p
        cell = new
    return cash, inv


def bench_grid(bars: pd.DataFrame) -> None:
    close = np.ascontiguousarray(bars["close"].to_numpy())
    p = GridParams(lower=float(np.quantile(close, 0.05)), upper=float(np.quantile(close, 0.95)),
                   n_levels=50, size_per_level=Decimal("0.1"), max_inventory_levels=25)
    costs = CostModel()
    mult, mbuy, msell = costs.curve()
    depth = np.full(N, 1e6)
    tx = costs.draw_tx(close)
    args = (close, depth, tx.cost, tx.is_landed, tx.failed, p.lower, p.upper, p.n_levels, False,
            0.1, 25, 0, 1e9, costs.gamma, mult, mbuy, msell, 1.0)
    # outputs allocated once, as a sweep would reuse them: the timed call is the simulation
    cash, base, recs = np.empty(N), np.empty(N), records(N + 1)
    n_orders = grid_kernel_into(*args, cash, base, recs)
    grid_kernel(*args)
    levels = p.levels()
    bare_grid_loop(close, levels, 25)
    t_kernel = best_of(lambda: grid_kernel_into(*args, cash, base, recs), repeat=7)
    t_alloc = best_of(lambda: grid_kernel(*args), repeat=7)
    t_bare = best_of(lambda: bare_grid_loop(close, levels, 25), repeat=7)
    cl = close.tolist()
    t_ref = best_of(lambda: reference_grid(
        cl, depth=[1e6] * N, sol_price=cl, lower=p.lower, upper=p.upper, n_levels=50,
        geometric=False, size=0.1, max_lots=25, mode="pause", init_cash=1e9, fee_bps=25.0,
        depth_mult=mult, max_buy_frac=mbuy, max_sell_frac=msell,
        tx_lamports=costs.expected_tx_lamports, min_quote=1.0), repeat=2)
    print(f"grid kernel 100k bars, {n_orders:,} orders, into preallocated outputs: "
          f"{t_kernel * 1e3:.2f} ms; bare numba loop {t_bare * 1e3:.2f} ms -> "
          f"{t_bare / t_kernel * 100:.0f}% of bare speed (target >= 50%); plain-Python "
          f"reference {t_ref * 1e3:.0f} ms -> {t_ref / t_kernel:.0f}x (target >= 100x)")
    print(f"grid kernel allocating its outputs per call (grid_kernel): {t_alloc * 1e3:.2f} ms "
          f"-> {t_bare / t_alloc * 100:.0f}% of bare speed, {t_ref / t_alloc:.0f}x the reference"
          " (any gap to the line above is first-touch page faults of fresh output memory)")


def main() -> None:
    bars = bars_100k()
    bench_sma(bars)
    bench_sweep(bars)
    bench_grid(bars)


if __name__ == "__main__":
    main()

"""vectorbt integration: results as ``vbt.Portfolio``, a vectorbt engine, a vectorbt sweep.

Three ways in, each checked against the numba kernels in ``tests/backtest/test_vectorbt.py``:

* :func:`to_portfolio` (``BacktestResult.to_vectorbt()``) replays a finished backtest's filled
  orders through ``vbt.Portfolio.from_orders``: exact size, executed price (the pool mid
  moved by the price impact), the pool fee as a fee fraction of that price and the transaction
  cost as a fixed fee. vectorbt then holds the same cash and position bar by bar, so its
  ``total_return``, ``value()``, ``stats()`` and plots describe *our* backtest, pool curve
  included. Worked example, a buy of ``b = 1`` SOL for ``q = 100.3`` quote with a
  ``pool_fee = 0.25`` and ``tx_cost = 0.009``: price ``(q - pool_fee) / b = 100.05``, fees
  ``pool_fee / (q - pool_fee) = 0.0024988``, fixed fee ``0.009``; vectorbt debits
  ``1 * 100.05 * (1 + 0.0024988) + 0.009 = 100.309``, which is ``q + tx_cost``.
* :func:`run_vectorbt` (``run(..., engine="vectorbt")``) simulates a signal strategy with
  ``vbt.Portfolio.from_signals``. The pool fee is taken from the swap input, so a buy is
  charged ``1/g - 1`` and a sell ``1 - g`` (``g = 1 - fee``), which reproduces the pool's
  fee exactly. vectorbt's slippage is a fixed fraction per bar, fixed before the simulation
  knows the trade size; it is set to the constant-product impact of a trade of ``init_cash``
  quote (buy: ``g*N/y``, sell: ``g*N/(y + g*N)`` for notional ``N`` and effective quote
  reserve ``y``). The real trade is the account's equity at the time, so each fill's price
  is off by at most ``g*|N_k - init_cash|/y`` (relative) and the final equity by at most
  ``exp(sum_k g*|N_k - init_cash|/y_k) - 1``; :func:`impact_tolerance` computes that bound
  from a numba result and the test holds vectorbt to it. Without price impact
  (``liquidity="none"``) the two engines agree to 1e-9.
* :func:`sweep_vectorbt` (``sweep(..., engine="vectorbt")``) computes the indicators by vectorbt
  parameter broadcasting (``vbt.MA.run`` for the SMA crossover, ``IndicatorFactory`` around
  the strategies' own numeric functions for RSI and Bollinger), crosses them with vectorbt's
  ``crossed_above``/``crossed_below`` and simulates every combination as one column of one
  ``from_signals`` call. With a fee-only cost model it returns the same table as the numba
  sweep (to 1e-9).

What vectorbt cannot express, the numba engine keeps: pool-curve impact that depends on the
size (only approximated here), concentrated-range and minimum-notional rejections, and failed
transactions (vectorbt charges fees only on fills). Those cases raise ``ConfigError`` rather
than return a silently different number.

vectorbt objects are indexed by UTC time **without a tz** (``_naive``): with pandas 3 a
tz-aware index is converted to Timestamp objects on every vectorbt wrap, 0.5 s per call at
100,000 bars; a naive UTC index costs nothing.

vectorbt is imported on first use only: its import takes seconds and it compiles numba code.
``vectorbt.portfolio.nb.simulate_from_signals_nb`` is the one kernel vectorbt 1.2 leaves
uncached, so :func:`vectorbt` turns numba's on-disk cache on for it (``NUMBA_CACHE_DIR``):
the first ``from_signals`` in a fresh process then costs a cache load, not a 20 s compile.
"""

from __future__ import annotations

import functools
import math
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from numba import njit

from workbench.backtest.costs import CostModel
from workbench.backtest.data import load_ohlcv
from workbench.backtest.result import (
    FAILED_TEXT,
    FILLED_TEXT,
    ORDER_COLUMNS,
    BacktestResult,
    trades_from_orders,
)
from workbench.errors import ConfigError
from workbench.strategies import StrategyKind, StrategySpec
from workbench.strategies._numeric import rsi_series_nb
from workbench.strategies.indicators import _bands

__all__ = [
    "check_vectorbt_sweep",
    "clean_signals",
    "impact_tolerance",
    "run_vectorbt",
    "sweep_vectorbt",
    "to_portfolio",
    "vectorbt",
]


@functools.cache
def vectorbt() -> Any:
    """The ``vectorbt`` module, imported once, with its signal simulator cached on disk."""
    import vectorbt as vbt
    from vectorbt.portfolio import nb as portfolio_nb

    dispatcher = portfolio_nb.simulate_from_signals_nb
    if not dispatcher.signatures:  # not compiled yet in this process
        dispatcher.enable_caching()
    return vbt


def _naive(index: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """The same instants in UTC without a tz (see the module docstring)."""
    return index.tz_convert("UTC").tz_localize(None) if index.tz is not None else index


def _freq(index: pd.DatetimeIndex) -> pd.Timedelta:
    """The bar spacing (median), for vectorbt's annualised stats."""
    if len(index) < 2:
        return pd.Timedelta(minutes=5)
    return pd.Timedelta(int(np.median(np.diff(index.as_unit("ns").asi8))), unit="ns")


# --- BacktestResult -> vbt.Portfolio ---------------------------------------------------------


def to_portfolio(result: BacktestResult) -> Any:
    """``vbt.Portfolio.from_orders`` replaying ``result``'s filled orders (see module doc).

    The portfolio's index is the result's, in UTC without the tz.

    Raises:
        ConfigError: arbitrage results, failed transactions that paid fees, or two filled
            orders on one bar.
    """
    orders = result.orders
    if "venue" in orders.columns:
        raise ConfigError(
            f"{result.strategy!r} trades two venues in one atomic transaction per bar; a "
            "vectorbt Portfolio holds one order per bar and asset. Use result.orders and "
            "result.equity (or the HTML report) for arbitrage.", setting="strategy")
    failed = orders[orders["status"] == FAILED_TEXT]
    if len(failed) and float(failed["tx_cost"].sum()) > 0:
        raise ConfigError(
            f"{len(failed)} orders failed on chain and paid {float(failed['tx_cost'].sum()):.6g}"
            " quote without a fill; vectorbt charges fees only on fills. Export a run with "
            "failed_tx_mode='expected', or a larger max_tx_attempts so every order lands.",
            setting="costs.failed_tx_mode")
    filled = orders[orders["status"] == FILLED_TEXT]
    if filled["bar"].duplicated().any():
        raise ConfigError("Two filled orders on one bar cannot be replayed by "
                          "Portfolio.from_orders (one order per bar).", setting="orders")
    eq = result.equity
    n = len(eq)
    close = pd.Series(eq["price"].to_numpy(np.float64), index=_naive(eq.index), name="close")
    bar = filled["bar"].to_numpy(np.int64)
    b = filled["size"].to_numpy(np.float64)
    q = filled["quote"].to_numpy(np.float64)
    fee = filled["pool_fee"].to_numpy(np.float64)
    is_buy = (filled["side"] == "buy").to_numpy()
    # value at the executed price before the pool fee: a buy's input less the fee, a sell's
    # output plus the fee (the fee is charged on top of a buy and out of a sell)
    gross = np.where(is_buy, q - fee, q + fee)
    size = np.full(n, np.nan)
    price = close.to_numpy().copy()
    fees = np.zeros(n)
    fixed = np.zeros(n)
    size[bar] = np.where(is_buy, b, -b)
    price[bar] = gross / b
    fees[bar] = fee / gross
    fixed[bar] = filled["tx_cost"].to_numpy(np.float64)
    vbt = vectorbt()
    return vbt.Portfolio.from_orders(
        close, size, size_type="amount", direction="longonly", price=price, fees=fees,
        fixed_fees=fixed, slippage=0.0, min_size=0.0, init_cash=float(result.init_cash),
        freq=_freq(eq.index))


# --- engine="vectorbt" -------------------------------------------------------------------


@njit(cache=True)
def _clean_nb(entries: np.ndarray, exits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n, m = entries.shape
    ent = np.zeros((n, m), np.bool_)
    ext = np.zeros((n, m), np.bool_)
    for j in range(m):
        is_long = False
        for i in range(n):
            if not is_long and entries[i, j]:
                ent[i, j] = True
                is_long = True
            elif is_long and exits[i, j]:
                ext[i, j] = True
                is_long = False
    return ent, ext


def clean_signals(entries: np.ndarray, exits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The signals a long-only, all-in account acts on: an entry while flat, an exit while long.

    The numba kernel applies the same rule as it goes; cleaning first tells vectorbt which bars
    buy and which sell, so each gets its own fee (and slippage). 1-D or 2-D ``(bars, columns)``.
    """
    ent = np.asarray(entries, dtype=np.bool_)
    ext = np.asarray(exits, dtype=np.bool_)
    flat = ent.ndim == 1
    a, b = _clean_nb(np.ascontiguousarray(ent.reshape(ent.shape[0], -1)),
                     np.ascontiguousarray(ext.reshape(ext.shape[0], -1)))
    return (a[:, 0], b[:, 0]) if flat else (a, b)


def _check_engine(spec: StrategySpec[Any], costs: CostModel) -> None:
    if spec.kind is not StrategyKind.SIGNALS:
        raise ConfigError(
            f"engine='vectorbt' runs signal strategies (sma_cross, rsi, bollinger); "
            f"{spec.name!r} is path dependent. Use engine='numba', then result.to_vectorbt() "
            "for a vectorbt Portfolio of it.", setting="engine")
    if costs.is_simulated:
        raise ConfigError(
            "engine='vectorbt' cannot simulate failed transactions (vectorbt charges fees only "
            "on fills); use failed_tx_mode='expected' or engine='numba'.",
            setting="costs.failed_tx_mode")


def _impact_slippage(costs: CostModel, depth: np.ndarray, notional: float
                     ) -> tuple[np.ndarray, np.ndarray]:
    """(buy, sell) price impact, as fractions of the mid, of a ``notional`` quote trade."""
    mult, _, _ = costs.curve()
    if mult == 0.0:
        zero = np.zeros(depth.shape[0])
        return zero, zero
    y = depth * mult
    gn = costs.gamma * notional
    return gn / y, gn / (y + gn)


def impact_tolerance(result: BacktestResult) -> float:
    """Bound on ``|equity_vectorbt / equity_numba - 1|`` at the end of a signal run.

    vectorbt fills every trade with the impact of an ``init_cash`` trade; trade ``k`` really
    moves ``N_k`` quote through a pool with effective reserve ``y_k``. Both the buy's and the
    sell's price factor are ``1 / (1 + g*N/y)``, whose log changes by at most ``g*|dN|/y``, and
    an all-in account's equity is the product of those factors, so the log of the ratio of
    final equities is at most ``sum_k g*|N_k - init_cash|/y_k``. Returns ``exp(sum) - 1``.
    Uses the cost model's ``depth_quote`` (not a per-bar ``depth_quote`` column).
    """
    costs = result.costs
    mult, _, _ = costs.curve()
    filled = result.orders[result.orders["status"] == FILLED_TEXT]
    if mult == 0.0 or filled.empty:
        return 0.0
    y = np.full(len(filled), float(costs.depth_quote) * mult)
    notional = np.where(filled["side"] == "buy", filled["quote"].to_numpy(),
                        (filled["size"] * filled["price"]).to_numpy())
    total = float(np.sum(costs.gamma * np.abs(notional - float(result.init_cash)) / y))
    return math.expm1(total)


def run_vectorbt(spec: StrategySpec[Any], data: Any, params: Any, *, costs: CostModel,
                 init_cash: Decimal, sol_price: Any = None) -> BacktestResult:
    """``run(..., engine="vectorbt")``: a signal strategy through ``Portfolio.from_signals``.

    Returns the same :class:`BacktestResult` shape as the numba engine (``engine`` field
    "vectorbt"); orders' ``pool_fee`` is what vectorbt charged, ``impact`` the slippage paid.

    Raises:
        ConfigError: not a signal strategy, or failed transactions are simulated.
    """
    _check_engine(spec, costs)
    bars = load_ohlcv(data)
    close = pd.Series(bars["close"].to_numpy(np.float64), index=_naive(bars.index), name="close")
    n = len(bars)
    sig = spec.compute_signals(bars, params)
    entries, exits = clean_signals(sig["entry"].to_numpy(np.bool_),
                                   sig["exit"].to_numpy(np.bool_))
    depth = np.broadcast_to(np.asarray(bars["depth_quote"] if "depth_quote" in bars.columns
                                       else float(costs.depth_quote), np.float64), (n,))
    sol = np.broadcast_to(np.asarray(sol_price if sol_price is not None else
                                     bars["sol_price"] if "sol_price" in bars.columns
                                     else close, np.float64), (n,))
    tx = costs.draw_tx(sol).cost
    g = costs.gamma
    cash0 = float(init_cash)
    slip_buy, slip_sell = _impact_slippage(costs, depth, cash0)
    fees = np.where(entries, 1.0 / g - 1.0, 1.0 - g)
    slippage = np.where(entries, slip_buy, slip_sell)
    vbt = vectorbt()
    pf = vbt.Portfolio.from_signals(
        close, entries, exits, direction="longonly", size=np.inf, fees=fees, fixed_fees=tx,
        slippage=slippage, min_size=0.0, init_cash=cash0, freq=_freq(bars.index))
    return _result_from_portfolio(spec, params, costs, init_cash, bars, pf, tx)


def _result_from_portfolio(spec: StrategySpec[Any], params: Any, costs: CostModel,
                           init_cash: Decimal, bars: pd.DataFrame, pf: Any, tx: np.ndarray
                           ) -> BacktestResult:
    from workbench.backtest.engine import bars_per_year

    rec = pf.orders.values
    bar = rec["idx"].astype(np.int64)
    size = rec["size"]
    is_buy = rec["side"] == 0
    gross = size * rec["price"]
    fixed = tx[bar]
    pool_fee = rec["fees"] - fixed
    mid = bars["close"].to_numpy(np.float64)[bar]
    orders = pd.DataFrame({
        "ts": bars.index[bar], "bar": bar, "side": np.where(is_buy, "buy", "sell"),
        "size": size, "price": mid,
        "quote": np.where(is_buy, gross + pool_fee, gross - pool_fee), "pool_fee": pool_fee,
        "impact": np.where(is_buy, gross - size * mid, size * mid - gross), "tx_cost": fixed,
        "status": FILLED_TEXT, "failed_tx": np.zeros(len(bar), np.int64),
    }, columns=ORDER_COLUMNS)
    close = bars["close"].to_numpy(np.float64)
    cash = pf.cash().to_numpy(np.float64)
    base = pf.assets().to_numpy(np.float64)
    equity = pd.DataFrame({"price": close, "cash": cash, "base": base,
                           "equity": pf.value().to_numpy(np.float64)}, index=bars.index)
    trades = trades_from_orders(orders, float(close[-1]), bars.index[-1])
    return BacktestResult(strategy=spec.name, params=params, costs=costs, init_cash=init_cash,
                          equity=equity, orders=orders, trades=trades,
                          bars_per_year=bars_per_year(bars.index), engine="vectorbt")


# --- sweep(..., engine="vectorbt") --------------------------------------------------------


def check_vectorbt_sweep(spec: StrategySpec[Any], costs: CostModel) -> None:
    """Raise ``ConfigError`` unless a vectorbt sweep reproduces the numba sweep exactly.

    That needs a signal strategy and a fee-only cost model: pool fee, network, priority fee
    and tip, expected failures; no price impact (``liquidity="none"``), whose size dependence
    vectorbt's fixed slippage can only approximate.
    """
    _check_engine(spec, costs)
    if costs.liquidity != "none":
        raise ConfigError(
            f"sweep(engine='vectorbt') needs a fee-only cost model (liquidity='none'), got "
            f"liquidity={costs.liquidity!r}: vectorbt's slippage cannot follow a pool curve. "
            "Use engine='numba' for impact-aware sweeps.", setting="costs.liquidity")


def _sma_signals(vbt: Any, close: pd.Series, combos: list[dict[str, Any]]
                 ) -> tuple[Any, Any]:
    fast = vbt.MA.run(close, window=[int(c.get("fast", 10)) for c in combos], short_name="fast")
    slow = vbt.MA.run(close, window=[int(c.get("slow", 30)) for c in combos], short_name="slow")
    return fast.ma_crossed_above(slow), fast.ma_crossed_below(slow)


def _rsi_apply(close: np.ndarray, period: int, oversold: float, overbought: float
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from vectorbt.generic.nb import crossed_above_nb

    rsi = np.column_stack([rsi_series_nb(np.ascontiguousarray(close[:, j]), int(period))
                           for j in range(close.shape[1])])
    lo = np.full_like(rsi, oversold)
    hi = np.full_like(rsi, overbought)
    # entry: RSI crosses below oversold (the level crosses above it); exit: above overbought
    return rsi, crossed_above_nb(lo, rsi), crossed_above_nb(rsi, hi)


def _bollinger_apply(close: np.ndarray, window: int, k: float
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    from vectorbt.generic.nb import crossed_above_nb

    bands = [_bands(np.ascontiguousarray(close[:, j]), int(window), float(k))
             for j in range(close.shape[1])]
    mid = np.column_stack([m for m, _ in bands])
    up = np.column_stack([u for _, u in bands])
    # entry: the close crosses above the upper band; exit: the middle crosses above the close
    return mid, up, crossed_above_nb(close, up), crossed_above_nb(mid, close)


@functools.cache
def _indicators() -> dict[str, Any]:
    """vectorbt indicator classes around the strategies' own numeric functions."""
    vbt = vectorbt()
    rsi = vbt.IndicatorFactory(
        class_name="WorkbenchRSI", short_name="wb_rsi", input_names=["close"],
        param_names=["period", "oversold", "overbought"],
        output_names=["rsi", "entries", "exits"]).from_apply_func(_rsi_apply)
    bollinger = vbt.IndicatorFactory(
        class_name="WorkbenchBollinger", short_name="wb_bb", input_names=["close"],
        param_names=["window", "k"],
        output_names=["middle", "upper", "entries", "exits"]).from_apply_func(_bollinger_apply)
    return {"rsi": rsi, "bollinger": bollinger}


def _signals(vbt: Any, spec: StrategySpec[Any], close: pd.Series, params: list[Any],
             combos: list[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray]:
    """(entries, exits) as ``(bars, combos)`` arrays by vectorbt parameter broadcasting."""
    if spec.name == "sma_cross":
        ent, ext = _sma_signals(vbt, close, combos)
    elif spec.name in ("rsi", "bollinger"):
        fields = list(spec.params_cls.__dataclass_fields__)
        values = {f: [getattr(p, f) for p in params] for f in fields}
        ind = _indicators()[spec.name].run(close, **values, param_product=False)
        ent, ext = ind.entries, ind.exits
    else:
        raise ConfigError(f"sweep(engine='vectorbt') knows sma_cross, rsi and bollinger, not "
                          f"{spec.name!r}; use engine='numba'.", setting="engine")
    shape = (len(close), len(combos))
    return (np.asarray(ent, dtype=np.bool_).reshape(shape),
            np.asarray(ext, dtype=np.bool_).reshape(shape))


def sweep_vectorbt(spec: StrategySpec[Any], bars: pd.DataFrame, combos: list[dict[str, Any]],
                   *, costs: CostModel, init_cash: float) -> pd.DataFrame:
    """One row per combination, the columns of ``workbench.backtest.sweep`` (NaN if invalid).

    Sharpe and drawdown are computed as the numba sweep does (per-bar returns from
    ``init_cash``, population standard deviation, peak including ``init_cash``), not with
    vectorbt's own conventions, so the two tables agree.
    """
    from workbench.backtest.engine import bars_per_year
    from workbench.backtest.sweep import SWEEP_COLUMNS

    check_vectorbt_sweep(spec, costs)
    valid, params = [], []
    for c in combos:
        try:
            params.append(spec.make_params(c))
            valid.append(True)
        except ConfigError:
            valid.append(False)
    table = pd.DataFrame(np.nan, index=range(len(combos)), columns=SWEEP_COLUMNS)
    good = [c for c, ok in zip(combos, valid, strict=True) if ok]
    if good:
        vbt = vectorbt()
        close = pd.Series(bars["close"].to_numpy(np.float64), index=_naive(bars.index),
                          name="close")
        ent, ext = clean_signals(*_signals(vbt, spec, close, params, good))
        sol = (bars["sol_price"] if "sol_price" in bars.columns else close).to_numpy(np.float64)
        tx = costs.draw_tx(sol).cost
        g = costs.gamma
        pf = vbt.Portfolio.from_signals(
            close, ent, ext, direction="longonly", size=np.inf,
            fees=np.where(ent, 1.0 / g - 1.0, 1.0 - g), fixed_fees=tx[:, None], min_size=0.0,
            init_cash=init_cash, freq=_freq(bars.index))
        value = np.asarray(pf.value(), dtype=np.float64).reshape(ent.shape)
        r = np.empty_like(value)
        r[0] = value[0] / init_cash - 1.0
        np.divide(value[1:], value[:-1], out=r[1:])
        r[1:] -= 1.0
        sd = r.std(axis=0)
        peak = np.maximum(np.maximum.accumulate(value, axis=0), init_cash)
        rec = pf.orders.values
        m = ent.shape[1]
        ann = math.sqrt(bars_per_year(bars.index))
        rows = pd.DataFrame({
            "total_return": value[-1] / init_cash - 1.0,
            "sharpe": np.where(sd > 0, r.mean(axis=0) / np.where(sd > 0, sd, 1.0) * ann, np.nan),
            "max_drawdown": np.max(1.0 - value / peak, axis=0),
            "trade_count": np.asarray(pf.trades.closed.count(), dtype=np.float64).reshape(m),
            "fees_paid": np.bincount(rec["col"], weights=rec["fees"], minlength=m),
            "exposure": (np.asarray(pf.assets()).reshape(ent.shape) != 0).mean(axis=0),
        })
        table.loc[np.flatnonzero(valid)] = rows.to_numpy()
    return pd.concat([pd.DataFrame(combos), table], axis=1)

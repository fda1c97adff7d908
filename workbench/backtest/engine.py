"""``run``: one strategy, one data set, one cost model -> a :class:`BacktestResult`."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench.backtest.costs import CostModel
from workbench.backtest.data import load_ohlcv
from workbench.backtest.kernels import (
    FAILED_TX,
    FILLED,
    STATUS_DESC,
    arb_kernel,
    grid_kernel_into,
    records,
    signals_kernel_into,
    step_range,
)
from workbench.backtest.result import BacktestResult, orders_frame, trades_frame
from workbench.backtest.signals import signal_arrays
from workbench.errors import ConfigError
from workbench.strategies import StrategyKind, StrategySpec, get_strategy
from workbench.strategies.arbitrage import venue_arrays

__all__ = ["ENGINES", "bars_per_year", "resolve", "run"]

ENGINES = ("numba", "vectorbt")


def resolve(strategy: str | StrategySpec[Any], params: Any = None) -> tuple[StrategySpec[Any], Any]:
    """The spec and a params instance from a name/spec and params/mapping/None."""
    spec = get_strategy(strategy) if isinstance(strategy, str) else strategy
    if params is None or isinstance(params, Mapping):
        return spec, spec.make_params(params)
    if not isinstance(params, spec.params_cls):
        raise ConfigError(
            f"params of type {type(params).__name__} do not fit strategy {spec.name!r}; pass a "
            f"{spec.params_cls.__name__} or a mapping.", setting="params")
    return spec, params


def _ns(index: pd.DatetimeIndex) -> np.ndarray:
    """int64 ns since the epoch (``as_unit("ns")`` copies even an ns index; skip it then)."""
    return index.asi8 if index.unit == "ns" else index.as_unit("ns").asi8


def bars_per_year(index: pd.DatetimeIndex) -> float:
    """Bars per year from the median spacing of ``index``."""
    if len(index) < 2:
        return 1.0
    ns = _ns(index)
    # evenly spaced bars (the usual case) need no median: it is the one step there is
    lo, hi = step_range(ns)
    step = (float(lo) if lo == hi else float(np.median(np.diff(ns)))) / 1e9
    return 365.25 * 86400.0 / step


def _equity_frame(block: np.ndarray, close: np.ndarray, index: pd.DatetimeIndex) -> pd.DataFrame:
    """The equity frame on ``block`` (rows price, cash, base, equity; cash and base filled).

    One 2-D block handed to pandas without a copy: building it from four columns would stack
    them into a new block, and each fresh 100k-bar array costs page faults.
    """
    block[0] = close
    np.multiply(block[2], close, out=block[3])
    np.add(block[1], block[3], out=block[3])  # cash + base * close, as before
    return pd.DataFrame(block.T, index=index, columns=["price", "cash", "base", "equity"],
                        copy=False)


def _series(data: pd.DataFrame, value: Any, column: str, default: Any) -> np.ndarray:
    if value is None:
        value = data[column] if column in data.columns else default
    arr = np.asarray(value, dtype=np.float64)
    return np.ascontiguousarray(np.broadcast_to(arr, (len(data),)))


def run(
    strategy: str | StrategySpec[Any],
    data: pd.DataFrame | str | Path,
    *,
    params: Any = None,
    costs: CostModel | None = None,
    init_cash: Decimal | int | str = Decimal(10_000),
    sol_price: float | pd.Series | None = None,
    engine: str = "numba",
) -> BacktestResult:
    """Backtest one strategy on one data set.

    Args:
        strategy: a registry name ("grid", "sma_cross", "rsi", "bollinger", "arbitrage") or a
            ``StrategySpec``.
        data: OHLCV bars (or a path/symbol for :func:`load_ohlcv`); for "arbitrage" a venue
            frame (``<venue>_price``/``<venue>_depth``, see ``make_venue_frame``). An optional
            ``depth_quote`` column gives the pool depth per bar, ``sol_price`` the SOL price.
        params: params instance, mapping of values, or None for the defaults.
        costs: the cost model (defaults: ``CostModel()``).
        init_cash: starting quote cash (Decimal; converted to float inside the kernel).
        sol_price: quote per SOL to convert lamport fees; defaults to the ``sol_price``
            column, else the close (right when the pair is SOL/quote).
        engine: "numba" (the workbench kernels: exact pool curves, rejections, failed
            transactions) or "vectorbt" (signal strategies only: ``vbt.Portfolio.from_signals``
            with the pool fee as its fee and the expected price impact as its slippage; see
            :mod:`workbench.backtest.vectorbt_bridge` for how close the two are).

    Returns:
        A frozen :class:`BacktestResult`.

    Example:
        >>> res = run("sma_cross", "SOL/USDT", params={"fast": 10, "slow": 40})
        >>> res.stats()["sharpe"]  # doctest: +SKIP
    """
    spec, p = resolve(strategy, params)
    costs = costs or CostModel()
    cash0 = float(Decimal(init_cash))
    if cash0 <= 0:
        raise ConfigError(f"init_cash={init_cash} must be > 0.", setting="init_cash")
    if engine not in ENGINES:
        raise ConfigError(f"engine={engine!r} must be one of {ENGINES}.", setting="engine")
    gamma = costs.gamma
    depth_mult, max_buy, max_sell = costs.curve()
    min_q = float(costs.min_trade_quote)
    if engine == "vectorbt":
        from workbench.backtest.vectorbt_bridge import run_vectorbt

        return run_vectorbt(spec, data, p, costs=costs, init_cash=Decimal(init_cash),
                            sol_price=sol_price)
    if spec.kind is StrategyKind.ARBITRAGE:
        return _run_arbitrage(spec, data, p, costs, cash0, sol_price)
    bars = load_ohlcv(data)
    close = np.ascontiguousarray(bars["close"].to_numpy(np.float64))
    depth = _series(bars, None, "depth_quote", float(costs.depth_quote))
    tx = costs.draw_tx(_series(bars, sol_price, "sol_price", bars["close"]))
    block = np.empty((4, len(close)))  # price, cash, base, equity: the equity frame's block
    if spec.kind is StrategyKind.GRID:
        recs = records(len(close) + 1)
        k = grid_kernel_into(close, depth, tx.cost, tx.is_landed, tx.failed, p.lower, p.upper,
                             p.n_levels, p.is_geometric, float(p.size_per_level),
                             p.max_inventory_levels, p.out_of_range_code, cash0, gamma,
                             depth_mult, max_buy, max_sell, min_q, block[1], block[2], recs)
    else:
        entry, exit_ = signal_arrays(spec, bars, p)
        k, *recs = signals_kernel_into(close, entry, exit_, depth, tx.cost, tx.is_landed,
                                       tx.failed, cash0, gamma, depth_mult, max_buy, max_sell,
                                       min_q, block[1], block[2])
    orders = orders_frame(bars.index, tuple(recs), k)
    equity = _equity_frame(block, close, bars.index)
    # trades straight from the kernel records, not read back from the orders frame
    bar, side, size, _, quote, _, _, tx_paid, status = (r[:k] for r in recs[:9])
    ns = _ns(bars.index)
    filled = status == FILLED
    trades = trades_frame(ns[bar[filled]], side[filled] > 0, size[filled], quote[filled],
                          tx_paid[filled], int(ns[-1]), float(close[-1]))
    return BacktestResult(strategy=spec.name, params=p, costs=costs, init_cash=Decimal(init_cash),
                          equity=equity, orders=orders, trades=trades,
                          bars_per_year=bars_per_year(bars.index))


def _run_arbitrage(spec: StrategySpec[Any], data: Any, p: Any, costs: CostModel, cash0: float,
                   sol_price: Any) -> BacktestResult:
    if not isinstance(data, pd.DataFrame):
        raise ConfigError("arbitrage needs a venue frame (see make_venue_frame), not a path.",
                          setting="data")
    prices, depths = venue_arrays(data, p.venues)
    draws = costs.draw_tx(_series(data, sol_price, "sol_price", prices[:, 0]))
    cash, k, bar, buy, sell, q, base, out, fee, tx, ok = arb_kernel(
        np.ascontiguousarray(prices), np.ascontiguousarray(depths), p.gamma, draws.expected,
        draws.cost, draws.is_landed, cash0, p.max_depth_frac, float(costs.min_trade_quote),
        p.min_profit_quote)
    idx = data.index
    v = np.asarray(p.venues)
    bar, buy, sell, ok = bar[:k], buy[:k], sell[:k], ok[:k]
    q, base, out, fee, tx = q[:k], base[:k], out[:k], fee[:k], tx[:k]
    zero = np.zeros(k)
    failed = np.concatenate([draws.failed[bar], np.zeros(k, np.int64)])
    status = np.where(ok, STATUS_DESC[FILLED], STATUS_DESC[FAILED_TX])
    # one row per leg; both legs of a trade share its bar (one atomic transaction), and a
    # failed transaction fills neither leg: its rows keep the planned size, zero quote and fees
    legs = pd.DataFrame({
        "ts": np.concatenate([idx[bar], idx[bar]]), "bar": np.concatenate([bar, bar]),
        "side": ["buy"] * k + ["sell"] * k, "venue": np.concatenate([v[buy], v[sell]]),
        "size": np.concatenate([base, base]),
        "price": np.concatenate([prices[bar, buy], prices[bar, sell]]),
        "quote": np.concatenate([np.where(ok, q, zero), np.where(ok, out, zero)]),
        "pool_fee": np.concatenate([np.where(ok, q * (1 - p.gamma[buy]), zero),
                                    np.where(ok, fee - q * (1 - p.gamma[buy]), zero)]),
        "impact": np.concatenate([np.where(ok, q * p.gamma[buy] - base * prices[bar, buy], zero),
                                  np.where(ok, base * prices[bar, sell] * p.gamma[sell] - out,
                                           zero)]),
        "tx_cost": np.concatenate([tx, zero]),
        "status": np.concatenate([status, status]),
        "failed_tx": failed,
    }).sort_values(["bar", "side"], kind="stable").reset_index(drop=True)
    bar, buy, sell, q, base, out, tx = (x[ok] for x in (bar, buy, sell, q, base, out, tx))
    trades = pd.DataFrame({"entry_ts": idx[bar], "exit_ts": idx[bar], "size": base,
                           "entry_value": q + tx, "exit_value": out, "pnl": out - q - tx,
                           "return": (out - q - tx) / (q + tx), "is_open": False,
                           "buy_venue": v[buy], "sell_venue": v[sell]})
    equity = pd.DataFrame({"price": prices[:, 0], "cash": cash, "base": 0.0, "equity": cash},
                          index=idx)
    return BacktestResult(strategy=spec.name, params=p, costs=costs, init_cash=Decimal(repr(cash0)),
                          equity=equity, orders=legs, trades=trades,
                          bars_per_year=bars_per_year(idx))

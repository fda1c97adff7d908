"""Backtests of position *targets* (a share of equity), for sized ML signals and baselines.

``workbench.backtest.run`` simulates all-in signals. A model that sizes its entries (Kelly
fraction of equity) needs a target instead: at a bar with a finite target ``w`` the kernel
trades to hold ``w`` of equity in the base token (buying with quote through the pool's curve,
or selling base), paying the same pool fee, price impact and transaction cost as the
backtester (:mod:`workbench.backtest.costs`); NaN means "hold what you have". Failed
transactions are charged at their expectation (the cost model's ``"expected"`` mode) whatever
``failed_tx_mode`` says. The result is a :class:`workbench.backtest.BacktestResult`, so stats,
trades and plots work unchanged.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from numba import njit

from workbench.backtest import BacktestResult, CostModel
from workbench.backtest.costs import cp_buy_with_quote, cp_sell_base
from workbench.backtest.engine import bars_per_year
from workbench.backtest.kernels import (
    FILLED,
    REJECTED_CASH,
    REJECTED_LIQUIDITY,
    REJECTED_MIN_NOTIONAL,
)
from workbench.backtest.result import orders_frame, trades_from_orders
from workbench.errors import ConfigError, SchemaError

__all__ = ["buy_and_hold", "run_targets", "targets_from_signals", "targets_kernel"]


@njit(cache=True)
def targets_kernel(close: np.ndarray, target: np.ndarray, depth: np.ndarray, sol: np.ndarray,
                   init_cash: float, gamma: float, depth_mult: float, max_buy: float,
                   max_sell: float, tx_lamports: float, min_quote: float, band: float
                   ) -> tuple[Any, ...]:
    """Trade to the target share of equity where ``target`` is finite; same tuple as grid_kernel.

    A move smaller than ``band`` (share of equity) is skipped, so a drifting target does not
    pay fees for nothing.
    """
    n = close.shape[0]
    cash_out = np.empty(n)
    base_out = np.empty(n)
    r_bar = np.zeros(n + 1, dtype=np.int64)
    r_side = np.zeros(n + 1, dtype=np.int64)
    r_size = np.zeros(n + 1)
    r_price = np.zeros(n + 1)
    r_quote = np.zeros(n + 1)
    r_fee = np.zeros(n + 1)
    r_imp = np.zeros(n + 1)
    r_tx = np.zeros(n + 1)
    r_status = np.zeros(n + 1, dtype=np.int64)
    cash = init_cash
    base = 0.0
    k = 0
    for i in range(n):
        p = close[i]
        w = target[i]
        if not math.isnan(w):
            tx = tx_lamports / 1e9 * sol[i]
            eq = cash + base * p
            want = w * eq - base * p  # quote value to add (> 0) or remove (< 0)
            if eq > 0.0 and abs(want) > band * eq and k < n + 1:
                status = FILLED
                b = 0.0
                q = 0.0
                fee = 0.0
                imp = 0.0
                if want > 0.0:
                    q = min(want, cash - tx)
                    if q <= 0.0:
                        status = REJECTED_CASH
                    elif q < min_quote:
                        status = REJECTED_MIN_NOTIONAL
                    else:
                        b = cp_buy_with_quote(q, p, depth[i], gamma, depth_mult, max_buy)
                        if math.isnan(b):
                            status = REJECTED_LIQUIDITY
                    if status == FILLED:
                        fee = q * (1.0 - gamma)
                        imp = q - fee - b * p
                        cash -= q + tx
                        base += b
                    else:
                        b = 0.0
                        q = 0.0
                    side = 1
                else:
                    b = base if w <= 0.0 else min(base, -want / p)
                    if b * p < min_quote:
                        status = REJECTED_MIN_NOTIONAL
                    else:
                        q = cp_sell_base(b, p, depth[i], gamma, depth_mult, max_sell)
                        if math.isnan(q):
                            status = REJECTED_LIQUIDITY
                    if status == FILLED:
                        fee = b * (1.0 - gamma) * p
                        imp = b * p - q - fee
                        cash += q - tx
                        base -= b
                    else:
                        q = 0.0
                    side = -1
                r_bar[k] = i
                r_side[k] = side
                r_size[k] = b
                r_price[k] = p
                r_quote[k] = q
                r_fee[k] = fee
                r_imp[k] = imp
                r_tx[k] = tx if status == FILLED else 0.0
                r_status[k] = status
                k += 1
        cash_out[i] = cash
        base_out[i] = base
    return (cash_out, base_out, k, r_bar, r_side, r_size, r_price, r_quote, r_fee, r_imp, r_tx,
            r_status)


def targets_from_signals(entry: np.ndarray, exit_: np.ndarray, fraction: np.ndarray
                         ) -> np.ndarray:
    """Targets from long-only signals: ``fraction`` at an entry while flat, 0 at an exit while
    long, NaN (hold) elsewhere; the same actionable bars as the event shape."""
    n = len(entry)
    out = np.full(n, np.nan)
    is_long = False
    for i in range(n):
        if entry[i] and not is_long and fraction[i] > 0:
            out[i] = fraction[i]
            is_long = True
        elif exit_[i] and is_long:
            out[i] = 0.0
            is_long = False
    return out


def run_targets(bars: pd.DataFrame, target: np.ndarray | pd.Series, *,
                costs: CostModel | None = None, init_cash: Decimal | int | str = Decimal(10_000),
                band: float = 0.0, name: str = "targets", params: Any = None) -> BacktestResult:
    """Backtest a target-weight path over ``bars`` with the backtester's costs.

    Args:
        bars: OHLCV frame (UTC index); ``depth_quote``/``sol_price`` columns used if present.
        target: share of equity in the base token per bar (0..1), NaN to hold.
        costs: cost model (default ``CostModel()``).
        init_cash: starting quote cash.
        band: skip moves smaller than this share of equity.
        name / params: recorded in the result.

    Raises:
        SchemaError: ``target`` has the wrong length.
        ConfigError: a target outside [0, 1] (long-only, no leverage).
    """
    t = np.ascontiguousarray(np.asarray(target, dtype=np.float64))
    if t.shape[0] != len(bars):
        raise SchemaError(f"target has {t.shape[0]} values for {len(bars)} bars.")
    finite = t[np.isfinite(t)]
    if finite.size and (finite.min() < 0 or finite.max() > 1):
        raise ConfigError(f"targets must be in [0, 1] (long-only); got {finite.min()}.."
                          f"{finite.max()}.", setting="target")
    costs = costs or CostModel()
    close = np.ascontiguousarray(bars["close"].to_numpy(np.float64))
    n = close.shape[0]
    depth = (bars["depth_quote"].to_numpy(np.float64) if "depth_quote" in bars.columns
             else np.full(n, float(costs.depth_quote)))
    sol = bars["sol_price"].to_numpy(np.float64) if "sol_price" in bars.columns else close
    mult, mbuy, msell = costs.curve()
    cash0 = float(Decimal(init_cash))
    cash, base, k, *recs = targets_kernel(
        close, t, np.ascontiguousarray(depth), np.ascontiguousarray(sol), cash0, costs.gamma,
        mult, mbuy, msell, costs.expected_tx_lamports, float(costs.min_trade_quote), band)
    orders = orders_frame(bars.index, tuple(recs), k)
    equity = pd.DataFrame({"price": close, "cash": cash, "base": base,
                           "equity": cash + base * close}, index=bars.index)
    trades = trades_from_orders(orders, float(close[-1]), bars.index[-1])
    return BacktestResult(strategy=name, params=params, costs=costs,
                          init_cash=Decimal(init_cash), equity=equity, orders=orders,
                          trades=trades, bars_per_year=bars_per_year(bars.index))


def buy_and_hold(bars: pd.DataFrame, *, costs: CostModel | None = None,
                 init_cash: Decimal | int | str = Decimal(10_000)) -> BacktestResult:
    """All cash into the base token at the first bar, held to the end (costs paid once)."""
    t = np.full(len(bars), np.nan)
    t[0] = 1.0
    return run_targets(bars, t, costs=costs, init_cash=init_cash, name="buy_and_hold")

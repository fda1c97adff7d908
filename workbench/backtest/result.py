"""The frozen result of a backtest: data (equity, orders, trades, costs) plus ``stats()``.

Plots live in ``workbench.viz`` and take a result, as vectorbt splits records, stats and plots.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from workbench.backtest.costs import CostModel
from workbench.backtest.kernels import FAILED_TX, STATUS_DESC, equity_returns, fifo_trades

__all__ = ["BacktestResult", "compute_stats", "orders_frame", "trades_frame",
           "trades_from_orders"]

ORDER_COLUMNS = ["ts", "bar", "side", "size", "price", "quote", "pool_fee", "impact", "tx_cost",
                 "status", "failed_tx"]
FILLED_TEXT = "filled"
FAILED_TEXT = STATUS_DESC[FAILED_TX]
TRADE_COLUMNS = ["entry_ts", "exit_ts", "size", "entry_value", "exit_value", "pnl", "return",
                 "is_open"]


@dataclass(frozen=True, slots=True, kw_only=True)
class BacktestResult:
    """What a backtest produced.

    Attributes:
        strategy: registry name.
        params: the frozen params used.
        costs: the cost model used (every figure shown by :meth:`costs_table`).
        init_cash: starting cash, quote units.
        equity: UTC-indexed frame: ``price``, ``cash``, ``base`` (position, base units),
            ``equity`` (cash + base * price), all float.
        orders: one row per order decided: ``ts``, ``bar``, ``side`` ("buy"/"sell"), ``size``
            (base), ``price`` (pool mid), ``quote`` (paid or received incl. pool fee and
            impact), ``pool_fee``, ``impact``, ``tx_cost`` (quote, every attempt's fees),
            ``status`` (text: "filled", "rejected: ..." with zero quote and costs, or "failed:
            ..." when every attempt failed on chain and only ``tx_cost`` was paid),
            ``failed_tx`` (attempts that failed on chain, int).
        trades: closed (and a final open) round trips: ``entry_ts``, ``exit_ts``, ``size``,
            ``entry_value``/``exit_value`` (quote, costs included), ``pnl``, ``return``,
            ``is_open``.
        bars_per_year: for annualising returns.
        engine: what simulated it: "numba" (the workbench kernels) or "vectorbt".
    """

    strategy: str
    params: Any
    costs: CostModel
    init_cash: Decimal
    equity: pd.DataFrame
    orders: pd.DataFrame
    trades: pd.DataFrame
    bars_per_year: float
    engine: str = "numba"

    def stats(self) -> pd.Series:
        """Headline numbers (see :func:`compute_stats`)."""
        return compute_stats(self.equity["equity"], self.trades, self.orders,
                             init_cash=float(self.init_cash), bars_per_year=self.bars_per_year,
                             exposure=float(np.count_nonzero(self.equity["base"].to_numpy())
                                            / len(self.equity)))

    def costs_table(self) -> pd.Series:
        """The cost model's every figure, for reports."""
        return pd.Series(self.costs.to_dict(), name="costs")

    def to_vectorbt(self) -> Any:
        """This result as a ``vectorbt.Portfolio`` (``Portfolio.from_orders``), for its stats,
        records and plots.

        Every filled order becomes one vectorbt order on its bar with the exact size, the
        executed price (pool mid moved by the price impact) and the pool fee as a fee fraction
        of it; the transaction cost is the order's fixed fee. The portfolio's cash, position
        and value then equal ``equity`` to rounding (tested to 1e-9 on real data). Its index is
        ``equity``'s in UTC without the tz (fast in vectorbt). vectorbt is imported on first
        use (its first import compiles numba code; set ``NUMBA_CACHE_DIR`` to keep it).

        Raises:
            ConfigError: an arbitrage result (two legs on two venues in one bar do not fit a
                one-asset portfolio), or failed transactions that paid fees without a fill
                (vectorbt charges fees only on fills).
        """
        from workbench.backtest.vectorbt_bridge import to_portfolio

        return to_portfolio(self)


# text columns by taking from a two- or five-value array of pandas' default string dtype: no
# per-row Python strings to convert (str in pandas 3, object before)
_STATUS_TEXT = pd.Series([STATUS_DESC[c] for c in range(max(STATUS_DESC) + 1)]).array
_SIDE_TEXT = pd.Series(["sell", "buy"]).array


def _utc(ns: np.ndarray) -> pd.DatetimeIndex:
    """int64 ns since the epoch as a UTC DatetimeIndex (``pd.to_datetime(ns, utc=True)``)."""
    return pd.DatetimeIndex(np.asarray(ns, dtype=np.int64).view("M8[ns]")).tz_localize("UTC")


def orders_frame(index: pd.DatetimeIndex, recs: tuple[Any, ...], k: int) -> pd.DataFrame:
    """Kernel records (bar, side, size, price, quote, pool_fee, impact, tx_cost, status[,
    failed_tx]) as the ``orders`` frame; without ``failed_tx`` records it is 0."""
    bar, side, size, price, quote, fee, imp, tx, status = (np.asarray(r[:k]) for r in recs[:9])
    failed = np.asarray(recs[9][:k]) if len(recs) > 9 else np.zeros(k, np.int64)
    return pd.DataFrame({
        "ts": index[bar], "bar": bar, "side": _SIDE_TEXT.take((side > 0).view(np.int8)),
        "size": size, "price": price, "quote": quote, "pool_fee": fee, "impact": imp,
        "tx_cost": tx, "status": _STATUS_TEXT.take(status), "failed_tx": failed.astype(np.int64),
    }, columns=ORDER_COLUMNS)


def trades_from_orders(orders: pd.DataFrame, last_price: float, last_ts: Any) -> pd.DataFrame:
    """Round trips by FIFO lot matching of filled orders; a remaining lot is an open trade.

    The matching runs in numba (:func:`workbench.backtest.kernels.fifo_trades`) on int64 ns
    timestamps and float arrays; the frame is built once, column-wise.
    """
    filled = (orders["status"] == FILLED_TEXT).to_numpy()
    ts = pd.DatetimeIndex(orders["ts"]).as_unit("ns").asi8[filled]
    return trades_frame(
        ts, (orders["side"] == "buy").to_numpy()[filled],
        orders["size"].to_numpy(np.float64)[filled], orders["quote"].to_numpy(np.float64)[filled],
        orders["tx_cost"].to_numpy(np.float64)[filled], pd.Timestamp(last_ts).as_unit("ns").value,
        last_price)


def trades_frame(ts: np.ndarray, is_buy: np.ndarray, size: np.ndarray, quote: np.ndarray,
                 tx: np.ndarray, last_ns: int, last_price: float) -> pd.DataFrame:
    """The ``trades`` frame of filled orders given as arrays (``ts`` in int64 ns, UTC)."""
    j, t_in, t_out, b, entry_v, exit_v, is_open = fifo_trades(
        np.ascontiguousarray(ts, dtype=np.int64), np.ascontiguousarray(is_buy, dtype=np.bool_),
        np.ascontiguousarray(size, dtype=np.float64),
        np.ascontiguousarray(quote, dtype=np.float64),
        np.ascontiguousarray(tx, dtype=np.float64), int(last_ns), float(last_price))
    entry_v, exit_v = entry_v[:j], exit_v[:j]
    return pd.DataFrame({
        "entry_ts": _utc(t_in[:j]),
        "exit_ts": _utc(t_out[:j]),
        "size": b[:j],
        "entry_value": entry_v,
        "exit_value": exit_v,
        "pnl": exit_v - entry_v,
        "return": exit_v / entry_v - 1.0 if j else entry_v,
        "is_open": is_open[:j],
    }, columns=TRADE_COLUMNS)


def _sum(x: np.ndarray) -> float:
    """``Series.sum()`` of a float array: NaN counts as 0, summed in place (same bits)."""
    nan = np.isnan(x)
    return x.sum() if not nan.any() else np.where(nan, 0.0, x).sum()


def _std(x: np.ndarray, mean: float, *, out: np.ndarray) -> float:
    """``x.std()`` given ``mean = x.mean()``, NumPy's own steps (``_var``: subtract the mean,
    square in place, pairwise sum, divide), with ``out`` as the scratch array instead of a
    fresh one."""
    np.subtract(x, mean, out=out)
    np.multiply(out, out, out=out)
    return math.sqrt(np.add.reduce(out) / x.shape[0])


def compute_stats(
    equity: pd.Series, trades: pd.DataFrame, orders: pd.DataFrame, *, init_cash: float,
    bars_per_year: float, exposure: float,
) -> pd.Series:
    """Total return, CAGR, Sharpe, Sortino, Calmar, max drawdown, win rate, profit factor,
    exposure, trade count and every cost paid.

    Sharpe and Sortino use per-bar simple returns, annualised with ``sqrt(bars_per_year)`` and
    a zero risk-free rate; Sortino's downside deviation is ``sqrt(mean(min(r, 0)**2))``. Win
    rate and profit factor count closed trades only. Transaction costs count every order that
    was sent: filled ones and those whose every attempt failed on chain.

    Computed on NumPy arrays taken from the frames once (no per-column frame filtering).
    """
    eq = equity.to_numpy(dtype=np.float64)
    total = eq[-1] / init_cash - 1.0
    span_s = (equity.index[-1] - equity.index[0]).total_seconds()
    years = span_s / (365.25 * 86400.0)
    cagr = (1.0 + total) ** (1.0 / years) - 1.0 if years > 0 and total > -1 else float("nan")
    r, down2, mdd = equity_returns(eq, float(init_cash))
    down = math.sqrt(float(down2.mean()))
    mean = r.mean()
    sd = _std(r, mean, out=down2)
    ann = math.sqrt(bars_per_year)
    sharpe = mean / sd * ann if sd > 0 else float("nan")
    sortino = mean / down * ann if down > 0 else float("nan")
    if len(trades):
        pnl = trades["pnl"].to_numpy(np.float64)[~trades["is_open"].to_numpy(np.bool_)]
    else:
        pnl = np.empty(0)
    n_closed = len(pnl)
    wins = _sum(pnl[pnl > 0]) if n_closed else 0.0
    losses = -_sum(pnl[pnl < 0]) if n_closed else 0.0
    status = orders["status"].to_numpy()
    filled = status == FILLED_TEXT
    failed = status == FAILED_TEXT
    n_filled, n_failed = int(filled.sum()), int(failed.sum())
    failed_attempts = int(orders["failed_tx"].sum()) if "failed_tx" in orders.columns else 0
    tx = orders["tx_cost"].to_numpy(np.float64)
    fee = orders["pool_fee"].to_numpy(np.float64)
    pool_fees = float(_sum(fee[filled]))
    tx_paid = float(_sum(tx[filled]) + _sum(tx[failed]))
    return pd.Series({
        "start": equity.index[0], "end": equity.index[-1],
        "init_cash": init_cash, "final_equity": eq[-1],
        "total_return": total, "cagr": cagr, "sharpe": sharpe, "sortino": sortino,
        "calmar": cagr / mdd if mdd > 0 else float("nan"), "max_drawdown": mdd,
        "win_rate": float((pnl > 0).mean()) if n_closed else float("nan"),
        "profit_factor": wins / losses if losses > 0 else float("nan"),
        "exposure": exposure, "trade_count": n_closed, "order_count": n_filled,
        "rejected_orders": len(orders) - n_filled - n_failed,
        "failed_orders": n_failed, "failed_tx": failed_attempts,
        "fees_paid": pool_fees + tx_paid,
        "pool_fees": pool_fees,
        "impact_paid": float(_sum(orders["impact"].to_numpy(np.float64)[filled])),
        "tx_costs": tx_paid,
    }, name="stats")

"""The pandas implementations of FIFO trade matching and stats that result.py used before it
moved to numba and NumPy arrays (as of commit 245b994), kept verbatim as the reference the new code
must equal exactly."""

from __future__ import annotations

import math
from collections import deque
from typing import Any

import numpy as np
import pandas as pd

from workbench.backtest.kernels import STATUS_DESC
from workbench.backtest.result import FAILED_TEXT, FILLED_TEXT, ORDER_COLUMNS, TRADE_COLUMNS


def legacy_orders_frame(index: pd.DatetimeIndex, recs: tuple[Any, ...], k: int) -> pd.DataFrame:
    """Kernel records (bar, side, size, price, quote, pool_fee, impact, tx_cost, status[,
    failed_tx]) as the ``orders`` frame; without ``failed_tx`` records it is 0."""
    bar, side, size, price, quote, fee, imp, tx, status = (np.asarray(r[:k]) for r in recs[:9])
    failed = np.asarray(recs[9][:k]) if len(recs) > 9 else np.zeros(k, np.int64)
    return pd.DataFrame({
        "ts": index[bar], "bar": bar, "side": np.where(side > 0, "buy", "sell"), "size": size,
        "price": price, "quote": quote, "pool_fee": fee, "impact": imp, "tx_cost": tx,
        "status": [STATUS_DESC[int(s)] for s in status], "failed_tx": failed.astype(np.int64),
    }, columns=ORDER_COLUMNS)


def legacy_trades_from_orders(orders: pd.DataFrame, last_price: float,
                              last_ts: Any) -> pd.DataFrame:
    """Round trips by FIFO lot matching of filled orders; a remaining lot is an open trade."""
    filled = (orders["status"] == "filled").to_numpy()
    # int64 ns and plain floats, not Timestamp objects or row tuples: building the frame
    # column-wise is most of what a 100k-bar run costs after the kernel
    ts = pd.DatetimeIndex(orders["ts"]).as_unit("ns").asi8[filled].tolist()
    last_ns = pd.Timestamp(last_ts).as_unit("ns").value
    is_buy = (orders["side"] == "buy").to_numpy()[filled].tolist()
    size = orders["size"].to_numpy()[filled].tolist()
    quote = orders["quote"].to_numpy()[filled].tolist()
    tx = orders["tx_cost"].to_numpy()[filled].tolist()
    lots: deque[list[Any]] = deque()  # [ts, base left, cost per base]
    entry_ts: list[int] = []
    exit_ts: list[int] = []
    sizes: list[float] = []
    entries: list[float] = []
    exits: list[float] = []
    is_open: list[bool] = []

    def add(t0: int, t1: int, b: float, entry: float, exit_: float, still_open: bool) -> None:
        entry_ts.append(t0)
        exit_ts.append(t1)
        sizes.append(b)
        entries.append(entry)
        exits.append(exit_)
        is_open.append(still_open)

    for t, buy, b, q, c in zip(ts, is_buy, size, quote, tx, strict=True):
        if buy:
            lots.append([t, b, (q + c) / b])
            continue
        left, per_base_out = b, (q - c) / b
        while left > 1e-12 and lots:
            lot = lots[0]
            take = min(left, lot[1])
            add(lot[0], t, take, take * lot[2], take * per_base_out, False)
            lot[1] -= take
            left -= take
            if lot[1] <= 1e-12:
                lots.popleft()
    for t, b, cost in lots:
        add(t, last_ns, b, b * cost, b * last_price, True)
    entry_v = np.asarray(entries, dtype=np.float64)
    exit_v = np.asarray(exits, dtype=np.float64)
    return pd.DataFrame({
        "entry_ts": pd.to_datetime(np.asarray(entry_ts, dtype=np.int64), utc=True),
        "exit_ts": pd.to_datetime(np.asarray(exit_ts, dtype=np.int64), utc=True),
        "size": np.asarray(sizes, dtype=np.float64),
        "entry_value": entry_v,
        "exit_value": exit_v,
        "pnl": exit_v - entry_v,
        "return": exit_v / entry_v - 1.0 if len(entry_v) else entry_v,
        "is_open": np.asarray(is_open, dtype=bool),
    }, columns=TRADE_COLUMNS)


def legacy_compute_stats(
    equity: pd.Series, trades: pd.DataFrame, orders: pd.DataFrame, *, init_cash: float,
    bars_per_year: float, exposure: float,
) -> pd.Series:
    """Total return, CAGR, Sharpe, Sortino, Calmar, max drawdown, win rate, profit factor,
    exposure, trade count and every cost paid.

    Sharpe and Sortino use per-bar simple returns, annualised with ``sqrt(bars_per_year)`` and
    a zero risk-free rate; Sortino's downside deviation is ``sqrt(mean(min(r, 0)**2))``. Win
    rate and profit factor count closed trades only. Transaction costs count every order that
    was sent: filled ones and those whose every attempt failed on chain.
    """
    eq = equity.to_numpy(dtype=np.float64)
    total = eq[-1] / init_cash - 1.0
    span_s = (equity.index[-1] - equity.index[0]).total_seconds()
    years = span_s / (365.25 * 86400.0)
    cagr = (1.0 + total) ** (1.0 / years) - 1.0 if years > 0 and total > -1 else float("nan")
    r = np.diff(eq, prepend=init_cash) / np.concatenate(([init_cash], eq[:-1]))
    sd = r.std()
    down = math.sqrt(float(np.mean(np.minimum(r, 0.0) ** 2)))
    ann = math.sqrt(bars_per_year)
    sharpe = r.mean() / sd * ann if sd > 0 else float("nan")
    sortino = r.mean() / down * ann if down > 0 else float("nan")
    peak = np.maximum.accumulate(np.concatenate(([init_cash], eq)))[1:]
    mdd = float(np.max(1.0 - eq / peak))
    closed = trades[~trades["is_open"].astype(bool)] if len(trades) else trades
    wins = closed["pnl"][closed["pnl"] > 0].sum() if len(closed) else 0.0
    losses = -closed["pnl"][closed["pnl"] < 0].sum() if len(closed) else 0.0
    filled = orders[orders["status"] == FILLED_TEXT]
    failed = orders[orders["status"] == FAILED_TEXT]
    failed_attempts = int(orders["failed_tx"].sum()) if "failed_tx" in orders.columns else 0
    tx_paid = float(filled["tx_cost"].sum() + failed["tx_cost"].sum())
    return pd.Series({
        "start": equity.index[0], "end": equity.index[-1],
        "init_cash": init_cash, "final_equity": eq[-1],
        "total_return": total, "cagr": cagr, "sharpe": sharpe, "sortino": sortino,
        "calmar": cagr / mdd if mdd > 0 else float("nan"), "max_drawdown": mdd,
        "win_rate": float((closed["pnl"] > 0).mean()) if len(closed) else float("nan"),
        "profit_factor": wins / losses if losses > 0 else float("nan"),
        "exposure": exposure, "trade_count": len(closed), "order_count": len(filled),
        "rejected_orders": len(orders) - len(filled) - len(failed),
        "failed_orders": len(failed), "failed_tx": failed_attempts,
        "fees_paid": float(filled["pool_fee"].sum()) + tx_paid,
        "pool_fees": float(filled["pool_fee"].sum()), "impact_paid": float(filled["impact"].sum()),
        "tx_costs": tx_paid,
    }, name="stats")

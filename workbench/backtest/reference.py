"""Plain-Python reference of the grid backtest, written independently of the kernels.

It shares no code with :mod:`workbench.backtest.kernels` or the strategy step functions: levels
come from a list comprehension, the cell from :func:`bisect.bisect_right`, costs from the
constant-product formulas written out again. Tests compare it with the numba kernel on real
data; the benchmark times it.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field

__all__ = ["ReferenceGrid", "reference_grid"]


@dataclass
class ReferenceGrid:
    """Outcome of :func:`reference_grid`: per-bar cash/base and the order log."""

    cash: list[float] = field(default_factory=list)
    base: list[float] = field(default_factory=list)
    orders: list[tuple[int, int, float, float, float, float, float, int]] = field(
        default_factory=list)  # (bar, side, size, quote, pool_fee, impact, tx_cost, status)


def _levels(lower: float, upper: float, n: int, geometric: bool) -> list[float]:
    if geometric:
        out = [lower * (upper / lower) ** (i / (n - 1)) for i in range(n)]
    else:
        out = [lower + (upper - lower) * i / (n - 1) for i in range(n)]
    out[-1] = upper
    return out


def reference_grid(
    close: list[float], *, depth: list[float], sol_price: list[float], lower: float,
    upper: float, n_levels: int, geometric: bool, size: float, max_lots: int, mode: str,
    init_cash: float, fee_bps: float, depth_mult: float, max_buy_frac: float,
    max_sell_frac: float, tx_lamports: float, min_quote: float,
) -> ReferenceGrid:
    """Run the grid bar by bar in pure Python (see ``GridParams`` for the rules)."""
    g = 1.0 - fee_bps / 10_000.0
    levels = _levels(lower, upper, n_levels, geometric)
    cell = bisect.bisect_right(levels, close[0]) - 1
    lots, cash, base, stopped = 0, init_cash, 0.0, False
    res = ReferenceGrid()
    for i, p in enumerate(close):
        if i > 0 and not stopped:
            outside = p < levels[0] or p > levels[-1]
            new_cell = bisect.bisect_right(levels, p) - 1
            if outside and mode == "close":
                want = -lots
            elif new_cell < cell:
                want = max(min(cell - new_cell, max_lots - lots), 0)
            else:
                want = -min(new_cell - cell, lots)
            cell = new_cell
            if want:
                res.orders.append(_fill(want, size, p, depth[i], sol_price[i], g, depth_mult,
                                        max_buy_frac, max_sell_frac, tx_lamports, min_quote,
                                        cash, i))
                _, side, b, q, _, _, tx, status = res.orders[-1]
                if status == 0:
                    lots += want
                    cash += -(q + tx) if side > 0 else q - tx
                    base += b * side
            if outside and mode == "shift":
                if geometric:
                    h = math.sqrt(upper / lower)
                    lower, upper = p / h, p * h
                else:
                    w = (upper - lower) / 2.0
                    lower, upper = p - w, p + w
                levels = _levels(lower, upper, n_levels, geometric)
                cell = bisect.bisect_right(levels, p) - 1
            elif outside and mode == "close":
                stopped = True
        res.cash.append(cash)
        res.base.append(base)
    return res


def _fill(want: int, size: float, p: float, depth: float, sol: float, g: float,
          depth_mult: float, max_buy_frac: float, max_sell_frac: float, tx_lamports: float,
          min_quote: float, cash: float, i: int) -> tuple[int, int, float, float, float, float,
                                                          float, int]:
    side = 1 if want > 0 else -1
    b = abs(want) * size
    tx = tx_lamports / 1e9 * sol
    if b * p < min_quote:
        return (i, side, b, 0.0, 0.0, 0.0, 0.0, 1)
    y = depth * depth_mult
    x = y / p if y else 0.0
    if side > 0:
        if depth_mult == 0.0:
            q = b * p / g
        elif b >= x * max_buy_frac:
            return (i, side, b, 0.0, 0.0, 0.0, 0.0, 3)
        else:
            q = y * b / ((x - b) * g)
        if q + tx > cash:
            return (i, side, b, 0.0, 0.0, 0.0, 0.0, 2)
        fee = q * (1.0 - g)
        return (i, side, b, q, fee, q - fee - b * p, tx, 0)
    if depth_mult == 0.0:
        q = b * g * p
    elif b * g > x * max_sell_frac:
        return (i, side, b, 0.0, 0.0, 0.0, 0.0, 3)
    else:
        q = y * g * b / (x + g * b)
    fee = b * (1.0 - g) * p
    return (i, side, b, q, fee, b * p - q - fee, tx, 0)

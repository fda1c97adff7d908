"""Numeric step functions shared by both strategy shapes.

Each function is numba-compiled for the vectorised shape and called as plain Python
(``fn.py_func``) by the event shape. They use only ``+ - * /``, comparisons and ``math.sqrt``,
which are correctly rounded in IEEE-754, so both shapes compute the same bits.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = [
    "bollinger_last",
    "cumsum_nb",
    "grid_cell",
    "grid_levels",
    "grid_step",
    "rsi_series_nb",
    "rsi_update",
    "window_mean_std",
]

OUT_PAUSE = 0
OUT_SHIFT = 1
OUT_CLOSE = 2

ACTION_NONE = 0
ACTION_SHIFT = 1
ACTION_CLOSE = 2


@njit(cache=True)
def cumsum_nb(x: np.ndarray) -> np.ndarray:
    """Running sum, one addition per element in order (what the event shape does)."""
    out = np.empty_like(x)
    s = 0.0
    for i in range(x.shape[0]):
        s = s + x[i]
        out[i] = s
    return out


@njit(cache=True)
def rsi_update(
    count: int, prev_close: float, sum_gain: float, sum_loss: float,
    avg_gain: float, avg_loss: float, close: float, period: int,
) -> tuple[int, float, float, float, float, float, float]:
    """Advance Wilder's RSI by one close.

    Returns:
        ``(count, prev_close, sum_gain, sum_loss, avg_gain, avg_loss, rsi)``; ``rsi`` is NaN
        until ``period`` changes have been seen. The first average is the simple mean of the
        first ``period`` gains (losses); later ones are ``(avg * (period - 1) + x) / period``.
    """
    if count == 0:
        return 1, close, 0.0, 0.0, 0.0, 0.0, np.nan
    delta = close - prev_close
    gain = delta if delta > 0.0 else 0.0
    loss = -delta if delta < 0.0 else 0.0
    if count <= period:
        sum_gain = sum_gain + gain
        sum_loss = sum_loss + loss
        if count < period:
            return count + 1, close, sum_gain, sum_loss, 0.0, 0.0, np.nan
        avg_gain = sum_gain / period
        avg_loss = sum_loss / period
    else:
        avg_gain = (avg_gain * (period - 1) + gain) / period
        avg_loss = (avg_loss * (period - 1) + loss) / period
    rsi = 100.0 if avg_loss == 0.0 else 100.0 - 100.0 / (1.0 + avg_gain / avg_loss)
    return count + 1, close, sum_gain, sum_loss, avg_gain, avg_loss, rsi


@njit(cache=True)
def rsi_series_nb(close: np.ndarray, period: int) -> np.ndarray:
    """Wilder's RSI over a whole series via :func:`rsi_update`."""
    out = np.empty_like(close)
    count, prev, sg, sl, ag, al = 0, 0.0, 0.0, 0.0, 0.0, 0.0
    for i in range(close.shape[0]):
        count, prev, sg, sl, ag, al, r = rsi_update(count, prev, sg, sl, ag, al, close[i], period)
        out[i] = r
    return out


@njit(cache=True)
def window_mean_std(x: np.ndarray, start: int, stop: int) -> tuple[float, float]:
    """Mean and population standard deviation of ``x[start:stop]`` (two-pass, in order)."""
    n = stop - start
    s = 0.0
    for i in range(start, stop):
        s = s + x[i]
    mean = s / n
    v = 0.0
    for i in range(start, stop):
        d = x[i] - mean
        v = v + d * d
    return mean, math.sqrt(v / n)


@njit(cache=True)
def bollinger_last(x: np.ndarray, window: int, k: float) -> tuple[float, float]:
    """(middle, upper) band over the last ``window`` values of ``x``."""
    mean, sd = window_mean_std(x, x.shape[0] - window, x.shape[0])
    return mean, mean + k * sd


@njit(cache=True)
def grid_levels(lower: float, upper: float, n_levels: int, geometric: bool) -> np.ndarray:
    """``n_levels`` ascending prices from ``lower`` to ``upper`` inclusive.

    Arithmetic: equal steps. Geometric: equal ratios, ``lower * (upper/lower) ** (i/(n-1))``.
    """
    out = np.empty(n_levels)
    last = n_levels - 1
    for i in range(n_levels):
        if geometric:
            out[i] = lower * (upper / lower) ** (i / last)
        else:
            out[i] = lower + (upper - lower) * i / last
    out[last] = upper
    return out


@njit(cache=True)
def grid_cell(levels: np.ndarray, price: float) -> int:
    """Index of the highest level <= price (-1 below the lowest level)."""
    lo = 0
    hi = levels.shape[0]
    while lo < hi:
        mid = (lo + hi) // 2
        if levels[mid] <= price:
            lo = mid + 1
        else:
            hi = mid
    return lo - 1


@njit(cache=True)
def grid_step(
    price: float, levels: np.ndarray, cell: int, inventory_lots: int, max_lots: int,
    out_of_range: int,
) -> tuple[int, int, int]:
    """One bar of the grid's decision.

    A fall through ``m`` levels buys ``m`` lots (capped so inventory stays <= ``max_lots``); a
    rise through ``m`` levels sells ``m`` lots (capped at the inventory). Outside
    ``[levels[0], levels[-1]]``: ``OUT_PAUSE`` trades only the levels crossed, then waits;
    ``OUT_SHIFT`` does the same and asks the caller to re-centre the grid on the price;
    ``OUT_CLOSE`` sells the whole inventory and asks the caller to stop.

    Returns:
        ``(new_cell, delta_lots, action)``: ``delta_lots`` > 0 buys, < 0 sells; ``action`` is
        ``ACTION_NONE``, ``ACTION_SHIFT`` or ``ACTION_CLOSE``.
    """
    n = levels.shape[0]
    outside = price < levels[0] or price > levels[n - 1]
    if outside and out_of_range == OUT_CLOSE:
        return grid_cell(levels, price), -inventory_lots, ACTION_CLOSE
    new_cell = grid_cell(levels, price)
    crossed = cell - new_cell
    delta = 0
    if crossed > 0:
        room = max_lots - inventory_lots
        delta = crossed if crossed < room else room
        delta = max(delta, 0)
    elif crossed < 0:
        delta = -(-crossed if -crossed < inventory_lots else inventory_lots)
    action = ACTION_SHIFT if outside and out_of_range == OUT_SHIFT else ACTION_NONE
    return new_cell, delta, action


@njit(cache=True)
def grid_shift(price: float, lower: float, upper: float, geometric: bool) -> tuple[float, float]:
    """A range of the same width (ratio, if geometric) centred on ``price``."""
    if geometric:
        half = math.sqrt(upper / lower)
        return price / half, price * half
    half_width = (upper - lower) / 2.0
    return price - half_width, price + half_width


@njit(cache=True)
def cp_two_pool_optimum(
    x_a: float, y_a: float, gamma_a: float, x_b: float, y_b: float, gamma_b: float,
) -> tuple[float, float]:
    """Best quote input for buying base on pool A and selling it on pool B (constant product).

    Buying with ``q`` quote on A yields ``x_a*g_a*q/(y_a+g_a*q)`` base; selling that on B yields
    ``a*q/(b + c*q)`` quote with ``a = g_a*g_b*x_a*y_b``, ``b = y_a*x_b``,
    ``c = g_a*(x_b + g_b*x_a)``. The profit ``a*q/(b+c*q) - q`` is concave; its maximum is at
    ``q* = (sqrt(a*b) - b) / c``, positive only when ``a > b`` (the fee-adjusted prices cross).

    Returns:
        ``(q_star, quote_out)``; ``(0.0, 0.0)`` when no size is profitable before fixed costs.
    """
    a = gamma_a * gamma_b * x_a * y_b
    b = y_a * x_b
    c = gamma_a * (x_b + gamma_b * x_a)
    if a <= b:
        return 0.0, 0.0
    q = (math.sqrt(a * b) - b) / c
    return q, a * q / (b + c * q)


@njit(cache=True)
def cp_round_trip_out(
    q: float, x_a: float, y_a: float, gamma_a: float, x_b: float, y_b: float, gamma_b: float,
) -> tuple[float, float]:
    """(base bought on A, quote received on B) for ``q`` quote in, leg by leg."""
    base = x_a * gamma_a * q / (y_a + gamma_a * q)
    return base, y_b * gamma_b * base / (x_b + gamma_b * base)


@njit(cache=True)
def arb_best(
    prices: np.ndarray, depths: np.ndarray, gamma: np.ndarray, fixed_cost: float,
    cash: float, max_depth_frac: float, min_quote: float,
) -> tuple[int, int, float, float, float]:
    """The most profitable atomic buy-here-sell-there trade across venues on one bar.

    Pool ``v`` is constant-product with quote reserve ``depths[v]`` and base reserve
    ``depths[v] / prices[v]``. The input is capped by ``cash`` and by ``max_depth_frac`` of the
    thinner pool's quote depth (profit is concave, so the capped optimum is the cap).

    Returns:
        ``(buy_venue, sell_venue, quote_in, base, quote_out)``; venues are -1 when no trade
        clears ``fixed_cost`` (network + priority fee + tip, in quote) and ``min_quote``.
    """
    best_net = 0.0
    best = (-1, -1, 0.0, 0.0, 0.0)
    nv = prices.shape[0]
    for i in range(nv):
        for j in range(nv):
            if i == j:
                continue
            x_a = depths[i] / prices[i]
            x_b = depths[j] / prices[j]
            q, _ = cp_two_pool_optimum(x_a, depths[i], gamma[i], x_b, depths[j], gamma[j])
            if q <= 0.0:
                continue
            cap = max_depth_frac * min(depths[i], depths[j])
            q = min(q, cap, cash - fixed_cost)
            if q < min_quote or q <= 0.0:
                continue
            base, out = cp_round_trip_out(q, x_a, depths[i], gamma[i], x_b, depths[j], gamma[j])
            net = out - q - fixed_cost
            if net > best_net:
                best_net = net
                best = (i, j, q, base, out)
    return best

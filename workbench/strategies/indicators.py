"""Indicator baselines: SMA crossover, RSI mean reversion, Bollinger breakout.

Long-only reference strategies. ``compute_signals`` returns raw ``entry``/``exit`` booleans
(an entry while already long is simply ignored by the backtester, as vectorbt does); the event
shape emits an order only when it is actionable, tracking its position from ``on_fill``.
All signals use the bar's close and are filled at that close.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
import pandas as pd

from workbench.domain import Bar, Fill, Side
from workbench.strategies._numeric import (
    bollinger_last,
    cumsum_nb,
    rsi_series_nb,
    rsi_update,
    window_mean_std,
)
from workbench.strategies.base import Decision, EventStrategy, check_bars, require

__all__ = [
    "BollingerParams",
    "BollingerStrategy",
    "RsiParams",
    "RsiStrategy",
    "SmaCrossParams",
    "SmaCrossStrategy",
    "compute_bollinger_signals",
    "compute_rsi_signals",
    "compute_sma_cross_signals",
    "sma_from_cumsum",
]


# --- SMA crossover -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class SmaCrossParams:
    """Moving-average crossover.

    Attributes:
        fast: bars in the fast simple moving average (>= 1).
        slow: bars in the slow simple moving average (> fast).
    """

    fast: int = 10
    slow: int = 30

    def __post_init__(self) -> None:
        require(self.fast >= 1, f"sma_cross: fast={self.fast} must be >= 1.", setting="fast")
        require(
            self.slow > self.fast,
            f"sma_cross: slow={self.slow} must be greater than fast={self.fast}.",
            setting="slow",
        )


def sma_from_cumsum(cs: np.ndarray, window: int) -> np.ndarray:
    """SMA as ``(cs[i] - cs[i - window]) / window`` (NaN before ``window`` bars).

    The running sum ``cs`` makes a 100-window sweep one subtraction per bar and window; the
    event shape keeps the same running sum, so both compute identical values.
    """
    out = np.full(cs.shape[0], np.nan)
    if cs.shape[0] >= window:
        out[window - 1] = cs[window - 1] / window
        out[window:] = (cs[window:] - cs[:-window]) / window
    return out


def _crosses(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(a crosses above b, a crosses below b) at each bar; False where either is NaN."""
    up = np.zeros(a.shape[0], dtype=np.bool_)
    down = np.zeros(a.shape[0], dtype=np.bool_)
    with np.errstate(invalid="ignore"):
        up[1:] = (a[1:] > b[1:]) & (a[:-1] <= b[:-1])
        down[1:] = (a[1:] < b[1:]) & (a[:-1] >= b[:-1])
    return up, down


def compute_sma_cross_signals(bars: pd.DataFrame, params: SmaCrossParams) -> pd.DataFrame:
    """Return a copy of ``bars`` with float ``fast``, ``slow`` and bool ``entry``, ``exit``.

    ``entry``: the fast SMA closes above the slow one after being at or below it.
    ``exit``: the reverse.
    """
    check_bars(bars)
    cs = cumsum_nb(bars["close"].to_numpy(dtype=np.float64))
    fast = sma_from_cumsum(cs, params.fast)
    slow = sma_from_cumsum(cs, params.slow)
    entry, exit_ = _crosses(fast, slow)
    out = bars.copy()
    out["fast"], out["slow"], out["entry"], out["exit"] = fast, slow, entry, exit_
    return out


class _LongOnly(EventStrategy):
    """Shared position tracking for the long-only baselines."""

    def on_start(self) -> None:
        self.is_long = False
        self._pending: Side | None = None

    def _act(self, bar: Bar, entry: bool, exit_: bool) -> list[Decision]:
        if entry and not self.is_long:
            return [Decision(ts_event=bar.ts_event, side=Side.BUY, amount=None, reason="entry")]
        if exit_ and self.is_long:
            return [Decision(ts_event=bar.ts_event, side=Side.SELL, amount=None, reason="exit")]
        return []

    def on_fill(self, fill: Fill) -> None:
        self.is_long = fill.side is Side.BUY


class SmaCrossStrategy(_LongOnly):
    """Event shape of :func:`compute_sma_cross_signals`."""

    name = "sma_cross"

    def on_start(self) -> None:
        super().on_start()
        p = self.params
        self._cs = 0.0
        self._sums: deque[float] = deque([0.0], maxlen=p.slow + 1)  # cs before each bar
        self._prev: tuple[float, float] | None = None

    def on_bar(self, bar: Bar) -> list[Decision]:
        p = self.params
        self._cs = self._cs + float(bar.close)
        self._sums.append(self._cs)
        cur = None
        if len(self._sums) >= p.slow + 1:  # slow bars seen (plus the leading 0.0)
            fast = (self._cs - self._sums[-1 - p.fast]) / p.fast
            slow = (self._cs - self._sums[-1 - p.slow]) / p.slow
            cur = (fast, slow)
        prev, self._prev = self._prev, cur
        if cur is None or prev is None:
            return []
        return self._act(bar, cur[0] > cur[1] and prev[0] <= prev[1],
                         cur[0] < cur[1] and prev[0] >= prev[1])


# --- RSI mean reversion --------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class RsiParams:
    """RSI mean reversion: buy when oversold, sell when overbought.

    Attributes:
        period: Wilder RSI period in bars (>= 2).
        oversold: enter when RSI crosses below this (0 < oversold < overbought).
        overbought: exit when RSI crosses above this (< 100).
    """

    period: int = 14
    oversold: float = 30.0
    overbought: float = 70.0

    def __post_init__(self) -> None:
        require(self.period >= 2, f"rsi: period={self.period} must be >= 2.", setting="period")
        require(
            0.0 < self.oversold < self.overbought < 100.0,
            f"rsi: need 0 < oversold={self.oversold} < overbought={self.overbought} < 100.",
            setting="oversold",
        )


def compute_rsi_signals(bars: pd.DataFrame, params: RsiParams) -> pd.DataFrame:
    """Return a copy of ``bars`` with float ``rsi`` and bool ``entry``, ``exit``.

    ``entry``: RSI crosses below ``oversold``; ``exit``: RSI crosses above ``overbought``.
    """
    check_bars(bars)
    rsi = rsi_series_nb(bars["close"].to_numpy(dtype=np.float64), params.period)
    lo = np.full_like(rsi, params.oversold)
    hi = np.full_like(rsi, params.overbought)
    _, entry = _crosses(rsi, lo)
    exit_, _ = _crosses(rsi, hi)
    out = bars.copy()
    out["rsi"], out["entry"], out["exit"] = rsi, entry, exit_
    return out


class RsiStrategy(_LongOnly):
    """Event shape of :func:`compute_rsi_signals`."""

    name = "rsi"

    def on_start(self) -> None:
        super().on_start()
        self._state = (0, 0.0, 0.0, 0.0, 0.0, 0.0)
        self._prev_rsi = float("nan")

    def on_bar(self, bar: Bar) -> list[Decision]:
        p = self.params
        *state, rsi = rsi_update.py_func(*self._state, float(bar.close), p.period)
        self._state = tuple(state)
        prev, self._prev_rsi = self._prev_rsi, rsi
        if rsi != rsi or prev != prev:  # NaN during warm-up
            return []
        return self._act(bar, rsi < p.oversold and prev >= p.oversold,
                         rsi > p.overbought and prev <= p.overbought)


# --- Bollinger breakout --------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class BollingerParams:
    """Bollinger breakout: buy a close above the upper band, sell a close below the middle.

    Attributes:
        window: bars in the band (>= 2).
        k: band width in population standard deviations (> 0).
    """

    window: int = 20
    k: float = 2.0

    def __post_init__(self) -> None:
        require(self.window >= 2, f"bollinger: window={self.window} must be >= 2.",
                setting="window")
        require(self.k > 0, f"bollinger: k={self.k} must be > 0.", setting="k")


def _bands(close: np.ndarray, window: int, k: float) -> tuple[np.ndarray, np.ndarray]:
    mid = np.full(close.shape[0], np.nan)
    up = np.full(close.shape[0], np.nan)
    _bands_nb(close, window, k, mid, up)
    return mid, up


def _bands_loop(close: np.ndarray, window: int, k: float, mid: np.ndarray, up: np.ndarray) -> None:
    for i in range(window - 1, close.shape[0]):
        m, sd = window_mean_std(close, i + 1 - window, i + 1)
        mid[i] = m
        up[i] = m + k * sd


from numba import njit  # noqa: E402  (kept beside its one use)

_bands_nb = njit(cache=True)(_bands_loop)


def compute_bollinger_signals(bars: pd.DataFrame, params: BollingerParams) -> pd.DataFrame:
    """Return a copy of ``bars`` with float ``middle``, ``upper`` and bool ``entry``, ``exit``.

    ``entry``: the close crosses above the upper band; ``exit``: it crosses below the middle.
    """
    check_bars(bars)
    close = bars["close"].to_numpy(dtype=np.float64)
    mid, up = _bands(close, params.window, params.k)
    entry, _ = _crosses(close, up)
    _, exit_ = _crosses(close, mid)
    out = bars.copy()
    out["middle"], out["upper"], out["entry"], out["exit"] = mid, up, entry, exit_
    return out


class BollingerStrategy(_LongOnly):
    """Event shape of :func:`compute_bollinger_signals`."""

    name = "bollinger"

    def on_start(self) -> None:
        super().on_start()
        self._closes: deque[float] = deque(maxlen=self.params.window)
        self._prev: tuple[float, float, float] | None = None

    def on_bar(self, bar: Bar) -> list[Decision]:
        p = self.params
        close = float(bar.close)
        self._closes.append(close)
        cur = None
        if len(self._closes) == p.window:
            mid, up = bollinger_last.py_func(np.array(self._closes), p.window, p.k)
            cur = (close, mid, up)
        prev, self._prev = self._prev, cur
        if cur is None or prev is None:
            return []
        return self._act(bar, cur[0] > cur[2] and prev[0] <= prev[2],
                         cur[0] < cur[1] and prev[0] >= prev[1])

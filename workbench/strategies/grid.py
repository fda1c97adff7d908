"""Grid strategy: buy a lot each time price falls through a level, sell one when it rises.

On a DEX there are no resting limit orders, so the grid is a set of price levels and a market
swap whenever a closed bar has crossed levels since the last bar. The decision per bar is
:func:`workbench.strategies._numeric.grid_step`; both shapes and the backtest kernel call it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd

from workbench.domain import Bar, Fill, Side
from workbench.strategies._numeric import (
    ACTION_CLOSE,
    ACTION_SHIFT,
    OUT_CLOSE,
    OUT_PAUSE,
    OUT_SHIFT,
    grid_cell,
    grid_levels,
    grid_shift,
    grid_step,
)
from workbench.strategies.base import Decision, EventStrategy, check_bars, require

__all__ = ["OUT_OF_RANGE_MODES", "GridParams", "GridStrategy", "compute_grid_signals"]

OUT_OF_RANGE_MODES = {"pause": OUT_PAUSE, "shift": OUT_SHIFT, "close": OUT_CLOSE}


@dataclass(frozen=True, slots=True, kw_only=True)
class GridParams:
    """A spot grid over ``[lower, upper]``.

    Attributes:
        lower: lowest level, quote per base (> 0).
        upper: highest level (> lower).
        n_levels: number of levels including both ends (>= 2).
        spacing: "arithmetic" (equal steps) or "geometric" (equal ratios).
        size_per_level: base tokens swapped per level crossed (> 0).
        max_inventory_levels: the most lots held at once (>= 1).
        out_of_range: "pause" (wait for price to return), "shift" (re-centre the grid on the
            price, keeping the inventory) or "close" (sell everything and stop).
    """

    lower: float = 90.0
    upper: float = 110.0
    n_levels: int = 11
    spacing: str = "arithmetic"
    size_per_level: Decimal = Decimal("1")
    max_inventory_levels: int = 5
    out_of_range: str = "pause"

    def __post_init__(self) -> None:
        require(self.lower > 0, f"grid: lower={self.lower} must be > 0.", setting="lower")
        require(self.upper > self.lower,
                f"grid: upper={self.upper} must be greater than lower={self.lower}.",
                setting="upper")
        require(self.n_levels >= 2, f"grid: n_levels={self.n_levels} must be >= 2.",
                setting="n_levels")
        require(self.spacing in ("arithmetic", "geometric"),
                f"grid: spacing={self.spacing!r} must be 'arithmetic' or 'geometric'.",
                setting="spacing")
        require(isinstance(self.size_per_level, Decimal) and self.size_per_level > 0,
                f"grid: size_per_level={self.size_per_level!r} must be a Decimal > 0.",
                setting="size_per_level")
        require(self.max_inventory_levels >= 1,
                f"grid: max_inventory_levels={self.max_inventory_levels} must be >= 1.",
                setting="max_inventory_levels")
        require(self.out_of_range in OUT_OF_RANGE_MODES,
                f"grid: out_of_range={self.out_of_range!r} must be one of "
                f"{sorted(OUT_OF_RANGE_MODES)}.", setting="out_of_range")

    @property
    def is_geometric(self) -> bool:
        """True for equal-ratio levels."""
        return self.spacing == "geometric"

    @property
    def out_of_range_code(self) -> int:
        """The kernel's integer code for ``out_of_range``."""
        return OUT_OF_RANGE_MODES[self.out_of_range]

    def levels(self) -> np.ndarray:
        """The initial level prices, ascending."""
        return grid_levels(self.lower, self.upper, self.n_levels, self.is_geometric)


def compute_grid_signals(bars: pd.DataFrame, params: GridParams) -> pd.DataFrame:
    """Return a copy of ``bars`` with the grid's decisions assuming every order fills.

    Columns added: int ``cell`` (level index at or below the close, -1 below the grid), int
    ``lots`` (signed lots to swap: > 0 buy, < 0 sell), int ``inventory`` (lots held after the
    bar), float ``lower``/``upper`` (the range in force), bool ``stopped``.
    The backtester adds cash, costs and rejections on top (``workbench.backtest``).
    """
    check_bars(bars)
    close = bars["close"].to_numpy(dtype=np.float64)
    n = close.shape[0]
    cells = np.zeros(n, dtype=np.int64)
    lots = np.zeros(n, dtype=np.int64)
    inv_out = np.zeros(n, dtype=np.int64)
    lowers = np.zeros(n)
    uppers = np.zeros(n)
    stopped = np.zeros(n, dtype=np.bool_)
    _grid_signals_nb(close, params.lower, params.upper, params.n_levels, params.is_geometric,
                     params.max_inventory_levels, params.out_of_range_code,
                     cells, lots, inv_out, lowers, uppers, stopped)
    out = bars.copy()
    out["cell"], out["lots"], out["inventory"] = cells, lots, inv_out
    out["lower"], out["upper"], out["stopped"] = lowers, uppers, stopped
    return out


def _grid_signals_loop(close, lower, upper, n_levels, geometric, max_lots, mode,
                       cells, lots, inv_out, lowers, uppers, stopped) -> None:
    levels = grid_levels(lower, upper, n_levels, geometric)
    cell = grid_cell(levels, close[0])
    inv = 0
    done = False
    for i in range(close.shape[0]):
        if not done and i > 0:
            cell, delta, action = grid_step(close[i], levels, cell, inv, max_lots, mode)
            inv += delta
            lots[i] = delta
            if action == ACTION_SHIFT:
                lower, upper = grid_shift(close[i], lower, upper, geometric)
                levels = grid_levels(lower, upper, n_levels, geometric)
                cell = grid_cell(levels, close[i])
            elif action == ACTION_CLOSE:
                done = True
        cells[i] = cell
        inv_out[i] = inv
        lowers[i] = lower
        uppers[i] = upper
        stopped[i] = done


from numba import njit  # noqa: E402

_grid_signals_nb = njit(cache=True)(_grid_signals_loop)


class GridStrategy(EventStrategy[GridParams]):
    """Event shape of the grid: the same :func:`grid_step`, inventory taken from fills.

    The first bar only anchors the grid (no trade), as in the vectorised shape.
    """

    name = "grid"

    def on_start(self) -> None:
        p = self.params
        self.lower, self.upper = p.lower, p.upper
        self.levels = p.levels()
        self.cell: int | None = None
        self.inventory_lots = 0
        self.is_stopped = False

    def on_bar(self, bar: Bar) -> list[Decision]:
        p = self.params
        price = float(bar.close)
        if self.cell is None:
            self.cell = int(grid_cell.py_func(self.levels, price))
            return []
        if self.is_stopped:
            return []
        cell, delta, action = grid_step.py_func(
            price, self.levels, self.cell, self.inventory_lots, p.max_inventory_levels,
            p.out_of_range_code,
        )
        self.cell = int(cell)
        if action == ACTION_SHIFT:
            self.lower, self.upper = grid_shift.py_func(price, self.lower, self.upper,
                                                        p.is_geometric)
            self.levels = grid_levels.py_func(self.lower, self.upper, p.n_levels,
                                              p.is_geometric)
            self.cell = int(grid_cell.py_func(self.levels, price))
        elif action == ACTION_CLOSE:
            self.is_stopped = True
        if delta == 0:
            return []
        side = Side.BUY if delta > 0 else Side.SELL
        reason = "out_of_range" if action == ACTION_CLOSE else "grid"
        return [Decision(ts_event=bar.ts_event, side=side,
                         amount=abs(int(delta)) * p.size_per_level, reason=reason)]

    def on_fill(self, fill: Fill) -> None:
        # nearest whole lot: a live fill may differ from the ordered size by base-unit rounding
        lots = int((fill.base_amount / self.params.size_per_level).to_integral_value())
        self.inventory_lots += lots if fill.side is Side.BUY else -lots

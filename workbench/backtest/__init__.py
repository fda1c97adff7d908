"""Backtests: numba kernels under a small API returning frozen results.

``run(strategy, data, params=..., costs=...)`` is the entry point; sweeps, walk-forward and
the lookahead check build on it. vectorbt is one call away: ``result.to_vectorbt()`` gives a
``vbt.Portfolio`` of any grid or signal backtest, and ``run``/``sweep`` take
``engine="vectorbt"`` for signal strategies (see ``workbench.backtest.vectorbt_bridge``).
"""

from workbench.backtest.costs import CostModel
from workbench.backtest.data import load_ohlcv, make_venue_frame
from workbench.backtest.engine import run
from workbench.backtest.result import BacktestResult, compute_stats
from workbench.backtest.sweep import expand_grid, optimize, sweep
from workbench.backtest.validation import (
    LookaheadReport,
    WalkForwardResult,
    check_lookahead,
    walk_forward,
)

__all__ = [
    "BacktestResult",
    "CostModel",
    "LookaheadReport",
    "WalkForwardResult",
    "check_lookahead",
    "compute_stats",
    "expand_grid",
    "load_ohlcv",
    "make_venue_frame",
    "optimize",
    "run",
    "sweep",
    "walk_forward",
]

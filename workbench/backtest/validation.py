"""Walk-forward optimisation and the lookahead check.

Walk-forward: the bars are cut into consecutive windows; in each, the parameters are chosen on
the in-sample (IS) part by a sweep and then run, untouched, on the following out-of-sample
(OOS) part. Only the OOS results are the headline: the OOS equity curves are chained (each
window starts with the previous window's final equity) and the stats are computed on that
chain. IS numbers are kept per window for inspection, never summed into the headline.

Lookahead: a signal at bar ``t`` must not change when the bars after ``t`` are removed. The
check recomputes the signals on truncated copies of the data and reports the first bar whose
signal differs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from workbench.backtest.costs import CostModel
from workbench.backtest.data import load_ohlcv
from workbench.backtest.engine import bars_per_year, resolve, run
from workbench.backtest.result import compute_stats
from workbench.backtest.sweep import best_params, sweep
from workbench.errors import ConfigError
from workbench.strategies import StrategySpec

__all__ = ["LookaheadReport", "WalkForwardResult", "check_lookahead", "walk_forward"]


@dataclass(frozen=True, slots=True, kw_only=True)
class WalkForwardResult:
    """Walk-forward outcome.

    Attributes:
        windows: one row per window: ``is_start``, ``is_end``, ``oos_start``, ``oos_end``, the
            chosen parameters, ``is_<metric>`` and ``oos_<metric>``.
        oos_equity: chained out-of-sample equity (UTC index).
        headline: stats of ``oos_equity`` only (the number to quote).
    """

    windows: pd.DataFrame
    oos_equity: pd.Series
    headline: pd.Series


def walk_forward(
    strategy: str | StrategySpec[Any],
    data: pd.DataFrame | str,
    grid: Mapping[str, Sequence[Any]],
    *,
    n_windows: int = 4,
    is_fraction: float = 0.7,
    metric: str = "sharpe",
    costs: CostModel | None = None,
    init_cash: Decimal | int | str = Decimal(10_000),
    cluster: Any = None,
) -> WalkForwardResult:
    """Rolling IS/OOS optimisation; the headline is OOS only.

    Args:
        strategy / data / grid / costs / init_cash / cluster: as for :func:`sweep`.
        n_windows: consecutive, non-overlapping windows (>= 1).
        is_fraction: share of each window used in-sample (0 < x < 1).
        metric: sweep column to maximise (minimise for drawdown and fees).

    Raises:
        ConfigError: bad window settings or too few bars per window.
    """
    if n_windows < 1 or not 0 < is_fraction < 1:
        raise ConfigError(f"n_windows={n_windows} must be >= 1 and is_fraction={is_fraction} "
                          "in (0, 1).", setting="n_windows")
    spec, _ = resolve(strategy)
    bars = load_ohlcv(data)
    costs = costs or CostModel()
    size = len(bars) // n_windows
    if size < 50:
        raise ConfigError(f"{len(bars)} bars give {size} per window with n_windows={n_windows};"
                          " need at least 50. Use fewer windows or more data.",
                          setting="n_windows")
    rows, pieces = [], []
    equity = float(Decimal(init_cash))
    for w in range(n_windows):
        win = bars.iloc[w * size:(w + 1) * size]
        cut = int(len(win) * is_fraction)
        ins, oos = win.iloc[:cut], win.iloc[cut:]
        table = sweep(spec, ins, grid, costs=costs, init_cash=init_cash, cluster=cluster)
        chosen = {k: type(grid[k][0])(v)  # back to the grid's own types (int stays int)
                  for k, v in best_params(table, list(grid), metric).items()}
        res = run(spec, oos, params=chosen, costs=costs, init_cash=Decimal(repr(equity)))
        oos_stats = res.stats()
        is_score = table[metric].astype(float)
        rows.append({"is_start": ins.index[0], "is_end": ins.index[-1],
                     "oos_start": oos.index[0], "oos_end": oos.index[-1], **chosen,
                     f"is_{metric}": float(is_score.min() if metric in ("max_drawdown",
                                                                        "fees_paid")
                                           else is_score.max()),
                     f"oos_{metric}": float(oos_stats.get(metric, np.nan)),
                     "oos_return": float(oos_stats["total_return"])})
        pieces.append(res)
        equity = float(res.equity["equity"].iloc[-1])
    oos_eq = pd.concat([r.equity["equity"] for r in pieces])
    orders = pd.concat([r.orders for r in pieces], ignore_index=True)
    trades = pd.concat([r.trades for r in pieces], ignore_index=True)
    exposure = float(pd.concat([r.equity["base"] for r in pieces]).ne(0).mean())
    headline = compute_stats(oos_eq, trades, orders, init_cash=float(Decimal(init_cash)),
                             bars_per_year=bars_per_year(bars.index), exposure=exposure)
    return WalkForwardResult(windows=pd.DataFrame(rows), oos_equity=oos_eq, headline=headline)


@dataclass(frozen=True, slots=True, kw_only=True)
class LookaheadReport:
    """Outcome of :func:`check_lookahead`.

    Attributes:
        is_leaky: True when some signal changed after removing later bars.
        first_bar: timestamp of the first differing signal, or None.
        columns: the signal columns that differed.
        cuts_checked: number of truncation points tried.
    """

    is_leaky: bool
    first_bar: pd.Timestamp | None
    columns: tuple[str, ...]
    cuts_checked: int


def check_lookahead(
    strategy: str | StrategySpec[Any],
    data: pd.DataFrame | str,
    *,
    params: Any = None,
    n_cuts: int = 8,
    columns: Sequence[str] | None = None,
) -> LookaheadReport:
    """Flag a strategy whose signals at bar ``t`` depend on bars after ``t``.

    The signals are computed on the full data and on ``n_cuts`` prefixes ending at evenly
    spaced bars; on each prefix every signal column must equal the full run's up to the cut
    (NaN equal to NaN).

    Args:
        strategy: registry name or a ``StrategySpec`` (e.g. a user strategy under test).
        data: bars.
        params: params for the strategy.
        n_cuts: truncation points to try.
        columns: the columns to compare; default: every column ``compute_signals`` adds.
    """
    spec, p = resolve(strategy, params)
    bars = load_ohlcv(data)
    full = spec.compute_signals(bars, p)
    cols = list(columns) if columns is not None else [c for c in full.columns
                                                      if c not in bars.columns]
    first: int | None = None
    bad: set[str] = set()
    n = len(bars)
    cuts = np.unique(np.linspace(n // 4, n - 1, n_cuts).astype(int))
    for cut in cuts:
        part = spec.compute_signals(bars.iloc[:cut], p)
        for c in cols:
            a = full[c].to_numpy()[:cut]
            b = part[c].to_numpy()
            same = (a == b) | (pd.isna(a) & pd.isna(b))
            if not same.all():
                i = int(np.argmin(same))
                bad.add(c)
                first = i if first is None else min(first, i)
    return LookaheadReport(is_leaky=bool(bad),
                           first_bar=bars.index[first] if first is not None else None,
                           columns=tuple(sorted(bad)), cuts_checked=len(cuts))

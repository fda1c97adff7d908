"""hvplot (HoloViews) figures of backtest results, for notebooks and Panel.

The same views as :mod:`workbench.viz.figures` (which builds plain bokeh models for the
standalone report), as HoloViews objects: they compose with ``+`` and ``*``, link axes, and
render in Jupyter and ``pn.panel`` with the bokeh backend. ``hvplot.pandas`` is imported on
first use, as it loads HoloViews and registers the ``.hvplot`` accessor.

Example:
    >>> from workbench.viz.hvplots import equity_hvplot, drawdown_hvplot
    >>> (equity_hvplot(res) + drawdown_hvplot(res)).cols(1)  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["drawdown_hvplot", "equity_hvplot", "heatmap_hvplot"]

_OPTS: dict[str, Any] = {"height": 280, "responsive": True}


def _hvplot() -> None:
    import hvplot.pandas  # noqa: F401  (registers DataFrame.hvplot)


def _naive(index: pd.Index) -> pd.DatetimeIndex:
    """UTC times without a tz (bokeh's datetime axis is UTC and warns on tz-aware input)."""
    idx = pd.DatetimeIndex(index)
    return idx.tz_convert(None) if idx.tz is not None else idx


def equity_frame(result: Any) -> pd.DataFrame:
    """Equity and buy-and-hold of a result, quote units, on a tz-naive UTC index ``ts``."""
    eq = result.equity
    hold = eq["price"] / eq["price"].iloc[0] * float(result.init_cash)
    return pd.DataFrame({"equity": eq["equity"].to_numpy(), "hold": hold.to_numpy()},
                        index=_naive(eq.index).rename("ts"))


def drawdown_series(result: Any) -> pd.Series:
    """Drawdown from the running peak (starting cash included), a negative fraction."""
    eq = result.equity["equity"].to_numpy(np.float64)
    peak = np.maximum.accumulate(np.maximum(eq, float(result.init_cash)))
    return pd.Series(eq / peak - 1.0, index=_naive(result.equity.index).rename("ts"),
                     name="drawdown")


def equity_hvplot(result: Any) -> Any:
    """Equity curve with buy-and-hold: an ``hv.Overlay`` of two ``hv.Curve``."""
    _hvplot()
    frame = equity_frame(result)
    strategy = frame["equity"].hvplot.line(label="strategy", ylabel="quote", **_OPTS)
    hold = frame["hold"].hvplot.line(label="buy and hold", color="gray", alpha=0.6, **_OPTS)
    return (strategy * hold).opts(title=f"{result.strategy}: equity", legend_position="top_left")


def drawdown_hvplot(result: Any) -> Any:
    """Drawdown from the running peak: an ``hv.Area`` below zero."""
    _hvplot()
    return drawdown_series(result).hvplot.area(color="firebrick", alpha=0.5,
                                               title="drawdown", **_OPTS)


def heatmap_hvplot(table: pd.DataFrame, x: str, y: str, value: str = "sharpe") -> Any:
    """A sweep table as an ``hv.HeatMap`` of ``value`` over parameters ``x`` and ``y``.

    Rows repeating an ``(x, y)`` pair (a third swept parameter) are averaged, as in
    :func:`workbench.viz.figures.heatmap_figure`.
    """
    _hvplot()
    cells = table.groupby([x, y], as_index=False)[value].mean()
    return cells.hvplot.heatmap(x=x, y=y, C=value, cmap="viridis", colorbar=True,
                                title=f"{value} by {x} x {y}", height=360, responsive=True)

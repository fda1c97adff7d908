"""Bokeh figures of backtest results: a result (or sweep table) in, a figure out.

Figures work in notebooks (``bokeh.io.show``), in Panel (``pn.pane.Bokeh``) and in the
standalone report (:mod:`workbench.viz.report`). Nothing here computes results.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from bokeh.models import BasicTicker, ColorBar, ColumnDataSource, HoverTool, LinearColorMapper
from bokeh.palettes import Viridis256
from bokeh.plotting import figure

__all__ = ["drawdown_figure", "equity_figure", "heatmap_figure", "trades_figure"]

_SIZE: dict[str, Any] = {"height": 280, "sizing_mode": "stretch_width"}


def _naive(ts: Any) -> Any:
    """UTC timestamps without a tz: bokeh's datetime axis is UTC and warns on tz-aware input."""
    idx = pd.DatetimeIndex(ts)
    return idx.tz_convert(None) if idx.tz is not None else idx


def equity_figure(result: Any) -> Any:
    """Equity curve (quote units) of a ``BacktestResult``, with buy-and-hold for reference."""
    eq = result.equity
    fig = figure(title=f"{result.strategy}: equity", x_axis_type="datetime", **_SIZE)
    src = ColumnDataSource({"ts": _naive(eq.index), "equity": eq["equity"],
                            "hold": eq["price"] / eq["price"].iloc[0] * float(result.init_cash)})
    fig.line("ts", "equity", source=src, legend_label="strategy", line_width=2)
    fig.line("ts", "hold", source=src, legend_label="buy and hold", color="gray", alpha=0.6)
    fig.add_tools(HoverTool(tooltips=[("time", "@ts{%F %R}"), ("equity", "@equity{0,0.00}")],
                            formatters={"@ts": "datetime"}))
    fig.legend.location = "top_left"
    return fig


def drawdown_figure(result: Any) -> Any:
    """Drawdown from the running peak, as a negative fraction."""
    eq = result.equity["equity"]
    dd = eq / np.maximum.accumulate(np.maximum(eq.to_numpy(), float(result.init_cash))) - 1.0
    fig = figure(title="drawdown", x_axis_type="datetime", **_SIZE)
    fig.varea(x=_naive(eq.index), y1=dd.to_numpy(), y2=0.0, color="firebrick", alpha=0.5)
    return fig


def trades_figure(result: Any) -> Any:
    """Price with filled buys (green, up) and sells (red, down) on it."""
    eq = result.equity
    fig = figure(title="trades on price", x_axis_type="datetime", **_SIZE)
    fig.line(_naive(eq.index), eq["price"], color="black", line_width=1)
    o = result.orders[result.orders["status"] == "filled"]
    for side, color, marker in (("buy", "green", "triangle"), ("sell", "red",
                                                                "inverted_triangle")):
        s = o[o["side"] == side]
        src = ColumnDataSource({"ts": _naive(s["ts"]), "price": s["price"], "size": s["size"],
                                "quote": s["quote"]})
        fig.scatter("ts", "price", source=src, color=color, marker=marker, size=8,
                    legend_label=side)
    fig.add_tools(HoverTool(tooltips=[("price", "@price"), ("size", "@size"),
                                      ("quote", "@quote{0,0.00}")]))
    return fig


def heatmap_figure(table: pd.DataFrame, x: str, y: str, value: str = "sharpe") -> Any:
    """A sweep table as a heatmap of ``value`` over parameters ``x`` and ``y``."""
    pivot = table.pivot_table(index=y, columns=x, values=value, aggfunc="mean")
    xs = [str(v) for v in pivot.columns]
    ys = [str(v) for v in pivot.index]
    long = pivot.stack()
    src = ColumnDataSource({x: [str(i[1]) for i in long.index],
                            y: [str(i[0]) for i in long.index], value: long.to_numpy()})
    finite = long.to_numpy()[np.isfinite(long.to_numpy())]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    mapper = LinearColorMapper(palette=Viridis256, low=lo, high=hi if hi > lo else lo + 1)
    fig = figure(title=f"{value} by {x} x {y}", x_range=xs, y_range=ys, height=360,
                 sizing_mode="stretch_width", tools="hover,save",
                 tooltips=[(x, f"@{x}"), (y, f"@{y}"), (value, f"@{value}{{0.000}}")])
    fig.rect(x, y, 1, 1, source=src, fill_color={"field": value, "transform": mapper},
             line_color=None)
    fig.add_layout(ColorBar(color_mapper=mapper, ticker=BasicTicker()), "right")
    fig.xaxis.axis_label, fig.yaxis.axis_label = x, y
    return fig

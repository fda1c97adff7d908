"""A standalone HTML report of a backtest: stats, costs, and the figures, with BokehJS inlined
so the file opens offline.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import pandas as pd
from bokeh.embed import file_html
from bokeh.layouts import column
from bokeh.models import Div
from bokeh.resources import INLINE

from workbench.viz.figures import drawdown_figure, equity_figure, heatmap_figure, trades_figure

__all__ = ["report_layout", "write_report"]


def _table(series: pd.Series, title: str) -> str:
    rows = "".join(
        f"<tr><th style='text-align:left;padding-right:1em'>{html.escape(str(k))}</th>"
        f"<td>{html.escape(_fmt(v))}</td></tr>" for k, v in series.items())
    return f"<h3>{html.escape(title)}</h3><table>{rows}</table>"


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:,.6g}"
    return str(v)


def report_layout(result: Any, *, sweep: pd.DataFrame | None = None,
                  heatmap_axes: tuple[str, str] | None = None, title: str | None = None) -> Any:
    """The report's bokeh layout (for Panel or notebooks)."""
    head = title or f"Backtest: {result.strategy}"
    params = pd.Series({k: getattr(result.params, k)
                        for k in result.params.__dataclass_fields__}, dtype=object)
    text = (f"<h2>{html.escape(head)}</h2>" + _table(result.stats(), "Stats")
            + _table(params, "Parameters") + _table(result.costs_table(), "Costs used"))
    parts = [Div(text=text, sizing_mode="stretch_width"), equity_figure(result),
             drawdown_figure(result), trades_figure(result)]
    if sweep is not None and heatmap_axes is not None:
        parts.append(heatmap_figure(sweep, *heatmap_axes))
    return column(*parts, sizing_mode="stretch_width")


def write_report(result: Any, path: str | Path, **kwargs: Any) -> Path:
    """Write the report to ``path`` (HTML, BokehJS inlined); return the path.

    Keyword arguments go to :func:`report_layout` (``sweep``, ``heatmap_axes``, ``title``).
    """
    path = Path(path)
    layout = report_layout(result, **kwargs)
    path.write_text(file_html(layout, INLINE, title=kwargs.get("title") or
                              f"Backtest {result.strategy}"), encoding="utf-8")
    return path

"""Plotting helpers: a result or DataFrame in, a bokeh figure (or HTML file) out."""

from workbench.viz.figures import drawdown_figure, equity_figure, heatmap_figure, trades_figure
from workbench.viz.report import report_layout, write_report

__all__ = [
    "drawdown_figure",
    "equity_figure",
    "heatmap_figure",
    "report_layout",
    "trades_figure",
    "write_report",
]

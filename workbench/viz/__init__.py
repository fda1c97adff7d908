"""Plotting helpers: a result or DataFrame in, a figure (or HTML file) out.

``figures`` builds bokeh models (used by the standalone report); ``hvplots`` builds the same
views as HoloViews objects for notebooks and Panel.
"""

from workbench.viz.figures import drawdown_figure, equity_figure, heatmap_figure, trades_figure
from workbench.viz.hvplots import drawdown_hvplot, equity_hvplot, heatmap_hvplot
from workbench.viz.report import report_layout, write_report

__all__ = [
    "drawdown_figure",
    "drawdown_hvplot",
    "equity_figure",
    "equity_hvplot",
    "heatmap_figure",
    "heatmap_hvplot",
    "report_layout",
    "trades_figure",
    "write_report",
]

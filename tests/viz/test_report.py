"""Figures and the standalone HTML report from real backtest results."""

import re

from bokeh.models import Plot

from workbench.backtest import run, sweep
from workbench.viz import equity_figure, heatmap_figure, trades_figure, write_report


def test_figures_carry_the_result(sol_5m):
    """The equity line holds the equity column; trade markers count the filled orders."""
    res = run("grid", sol_5m, params={"lower": "94", "upper": "104", "n_levels": "9"})
    fig = equity_figure(res)
    assert isinstance(fig, Plot)
    src = fig.renderers[0].data_source
    assert list(src.data["equity"]) == res.equity["equity"].tolist()
    tf = trades_figure(res)
    n_markers = sum(len(r.data_source.data["price"]) for r in tf.renderers[1:])
    assert n_markers == (res.orders["status"] == "filled").sum() > 0


def test_heatmap_has_one_cell_per_combination(sol_5m):
    table = sweep("sma_cross", sol_5m, {"fast": [5, 10, 15], "slow": [30, 60]})
    fig = heatmap_figure(table, "fast", "slow")
    assert len(fig.renderers[0].data_source.data["sharpe"]) == 6


def test_standalone_report_is_offline_html(sol_5m, tmp_path):
    """The report inlines BokehJS (no CDN) and shows stats, params and every cost figure."""
    res = run("sma_cross", sol_5m, params={"fast": 5, "slow": 30})
    table = sweep("sma_cross", sol_5m, {"fast": [5, 10], "slow": [30, 60]})
    path = write_report(res, tmp_path / "r.html", sweep=table, heatmap_axes=("fast", "slow"))
    text = path.read_text()
    assert "cdn.bokeh.org" not in text
    assert "Bokeh" in text and len(text) > 100_000
    for key in ("total_return", "sharpe", "max_drawdown", "pool_fee_bps",
                "priority_fee_lamports", "failed_tx_rate", "jito_tip_lamports"):
        assert key in text, key
    # the stats table is HTML-escaped inside the document JSON
    assert re.search(r"trade_count&lt;/th&gt;&lt;td&gt;\d+", text)

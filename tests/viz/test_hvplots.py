"""hvplot figures: HoloViews objects carrying the result's numbers, renderable with bokeh."""

import holoviews as hv
import numpy as np
import pandas as pd

from workbench.backtest import run, sweep
from workbench.viz import drawdown_hvplot, equity_hvplot, heatmap_hvplot


def test_equity_overlay_holds_equity_and_buy_and_hold(sol_5m):
    """Two curves: the equity column and buy-and-hold scaled to the starting cash."""
    res = run("grid", sol_5m, params={"lower": "94", "upper": "104", "n_levels": "9"},
              init_cash=5_000)
    fig = equity_hvplot(res)
    assert isinstance(fig, hv.Overlay)
    strategy, hold = fig.get(0), fig.get(1)
    assert isinstance(strategy, hv.Curve) and isinstance(hold, hv.Curve)
    np.testing.assert_array_equal(strategy.dimension_values("equity"),
                                  res.equity["equity"].to_numpy())
    close = sol_5m["close"].to_numpy()
    np.testing.assert_allclose(hold.dimension_values("hold"), close / close[0] * 5_000)
    # UTC times without the tz, one per bar
    xs = pd.DatetimeIndex(strategy.dimension_values(0))
    assert xs.tz is None and (xs == sol_5m.index.tz_convert(None)).all()
    assert hv.render(fig, backend="bokeh") is not None


def test_drawdown_area_is_peak_relative(sol_5m):
    """The area is equity / running peak (starting cash included) - 1, never above zero."""
    res = run("sma_cross", sol_5m, params={"fast": 5, "slow": 30})
    fig = drawdown_hvplot(res)
    assert isinstance(fig, hv.Area)
    dd = fig.dimension_values("drawdown")
    eq = res.equity["equity"].to_numpy()
    expected = eq / np.maximum.accumulate(np.maximum(eq, 10_000.0)) - 1.0
    np.testing.assert_allclose(dd, expected, rtol=1e-15)
    assert dd.max() <= 0.0 and dd.min() == -res.stats()["max_drawdown"]


def test_heatmap_has_one_cell_per_pair(sol_5m):
    """One cell per (fast, slow), holding the sweep's sharpe; a third parameter is averaged."""
    table = sweep("sma_cross", sol_5m, {"fast": [5, 10, 15], "slow": [30, 60]})
    fig = heatmap_hvplot(table, "fast", "slow")
    assert isinstance(fig, hv.HeatMap)
    cells = fig.data.set_index(["fast", "slow"])["sharpe"]
    assert len(cells) == 6
    for row in table.itertuples():
        assert cells[(row.fast, row.slow)] == row.sharpe
    rsi = sweep("rsi", sol_5m, {"period": [7, 14], "oversold": [25.0, 35.0],
                                "overbought": [65.0, 75.0]})
    avg = heatmap_hvplot(rsi, "period", "oversold", "total_return")
    assert len(avg.data) == 4
    want = rsi.groupby(["period", "oversold"])["total_return"].mean()
    got = avg.data.set_index(["period", "oversold"])["total_return"]
    pd.testing.assert_series_equal(got.sort_index(), want.sort_index(), check_names=False)
    assert hv.render(avg, backend="bokeh") is not None

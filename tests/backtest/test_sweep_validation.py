"""Sweeps, search, walk-forward and the lookahead check on real data."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from workbench.backtest import check_lookahead, optimize, run, sweep, walk_forward
from workbench.strategies import STRATEGIES, SmaCrossParams


def test_sweep_rows_equal_individual_runs(sol_5m):
    """Each sweep row reports what run() reports for those parameters; fast >= slow is NaN."""
    table = sweep("sma_cross", sol_5m, {"fast": [5, 20], "slow": [20, 60]})
    assert table[["fast", "slow"]].values.tolist() == [[5, 20], [5, 60], [20, 20], [20, 60]]
    assert table.loc[2, ["total_return", "sharpe"]].isna().all()
    for i in (0, 1, 3):
        st = run("sma_cross", sol_5m, params={"fast": int(table.fast[i]),
                                                "slow": int(table.slow[i])}).stats()
        assert table.total_return[i] == pytest.approx(st["total_return"], rel=1e-12)
        assert table.max_drawdown[i] == pytest.approx(st["max_drawdown"], rel=1e-12)
        assert table.trade_count[i] == st["trade_count"]
        assert table.sharpe[i] == pytest.approx(st["sharpe"], rel=1e-6)


def test_generic_signal_sweep_matches_run(sol_5m):
    """The generic path (compute_signals per combination) also agrees with run()."""
    table = sweep("bollinger", sol_5m, {"window": [10, 30], "k": [1.5, 2.5]}, chunk_size=3)
    st = run("bollinger", sol_5m, params={"window": 30, "k": 2.5}).stats()
    assert table.total_return[3] == pytest.approx(st["total_return"], rel=1e-12)


def test_random_and_bayes_search_rank_trials(sol_5m):
    """Both samplers return n_trials rows sorted best first, reproducible with a seed."""
    space = {"fast": (3, 15), "slow": (20, 80)}
    a = optimize("sma_cross", sol_5m, space, n_trials=8, method="random", seed=1)
    b = optimize("sma_cross", sol_5m, space, n_trials=8, method="random", seed=1)
    pd.testing.assert_frame_equal(a, b)
    assert len(a) == 8 and a["sharpe"].is_monotonic_decreasing
    t = optimize("sma_cross", sol_5m, space, n_trials=8, method="bayes", seed=1)
    assert set(t.columns) >= {"fast", "slow", "sharpe"}


def test_walk_forward_headline_is_out_of_sample_only(sol_5m):
    """The headline is the chained OOS equity; its return compounds the window OOS returns."""
    wf = walk_forward("sma_cross", sol_5m, {"fast": [5, 10], "slow": [30, 60]}, n_windows=3,
                      is_fraction=0.6)
    assert len(wf.windows) == 3
    assert (wf.windows["oos_start"] > wf.windows["is_end"]).all()
    growth = np.prod(1 + wf.windows["oos_return"].to_numpy()) - 1
    assert wf.headline["total_return"] == pytest.approx(growth, rel=1e-9)
    oos_bars = sum(len(sol_5m.loc[r.oos_start:r.oos_end]) for r in wf.windows.itertuples())
    assert len(wf.oos_equity) == oos_bars < len(sol_5m)
    assert wf.windows["fast"].map(type).eq(int).all()


def test_lookahead_flags_a_leaky_strategy(sol_5m):
    """A strategy peeking at the next close is flagged; the shipped ones are not."""
    spec = STRATEGIES["sma_cross"]

    def leaky(bars, params):
        out = bars.copy()
        nxt = bars["close"].shift(-1)
        out["entry"] = (nxt > bars["close"]).to_numpy()
        out["exit"] = (nxt < bars["close"]).to_numpy()
        return out

    report = check_lookahead(replace(spec, compute_signals=leaky), sol_5m,
                             params=SmaCrossParams())
    assert report.is_leaky
    assert set(report.columns) <= {"entry", "exit"} and report.columns
    for name in ("sma_cross", "rsi", "bollinger", "grid"):
        assert not check_lookahead(name, sol_5m).is_leaky, name


@pytest.mark.integration
def test_dask_sweep_equals_local(sol_5m):
    """A sweep on a real two-process distributed.LocalCluster returns exactly the local table."""
    distributed = pytest.importorskip("distributed")
    grid = {"fast": [3, 5, 8, 12], "slow": [20, 40, 80]}
    local = sweep("sma_cross", sol_5m, grid, chunk_size=4)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            remote = sweep("sma_cross", sol_5m, grid, chunk_size=4, cluster=client)
        by_address = sweep("grid", sol_5m, {"n_levels": [5, 9], "lower": [94.0],
                                            "upper": [104.0]}, chunk_size=1,
                           cluster=cluster.scheduler_address)
    pd.testing.assert_frame_equal(local, remote)
    pd.testing.assert_frame_equal(
        by_address, sweep("grid", sol_5m, {"n_levels": [5, 9], "lower": [94.0],
                                           "upper": [104.0]}))

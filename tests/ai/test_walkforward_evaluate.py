"""Walk-forward ML training (purged, OOS headline, baselines) and the held-out ML comparison."""

import numpy as np
import pytest

from workbench.ai import compare_ml_holdout, reoptimise_rolling, walk_forward_ml
from workbench.errors import ConfigError


@pytest.fixture(scope="module")
def wf(sol, fast):
    return walk_forward_ml(sol.iloc[:5000], fast, n_folds=2, oos_fraction=0.4,
                           indicator_grids={"sma_cross": {"fast": [5, 10], "slow": [30, 50]},
                                            "rsi": {"period": [14]}})


def test_folds_train_only_on_the_past(wf, sol):
    """Each fold's training ends before its test block and its labels stop horizon bars
    earlier (the purge)."""
    f = wf.folds
    assert len(f) == 2
    assert (f["train_end"] < f["test_start"]).all()
    assert f["test_start"].iloc[1] > f["test_end"].iloc[0]
    # the last model trained on rows up to test_start - 1 - horizon at the latest
    last_train = sol.index.get_loc(f["test_start"].iloc[-1]) - 1 - wf.model.params.horizon
    assert wf.model.train_end <= sol.index[last_train].value


def test_headline_is_the_oos_backtest(wf, sol):
    """The headline covers exactly the out-of-sample bars, and baselines the same bars."""
    assert wf.oos.equity.index[0] == sol.index[3000]
    assert wf.oos.equity.index[-1] == sol.index[4999]
    assert wf.headline["total_return"] == wf.baselines.loc["ml", "total_return"]
    assert {"ml", "buy_and_hold", "sma_cross", "rsi"} <= set(wf.baselines.index)
    assert wf.baselines["is_best_indicator"].sum() == 1
    bh = sol["close"].iloc[4999] / sol["close"].iloc[3000] - 1
    got = wf.baselines.loc["buy_and_hold", "total_return"]
    # costs: 25 bps pool fee plus ~1% impact of 10,000 on a 1,000,000 pool, paid once
    assert bh - 0.015 < got < bh - 0.01
    assert wf.signals["proba"].iloc[50:].notna().all()
    assert np.isfinite(wf.folds["auc"]).all()


def test_walk_forward_rejects_too_little_data(sol, fast):
    """Too few bars per fold is a ConfigError naming the numbers."""
    with pytest.raises(ConfigError, match="per test block"):
        walk_forward_ml(sol.iloc[:300], fast, n_folds=20)


def test_rolling_reoptimiser_chains_blocks(sol):
    """The optimiser re-chooses per block from trailing bars only and covers the span."""
    grid = {"fast": [5, 10], "slow": [20, 40]}
    stats, choices = reoptimise_rolling("sma_cross", sol.iloc[:2000], grid, start=1000,
                                        block_bars=250, lookback_bars=500)
    assert len(choices) == 4
    assert stats["start"] == sol.index[1000] and stats["end"] == sol.index[1999]
    # its first choice is what a sweep on the 500 bars before bar 1000 picks
    from workbench.backtest import sweep
    from workbench.backtest.sweep import best_params

    first = best_params(sweep("sma_cross", sol.iloc[500:1000], grid), list(grid), "sharpe")
    assert {k: choices.iloc[0][k] for k in grid} == first


def test_ml_holdout_comparison(sol, fast):
    """The ML model trained on dev is compared with buy and hold, fixed and re-optimised
    indicators on the held-out bars."""
    table = compare_ml_holdout(sol.iloc[:4000], fast, holdout_fraction=0.25,
                               indicator_grid={"fast": [5, 10], "slow": [30]},
                               block_bars=500, lookback_bars=1000)
    assert list(table.index[:2]) == ["ml", "buy_and_hold"]
    assert len(table) == 4
    bh = sol["close"].iloc[3999] / sol["close"].iloc[3000] - 1
    assert bh - 0.015 < table.loc["buy_and_hold", "total_return"] < bh - 0.01

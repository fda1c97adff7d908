"""Labels net of the backtester's costs; models, thresholds, Kelly sizing; LightGBM optional."""

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from workbench.ai import FeatureSpec, ModelParams, compute_features, compute_labels, fit_model
from workbench.ai.labels import training_mask
from workbench.ai.models import (
    is_lightgbm_available,
    kelly_fractions,
    make_classifier,
    signals_from_proba,
)
from workbench.ai.simulate import run_targets
from workbench.backtest import CostModel
from workbench.errors import ConfigError, SchemaError
from workbench.risk.sizing import kelly_fraction


def test_last_horizon_rows_have_no_label(sol):
    """The last `horizon` rows are NaN and excluded by the training mask."""
    bars = sol.iloc[:500]
    lab = compute_labels(bars, horizon=7)
    assert lab.iloc[-7:].isna().all().all()
    assert lab.iloc[:-7]["label"].notna().all()
    mask = training_mask(compute_features(bars), lab["label"])
    assert not mask[-7:].any()
    assert mask[100:-7].all()


def test_zero_cost_label_is_the_gross_return(sol):
    """Without costs the net return equals the forward return."""
    bars = sol.iloc[:300]
    lab = compute_labels(bars, horizon=5, costs=CostModel.zero())
    np.testing.assert_allclose(lab["net_return"].iloc[:-5], lab["fwd_return"].iloc[:-5],
                               rtol=0, atol=1e-12)
    expected = bars["close"].iloc[5] / bars["close"].iloc[0] - 1.0
    assert lab["fwd_return"].iloc[0] == pytest.approx(expected, rel=1e-12)


def test_net_return_matches_a_backtested_round_trip(sol):
    """A label's net return is what the backtester's costs make of a buy, hold, sell."""
    bars = sol.iloc[:50]
    costs = CostModel()
    lab = compute_labels(bars, horizon=10, costs=costs, trade_quote=1000.0)
    t = np.full(11, np.nan)
    t[0], t[10] = 1.0, 0.0
    res = run_targets(bars.iloc[:11], t, costs=costs,
                      init_cash=Decimal(1000) + Decimal(repr(float(costs.tx_cost_quote(
                          bars["close"].iloc[0])))))
    final = res.equity["equity"].iloc[-1]
    start = 1000.0 + float(costs.tx_cost_quote(bars["close"].iloc[0]))
    assert lab["net_return"].iloc[0] == pytest.approx(final / start - 1.0, rel=1e-9)
    # costs make a flat market a loss: the fee alone is 2 x 25 bps
    assert lab["net_return"].iloc[0] < lab["fwd_return"].iloc[0] - 0.004


def test_label_settings_are_checked(sol):
    """Bad horizon and size name the value."""
    with pytest.raises(ConfigError, match="horizon=0"):
        compute_labels(sol, horizon=0)
    with pytest.raises(ConfigError, match="trade_quote=-1"):
        compute_labels(sol, trade_quote=-1)


def test_model_is_deterministic_and_nan_during_warmup(sol, model, fast):
    """Same data and seed give the same probabilities; warm-up rows give NaN."""
    again = fit_model(compute_features(sol.iloc[:4000]),
                      compute_labels(sol.iloc[:4000], horizon=fast.horizon), fast, FeatureSpec())
    feats = compute_features(sol.iloc[4000:4500])
    p1, p2 = model.predict_proba(feats), again.predict_proba(feats)
    np.testing.assert_array_equal(p1.to_numpy(), p2.to_numpy())
    assert p1.iloc[: FeatureSpec().warmup - 1].isna().all()
    assert p1.iloc[FeatureSpec().warmup:].between(0, 1).all()
    assert model.train_end < int(sol.index[4000].value)
    assert 0 < model.base_rate < 1 and model.win_loss_ratio > 0


def test_model_refuses_missing_features_and_bad_data(sol, model, fast):
    """Missing feature columns and single-class labels are refused with the reason."""
    feats = compute_features(sol.iloc[:300]).drop(columns=["ret_1"])
    with pytest.raises(SchemaError, match=r"lack \['ret_1'\]"):
        model.predict_proba(feats)
    f = compute_features(sol.iloc[:400])
    lab = compute_labels(sol.iloc[:400], horizon=6)
    lab["label"] = lab["label"].where(lab["label"].isna(), 0.0)
    with pytest.raises(SchemaError, match="the model needs both classes"):
        fit_model(f, lab, fast, FeatureSpec())


def test_thresholds_make_signals_with_hysteresis():
    """Entry at p >= entry threshold, exit below the exit threshold, NaN neither."""
    entry, exit_ = signals_from_proba(np.array([0.6, 0.52, 0.4, np.nan]), 0.55, 0.5)
    assert entry.tolist() == [True, False, False, False]
    assert exit_.tolist() == [False, False, True, False]
    with pytest.raises(ConfigError, match=r"exit_threshold=0\.6"):
        ModelParams(entry_threshold=0.55, exit_threshold=0.6)


def test_sizing_uses_the_risk_module():
    """The fraction per bar is workbench.risk.sizing.kelly_fraction of the probability."""
    f = kelly_fractions(np.array([0.7, 0.3, np.nan]), 1.5, multiplier=0.5, cap=0.25)
    assert f[0] == float(kelly_fraction(Decimal("0.7"), Decimal("1.5")))
    assert f[1] == 0.0 and f[2] == 0.0


def test_lightgbm_is_an_optional_path():
    """kind='lightgbm' works when installed and names the install command when not."""
    params = ModelParams(kind="lightgbm", max_iter=5)
    if not is_lightgbm_available():
        print("SKIP lightgbm path: lightgbm is not installed (pip install lightgbm)")
        with pytest.raises(ConfigError, match="pip install lightgbm"):
            make_classifier(params)
        pytest.skip("lightgbm is not installed; checked the refusal message instead")
    est = make_classifier(params)
    x = np.random.default_rng(0).normal(size=(200, 3))
    est.fit(x, (x[:, 0] > 0).astype(int))
    assert est.predict_proba(x).shape == (200, 2)


def test_targets_backtest_equity_is_conserved_without_costs(sol):
    """With zero costs equity is cash + base * close and a round trip at one price is flat."""
    bars = sol.iloc[:20].copy()
    bars["close"] = 100.0
    t = np.full(20, np.nan)
    t[0], t[5], t[10] = 0.5, 1.0, 0.0
    res = run_targets(bars, t, costs=CostModel.zero())
    assert res.equity["equity"].tolist() == pytest.approx([10_000.0] * 20)
    assert res.equity["base"].iloc[3] == pytest.approx(50.0)
    with pytest.raises(ConfigError, match="targets must be in"):
        run_targets(bars, pd.Series([2.0] * 20))

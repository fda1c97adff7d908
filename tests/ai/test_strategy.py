"""The ML strategy: both shapes decide alike bar by bar; backtests run through the usual API."""

from decimal import Decimal

import numpy as np
import pytest

from workbench.ai import ML_STRATEGY, MlParams, compute_ml_signals, run_ml, save_model
from workbench.ai.strategy import MlStrategy
from workbench.backtest import check_lookahead, run
from workbench.domain import Fill, Side
from workbench.errors import ConfigError
from workbench.strategies import iter_bars


def _replay(strategy, bars):
    strategy.on_start()
    out = []
    for i, bar in enumerate(iter_bars(bars)):
        for d in strategy.on_bar(bar):
            out.append((i, d.side, d.amount))
            amount = d.amount if d.amount is not None else strategy.position
            strategy.on_fill(Fill(client_order_id="t", symbol="SOL/USDT", side=d.side,
                                  base_amount=amount, quote_amount=amount * bar.close,
                                  fee_lamports=0, venue="test", signature=None,
                                  ts_event=bar.ts_event))
    return out


def test_event_shape_matches_vectorised_on_real_bars(sol, model):
    """The event strategy acts exactly where the vectorised signals are actionable."""
    bars = sol.iloc[4000:4400]
    probe = compute_ml_signals(bars, MlParams(model=model))["proba"].dropna()
    # thresholds from this slice's own probabilities, so the strategy trades here
    entry_t, exit_t = float(probe.quantile(0.8)), float(probe.quantile(0.5))
    params = MlParams(model=model, entry_threshold=entry_t, exit_threshold=exit_t,
                      use_kelly=False)
    sig = compute_ml_signals(bars, params)
    expected, is_long = [], False
    for i in range(len(bars)):
        if sig["entry"].iloc[i] and not is_long and sig["fraction"].iloc[i] > 0:
            expected.append((i, Side.BUY))
            is_long = True
        elif sig["exit"].iloc[i] and is_long:
            expected.append((i, Side.SELL))
            is_long = False
    strat = MlStrategy(params)
    got = _replay(strat, bars)
    assert len(expected) >= 2, "thresholds chosen so the model trades on this slice"
    assert [(i, s) for i, s, _ in got] == expected
    # entries are sized from the strategy's equity at the fraction, rounded down to base units
    i, _, amount = got[0]
    price = Decimal(repr(float(bars["close"].iloc[i])))
    frac = Decimal(repr(float(sig["fraction"].iloc[i])))
    assert amount == (Decimal(10_000) * frac / price).quantize(Decimal("1e-9"), "ROUND_DOWN")


def test_signals_have_no_lookahead(sol, model):
    """The backtester's lookahead check passes for the ML strategy."""
    report = check_lookahead(ML_STRATEGY, sol.iloc[4000:4600], params=MlParams(model=model),
                             n_cuts=4)
    assert not report.is_leaky, report


def test_backtest_run_accepts_the_spec_and_the_sized_run(sol, model):
    """backtest.run takes ML_STRATEGY (all-in); run_ml commits only the sized fraction."""
    from dataclasses import replace

    bars = sol.iloc[4000:5000]
    probe = compute_ml_signals(bars, MlParams(model=model))["proba"].dropna()
    half = replace(model, params=replace(model.params, max_fraction=0.5))
    params = MlParams(model=half, entry_threshold=float(probe.quantile(0.8)),
                      exit_threshold=float(probe.quantile(0.5)), use_kelly=False)
    allin = run(ML_STRATEGY, bars, params=params)
    sized = run_ml(bars, params)
    assert allin.stats()["order_count"] > 0
    buys = sized.orders[sized.orders["side"] == "buy"]
    assert len(buys) > 0
    eq_before = sized.equity["equity"].shift(1).fillna(10_000.0)
    for o in buys.itertuples():
        assert o.quote <= 0.5 * eq_before.iloc[o.bar] + 1e-9
        assert o.quote > 0.45 * eq_before.iloc[o.bar]


def test_registry_version_with_other_features_is_refused(sol, model, tmp_path):
    """A model loaded from the registry must match the caller's feature list."""
    art = save_model(model, name="m", metrics={"sharpe": 1.0}, data=sol.iloc[:4000],
                     root=tmp_path)
    ok = MlParams(model_dir=str(art.path), features=model.features)
    assert compute_ml_signals(sol.iloc[4000:4200], ok)["proba"].notna().any()
    bad = MlParams(model_dir=str(art.path), features=(*model.features, "depth_log"))
    with pytest.raises(ConfigError, match=r"provide \['depth_log'\] it was not trained on"):
        compute_ml_signals(sol.iloc[4000:4200], bad)
    with pytest.raises(ConfigError, match="trained on different features"):
        MlStrategy(bad).on_start()


def test_model_needing_extra_columns_refuses_plain_bars(with_extras, fast):
    """A model trained with depth/flow columns refuses bars without them."""
    from workbench.ai import train_model

    bars = with_extras
    m = train_model(bars, fast)
    assert "depth_log" in m.features and "depth_quote" in m.input_columns
    plain = bars[["open", "high", "low", "close", "volume"]]
    with pytest.raises(ConfigError, match="add the missing input columns"):
        compute_ml_signals(plain, MlParams(model=m))
    probs = compute_ml_signals(bars, MlParams(model=m))["proba"]
    cols = [c for c in m.input_columns if c not in ("open", "high", "low", "close", "volume")]
    with pytest.raises(ConfigError, match="name them in extra_columns"):
        MlStrategy(MlParams(model=m)).on_start()  # the event shape is told what it gets
    strat = MlStrategy(MlParams(model=m, extra_columns=tuple(cols)))
    strat.on_start()
    for i, bar in enumerate(iter_bars(bars.iloc[:120])):
        strat.on_bar(bar, extras=bars.iloc[i][cols].to_dict())
    assert strat.last_proba == pytest.approx(probs.iloc[119], abs=0)
    assert not np.isnan(strat.last_proba)


def test_default_params_name_the_production_model_and_say_how_to_get_one(tmp_path):
    """MlParams() is valid (the registry's production sol_5m_hgb); resolving it in an empty
    registry says how to train one; no source at all is refused."""
    from workbench.errors import DataUnavailable
    from workbench.store import open_store

    p = MlParams()
    assert (p.model_name, p.model_version) == ("sol_5m_hgb", "production")
    url = f"sqlite:///{tmp_path / 'wb.db'}"
    store = open_store(url)
    store.upgrade()
    store.dispose()
    with pytest.raises(DataUnavailable, match=r"No model 'sol_5m_hgb' in the registry; train "
                       r"one with notebooks/jobs/retrain_model\.ipynb"):
        MlParams(registry_url=url).resolve_ref()
    with pytest.raises(ConfigError, match="MlParams needs a model"):
        MlParams(model_name="")

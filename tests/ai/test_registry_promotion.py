"""Model registry (artifacts + store rows) and promotion with recorded reasons."""

import json

import pytest

from workbench.ai import (
    PromotionPolicy,
    data_fingerprint,
    decide_promotion,
    load_artifact,
    load_model,
    promote,
    resolve_version,
    save_model,
    save_params,
)
from workbench.errors import ConfigError, DataError, DataUnavailable
from workbench.store.ledger import load_models

GOOD = {"sharpe": 1.2, "max_drawdown": 0.05, "trade_count": 12, "total_return": 0.03}


def test_save_load_round_trip_with_store(store, sol, model, tmp_path):
    """A saved version has its meta on disk, a store row, and loads back identically."""
    art = save_model(model, name="sol_hgb", metrics=GOOD, data=sol.iloc[:4000], root=tmp_path,
                     store=store)
    assert art.version == 1 and art.path == tmp_path / "sol_hgb" / "1"
    meta = json.loads((art.path / "meta.json").read_text())
    assert meta["features"] == list(model.features)
    assert meta["fingerprint"] == data_fingerprint(sol.iloc[:4000])
    assert meta["train_start"] == model.train_start and meta["train_end"] == model.train_end
    assert meta["params"]["horizon"] == model.params.horizon
    rows = load_models(store, name="sol_hgb")
    assert rows.iloc[0]["status"] == "candidate" and rows.iloc[0]["path"] == str(art.path)
    back = load_model(art.path, features=model.features)
    feats = __import__("workbench.ai", fromlist=["compute_features"]).compute_features(
        sol.iloc[4000:4300])
    assert back.predict_proba(feats).equals(model.predict_proba(feats))
    art2 = save_model(model, name="sol_hgb", metrics=GOOD, data=sol.iloc[:4000], root=tmp_path,
                      store=store)
    assert art2.version == 2
    assert resolve_version(store, "sol_hgb", "latest").version == 2


def test_fingerprint_changes_with_data(sol):
    """One changed price changes the fingerprint."""
    a = sol.iloc[:100]
    b = a.copy()
    b.iloc[50, 3] += 0.01
    assert data_fingerprint(a) == data_fingerprint(a.copy())
    assert data_fingerprint(a) != data_fingerprint(b)


def test_feature_mismatch_and_corruption_are_refused(sol, model, tmp_path):
    """Loading with another feature list, or a tampered artifact, raises."""
    art = save_model(model, name="m", metrics=GOOD, data="sha256:x", root=tmp_path)
    with pytest.raises(ConfigError, match=r"needs \['ret_1'\] you do not provide"):
        load_model(art.path, features=model.features[1:])
    with pytest.raises(ConfigError, match="same features in another order"):
        load_model(art.path, features=tuple(reversed(model.features)))
    (art.path / "model.joblib").write_bytes(b"not a model")
    with pytest.raises(DataError, match="does not match its recorded sha256"):
        load_model(art.path, features=model.features)
    with pytest.raises(DataUnavailable, match="No model artifact"):
        load_artifact(tmp_path / "m" / "9")


def test_promotion_rules():
    """Risk limits first, then beat production by more than the margin."""
    policy = PromotionPolicy(min_improvement=0.1, min_trades=5)
    assert decide_promotion(GOOD, None, policy).is_promoted
    worse = decide_promotion(GOOD, {"sharpe": 1.15}, policy)
    assert not worse.is_promoted and "does not beat production's 1.15" in worse.reason
    assert decide_promotion(GOOD, {"sharpe": 1.0}, policy).is_promoted
    risky = decide_promotion({**GOOD, "max_drawdown": 0.3}, None, policy)
    assert not risky.is_promoted and "exceeds 20.00%" in risky.reason
    idle = decide_promotion({**GOOD, "trade_count": 0}, None, policy)
    assert not idle.is_promoted and "fewer than 5" in idle.reason
    nan = decide_promotion({**GOOD, "sharpe": None}, None, policy)
    assert not nan.is_promoted


def test_promote_records_status_and_reason(store, model, tmp_path):
    """Promotion writes production/rejected and why to the registry; old production retires."""
    a1 = save_model(model, name="m", metrics=GOOD, data="sha256:a", root=tmp_path, store=store)
    assert promote(store, "m", a1.version).is_promoted
    a2 = save_model(model, name="m", metrics={**GOOD, "sharpe": 0.5}, data="sha256:b",
                    root=tmp_path, store=store)
    d2 = promote(store, "m", a2.version)
    a3 = save_model(model, name="m", metrics={**GOOD, "sharpe": 2.0}, data="sha256:c",
                    root=tmp_path, store=store)
    d3 = promote(store, "m", a3.version)
    rows = load_models(store, name="m").set_index("version")
    assert not d2.is_promoted and rows.loc[2, "status"] == "rejected"
    assert rows.loc[2, "reason"] == d2.reason
    assert d3.is_promoted and rows.loc[3, "status"] == "production"
    assert rows.loc[1, "status"] == "retired"
    assert resolve_version(store, "m").version == 3
    with pytest.raises(DataUnavailable, match="version 9"):
        promote(store, "m", 9)


def test_parameter_sets_share_the_registry(store, tmp_path, sol):
    """A re-optimised parameter set is versioned and promoted like a model."""
    art = save_params({"fast": 10, "slow": 50}, name="sma_params", strategy="sma_cross",
                      metrics=GOOD, data=sol.iloc[:500], root=tmp_path, store=store)
    assert art.kind == "params" and art.params == {"strategy": "sma_cross", "fast": 10,
                                                   "slow": 50}
    assert promote(store, "sma_params", art.version).is_promoted
    with pytest.raises(ConfigError, match="not a model"):
        load_model(art.path, features=None)

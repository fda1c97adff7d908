"""The registered ML model runs in the paper engine (LiteSVM) and decides like the research shape.

A small model is trained on real SOL/USDT 5m bars, registered in a temporary store and models
directory and promoted; the engine replays later real bars with one strategy of kind "ml"
named by registry name and version. Its orders and fills in the ledger are compared with
:func:`compute_ml_signals` on the same bars.
"""

from __future__ import annotations

import base64
import pickle
from dataclasses import replace
from decimal import ROUND_DOWN, Decimal

import pytest

from workbench.ai import (
    ML_STRATEGY,
    FeatureSpec,
    MlParams,
    compute_ml_signals,
    load_paper_decisions,
    ml_engine_params,
    save_model,
    train_model,
)
from workbench.ai.strategy import MlStrategy, ModelRef, _load_ref
from workbench.config import Settings
from workbench.errors import ConfigError, DataError, DataUnavailable, StoreError
from workbench.live import Engine, EngineConfig, StrategySeed
from workbench.store import ledger, open_store

pytestmark = pytest.mark.integration

NAME = "sol_5m_hgb"
BUDGET = Decimal(1000)  # entries of 0.8 * ~1000 stay under the gate's max_order_notional 1000


def _settings(tmp_path) -> Settings:
    return Settings(data={"dir": tmp_path}, engine={"metrics_port": 0, "heartbeat_s": 0.2})


def _config(bars, seed: StrategySeed, **kw) -> EngineConfig:
    return EngineConfig(bars=bars, speed=0.0, stop_at_end=True, handle_signals=False,
                        seeds=(seed,), serve_metrics=False, **kw)


@pytest.fixture(scope="module")
def engine_model(model):
    """The session's small model (first 4,000 bars), committing 80% of equity per entry."""
    return replace(model, params=replace(model.params, max_fraction=0.8))


@pytest.fixture(scope="module")
def replay(sol):
    """Real bars after the training window."""
    return sol.iloc[4000:4300]


@pytest.fixture(scope="module")
def thresholds(engine_model, replay):
    """Thresholds from the replayed slice's probabilities, so the model trades here (this is
    a plumbing test, not a performance claim)."""
    proba = compute_ml_signals(replay, MlParams(model=engine_model))["proba"].dropna()
    return {"entry_threshold": float(proba.quantile(0.8)),
            "exit_threshold": float(proba.quantile(0.5)), "use_kelly": False,
            "budget_quote": BUDGET}


@pytest.fixture
def registry(tmp_path, sol, engine_model):
    """The engine's own store with the model registered (version 1) and promoted."""
    settings = _settings(tmp_path)
    store = open_store(settings)
    store.upgrade()
    art = save_model(engine_model, name=NAME, metrics={"sharpe": 1.0}, data=sol.iloc[:4000],
                     root=tmp_path / "models", store=store)
    ledger.set_model_status(store, NAME, art.version, "production", "test fixture")
    yield settings, store
    store.dispose()


def _seed(store, settings, thresholds, version="production") -> StrategySeed:
    params = ml_engine_params(store, NAME, version, registry_url=settings.database_url,
                              **thresholds)
    return StrategySeed(name="ml", kind="ml", symbol="SOL/USDT", params=params)


def _params(seed: StrategySeed) -> MlParams:
    return ML_STRATEGY.make_params({k: tuple(v) if isinstance(v, list) else v
                                    for k, v in seed.params.items()})


def _expected_actions(sig):
    """(bar, side) where the vectorised signals act, long-only, as targets_from_signals."""
    out, is_long = [], False
    for ts, row in sig.iterrows():
        if row["entry"] and not is_long and row["fraction"] > 0:
            out.append((ts, "buy"))
            is_long = True
        elif row["exit"] and is_long:
            out.append((ts, "sell"))
            is_long = False
    return out


def _assert_parity(store, sig):
    """The ledger's ML orders are the vectorised decisions, sized from the fills' equity."""
    orders = ledger.load_orders(store, strategy="ml").sort_values("ts_created")
    fills = ledger.load_fills(store)
    fills = fills[fills["strategy"] == "ml"].sort_values("ts_event")
    expected = _expected_actions(sig)
    assert len(expected) >= 4, "thresholds chosen so the model trades on this slice"
    assert list(zip(orders["ts_created"], orders["side"], strict=True)) == expected
    assert set(orders["status"]) == {"filled"}
    cash, held = BUDGET, Decimal(0)
    for order in orders.itertuples():
        legs = fills[fills["client_order_id"] == order.client_order_id]
        base = sum(legs["base_amount"], Decimal(0))
        quote = sum(legs["quote_amount"], Decimal(0))
        price = Decimal(repr(float(sig.loc[order.ts_created, "close"])))
        if order.side == "buy":
            frac = Decimal(repr(float(sig.loc[order.ts_created, "fraction"])))
            want = (cash * frac / price).quantize(Decimal("1e-9"), ROUND_DOWN)
            assert order.amount == want
            # the AMM takes an exact input: the least input buying `want` overshoots by less
            # than what two micro-USDT buy
            assert Decimal(0) <= base - want <= Decimal("2e-6") / price + Decimal("1e-9")
            cash -= quote
            held += base
        else:
            assert order.amount == held == base
            cash += quote
            held = Decimal(0)
    return orders


async def test_registered_model_trades_in_the_paper_engine_like_the_research_shape(
        tmp_path, registry, replay, thresholds):
    """Orders/fills of the "ml" strategy pass the gate and equal compute_ml_signals' decisions;
    its stored state is a model reference, not the model."""
    settings, store = registry
    seed = _seed(store, settings, thresholds)
    assert seed.params["model_version"] == "production"
    seen: list[tuple[str, str]] = []
    eng = Engine(settings, store=store, config=_config(replay, seed),
                 probe=lambda point, coid: seen.append((point, coid)))
    await eng.run()
    assert eng.bars_done == len(replay) and eng.slots["ml"].status == "running"

    sig = compute_ml_signals(replay, _params(seed))
    orders = _assert_parity(store, sig)
    accepted = {c for p, c in seen if p == "accepted"}
    filled = {c for p, c in seen if p == "filled"}
    assert set(orders["client_order_id"]) <= accepted & filled
    assert ledger.load_risk_events(store).empty  # accepted as decided, nothing resized

    report = load_paper_decisions(store, replay, seed.params)
    assert len(report) == len(orders) and report["is_match"].all()

    cursor = ledger.get_state(store, "engine_cursor")
    blob = cursor["strategies"]["ml"]["state"]
    assert len(blob) < 20_000
    state = pickle.loads(base64.b64decode(blob))
    assert isinstance(state["model_ref"], ModelRef) and state["model_ref"].version == 1
    assert "model" not in state
    assert not any(type(v).__module__.startswith("sklearn") for v in state.values())


async def test_restart_reloads_the_referenced_version_and_keeps_parity(
        tmp_path, registry, sol, replay, thresholds, engine_model):
    """After a restart the strategy reloads the version it ran (not the newly promoted one)
    from disk, with its feature buffer and book, and keeps deciding like the research shape."""
    settings, store = registry
    seed = _seed(store, settings, thresholds)
    first = Engine(settings, store=store, config=_config(replay.iloc[:150], seed))
    await first.run()
    n_first = len(ledger.load_orders(store, strategy="ml"))
    # a new production version with the same features arrives while the engine is down
    newer = save_model(replace(engine_model, params=replace(engine_model.params,
                                                            max_fraction=0.3)),
                       name=NAME, metrics={"sharpe": 2.0}, data=sol.iloc[:4000],
                       root=tmp_path / "models", store=store)
    ledger.set_model_status(store, NAME, newer.version, "production", "better")
    _load_ref.cache_clear()  # a fresh process: the model comes from disk
    second = Engine(settings, store=store, config=_config(replay, seed))
    await second.run()
    strategy = second.slots["ml"].strategy
    assert strategy.model_ref.version == 1
    assert strategy.model.params.max_fraction == 0.8
    assert 0 < n_first < len(ledger.load_orders(store, strategy="ml"))
    # the research shape of what it ran: version 1 ("production" now names version 2)
    _assert_parity(store, compute_ml_signals(replay, replace(_params(seed), model_version=1)))


async def test_risk_gate_resizes_ml_orders_and_the_strategy_books_the_fill(
        tmp_path, registry, replay, thresholds):
    """With a tighter max_order_notional the gate resizes the entries; the strategy's book
    follows what filled, not what it asked for."""
    settings, store = registry
    seed = _seed(store, settings, thresholds)
    eng = Engine(settings, store=store,
                 config=_config(replay, seed, limits={"max_order_notional": "300"}))
    await eng.run()
    events = ledger.load_risk_events(store)
    orders = ledger.load_orders(store, strategy="ml").sort_values("ts_created")
    buys = orders[orders["side"] == "buy"]
    assert len(buys) >= 2 and set(orders["status"]) == {"filled"}
    resized = events[(events["kind"] == "order_resized") & (events["strategy"] == "ml")]
    assert set(buys["client_order_id"]) <= set(resized["client_order_id"])
    assert set(resized["rule"]) == {"max_notional"}
    assert all(b.amount * b.price <= Decimal(300) for b in buys.itertuples())
    fills = ledger.load_fills(store)
    fills = fills[fills["strategy"] == "ml"]
    net = sum((f.base_amount if f.side == "buy" else -f.base_amount
               for f in fills.itertuples()), Decimal(0))
    strategy = eng.slots["ml"].strategy
    assert strategy.position == net == eng.slots["ml"].position
    assert strategy.is_long == (net > 0)


async def test_a_production_version_with_other_features_is_refused(
        tmp_path, registry, sol, thresholds, replay):
    """A newly promoted version trained on other features is refused when the engine starts
    the strategy: a clear error on the slot, no order, the engine runs on."""
    settings, store = registry
    seed = _seed(store, settings, thresholds)  # pins version 1's features
    other = train_model(sol.iloc[:2000], replace(_params(seed).resolve_model().params,
                                                 max_iter=5),
                        FeatureSpec(return_horizons=(1, 6, 24)))
    art = save_model(other, name=NAME, metrics={"sharpe": 3.0}, data=sol.iloc[:2000],
                     root=tmp_path / "models", store=store)
    ledger.set_model_status(store, NAME, art.version, "production", "newer")
    eng = Engine(settings, store=store, config=_config(replay.iloc[:20], seed))
    await eng.run()
    slot = eng.slots["ml"]
    assert not slot.enabled
    assert slot.status.startswith("error: Model 'sol_5m_hgb' version 2 was trained on "
                                  "different features: the model needs ['ret_6', 'ret_24']")
    assert "Load a version trained on your feature list, or retrain with it." in slot.status
    assert ledger.load_orders(store, strategy="ml").empty
    assert eng.bars_done == 20


def test_params_name_a_registry_version(tmp_path, registry, thresholds):
    """model_name/model_version resolve in the store; bad versions and sources are refused."""
    settings, store = registry
    ref = MlParams(model_name=NAME, model_version=1,
                   registry_url=settings.database_url).resolve_ref()
    assert (ref.name, ref.version) == (NAME, 1)
    assert ref.path == str((tmp_path / "models" / NAME / "1").resolve())
    assert MlParams(model_name=NAME, model_version="1").model_version == 1
    with pytest.raises(DataUnavailable, match=r"has no version 7; registered: \[1\]"):
        MlParams(model_name=NAME, model_version=7,
                 registry_url=settings.database_url).resolve_ref()
    with pytest.raises(ConfigError, match="model_version='prod' must be a version number"):
        MlParams(model_name=NAME, model_version="prod")
    with pytest.raises(DataError, match="changed since the strategy resolved it"):
        replace(ref, sha256="0" * 64).load()
    with pytest.raises(StoreError, match="Cannot read the model registry in sqlite:///"):
        MlParams(registry_url=f"sqlite:///{tmp_path / 'empty.db'}").resolve_ref()
    with pytest.raises(ConfigError, match="ml_engine_params sets model_version itself"):
        ml_engine_params(store, NAME, model_version=3)
    with pytest.raises(ConfigError, match="Unknown parameter"):
        ml_engine_params(store, NAME, budget=5)


def test_model_needing_columns_the_feed_lacks_is_refused_at_start(tmp_path, with_extras, fast):
    """A model reading depth/flow columns is refused before the first bar unless the feed
    names them in extra_columns."""
    store = open_store(f"sqlite:///{tmp_path / 'wb.db'}")
    store.upgrade()
    m = train_model(with_extras, replace(fast, max_iter=5))
    save_model(m, name="deep", metrics={}, data=with_extras, root=tmp_path / "models",
               store=store)
    url = f"sqlite:///{tmp_path / 'wb.db'}"
    with pytest.raises(ConfigError, match=r"the model also reads \['a_price', 'b_price', "
                       r"'a_depth', 'b_depth', 'spread_bps', 'depth_quote', "
                       r"'buy_volume_quote', 'sell_volume_quote', 'swap_count'\]: name them "
                       "in extra_columns"):
        MlStrategy(MlParams(model_name="deep", model_version="latest",
                            registry_url=url)).on_start()
    extras = tuple(c for c in m.input_columns if c not in ("open", "high", "low", "close",
                                                            "volume"))
    strat = MlStrategy(MlParams(model_name="deep", model_version="latest", registry_url=url,
                                extra_columns=extras))
    strat.on_start()
    assert strat.model_ref.name == "deep"
    store.dispose()

"""The engine end to end on LiteSVM: real bars in, real transactions, ledger equals chain."""

from __future__ import annotations

import pytest

from workbench.config import Settings
from workbench.errors import ConfigError
from workbench.live import Engine, EngineConfig
from workbench.store import ledger

from .checks import assert_ledger_matches_chain
from .conftest import fast_config, make_settings


def test_live_mode_is_refused_without_opt_in(tmp_path):
    """Live mode without engine.live_opt_in is refused before anything is built."""
    settings = Settings(data={"dir": tmp_path}, engine={"mode": "live"},
                        execution={"keystore_path": tmp_path / "k.json"})
    with pytest.raises(ConfigError, match="explicit opt-in"):
        Engine(settings, config=EngineConfig())


@pytest.mark.integration
async def test_paper_engine_trades_and_ledger_equals_chain(tmp_path, sol_bars):
    """Grid and arbitrage trade on replayed bars; every fill is on chain and balances agree."""
    eng = Engine(make_settings(tmp_path), config=fast_config(sol_bars.iloc[:150]))
    await eng.run()
    assert eng.bars_done == 150
    assert eng.stop_reason == "replay finished"
    orders = ledger.load_orders(eng.store)
    by = orders.groupby(["strategy", "status"]).size()
    assert by.get(("grid", "filled"), 0) >= 10
    assert by.get(("arbitrage", "filled"), 0) >= 1
    fills = ledger.load_fills(eng.store)
    assert eng.market is not None
    from solders.signature import Signature

    for sig in fills["signature"].unique()[-20:]:
        landed = eng.market.chain.landed(Signature.from_string(sig))
        assert landed is not None and landed.ok
    # arbitrage legs: one buy and one sell per order, on the two pools, same base amount
    arb = fills[fills["strategy"] == "arbitrage"]
    for _coid, legs in arb.groupby("client_order_id"):
        assert sorted(legs["side"]) == ["buy", "sell"]
        assert legs["venue"].nunique() == 2
        assert legs["base_amount"].nunique() == 1
        buy = legs[legs["side"] == "buy"]["quote_amount"].iloc[0]
        sell = legs[legs["side"] == "sell"]["quote_amount"].iloc[0]
        assert sell > buy  # atomic, profitable or not at all
    assert_ledger_matches_chain(eng.store, eng.market)
    equity = ledger.load_equity(eng.store)
    assert len(equity) == 150
    beat = ledger.get_state(eng.store, "heartbeat")
    assert beat is not None and beat["bars"] == 150
    audit = ledger.load_audit(eng.store)
    assert "engine_stopped" in set(audit["action"])


@pytest.mark.integration
async def test_restart_resumes_from_cursor_without_resending(tmp_path, sol_bars):
    """A clean stop then a restart continues after the last bar and sends no order twice."""
    settings = make_settings(tmp_path)
    first = Engine(settings, config=fast_config(sol_bars.iloc[:60]))
    await first.run()
    n_first = len(ledger.load_orders(first.store))
    second = Engine(settings, config=fast_config(sol_bars.iloc[:120]))
    await second.run()
    assert second.bars_done == 120
    orders = ledger.load_orders(second.store)
    assert len(orders) > n_first
    assert second.recovery is not None and not any(second.recovery.as_dict().values())
    assert second.market is not None and second.market.restored
    assert_ledger_matches_chain(second.store, second.market)


@pytest.mark.integration
async def test_strategy_error_stops_only_that_strategy(tmp_path, sol_bars):
    """A strategy that raises is stopped with its error; the engine and others keep going."""
    eng = Engine(make_settings(tmp_path), config=fast_config(sol_bars.iloc[:40]))
    await eng.setup()
    boom = eng.slots["arbitrage"].strategy

    def bad(_bar):
        raise ZeroDivisionError("bad math")

    boom.on_bar = bad
    eng.supervisor.spawn("feed", eng._feed)
    await eng.supervisor._tasks["feed"]
    assert eng.slots["arbitrage"].status == "error: ZeroDivisionError: bad math"
    assert not eng.slots["arbitrage"].enabled
    assert eng.bars_done == 40
    assert eng.health()["status"] == "degraded"
    await eng.shutdown()

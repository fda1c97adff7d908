"""Circuit breaker states, trips, cooldown, reset and the kill switch, on an injected clock."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest

from workbench.domain import Side
from workbench.errors import RiskError
from workbench.risk import (
    BREAKER_TRIP_DESC,
    BreakerConfig,
    BreakerState,
    CircuitBreaker,
    TradingState,
    TripReason,
    flatten_orders,
    price_jump_pct,
)
from workbench.risk.breaker import expire, trip

from .conftest import TOKENS, make_order

D = Decimal
S = 1_000_000_000


@dataclass
class FakeClock:
    t: int = 1_000 * S

    def now_ns(self) -> int:
        return self.t


def breaker(**kw: object) -> tuple[CircuitBreaker, FakeClock]:
    clock = FakeClock()
    return CircuitBreaker(BreakerConfig(**kw), clock), clock  # type: ignore[arg-type]


def test_price_jump_halts_then_cooldown_reactivates() -> None:
    """A 33% jump halts; after the cooldown the breaker is ACTIVE again, with events."""
    b, clock = breaker(cooldown_s=300)
    b.on_price("SOL", D(150))
    assert b.state is TradingState.ACTIVE
    b.on_price("SOL", D(200))
    assert b.state is TradingState.HALTED
    assert b.status.reason is TripReason.PRICE_JUMP
    assert b.status.detail == "SOL moved 33.33% (150 -> 200), above max_price_jump_pct=15"
    assert not b.allows(make_order(side=Side.SELL, reduce_only=True))
    clock.t += 299 * S
    assert b.state is TradingState.HALTED
    clock.t += S
    assert b.state is TradingState.ACTIVE
    kinds = [e["kind"] for e in b.drain_events()]
    assert kinds == ["breaker_trip", "breaker_reset"]
    assert b.drain_events() == []


def test_limit_breach_reduces_and_only_exits_pass() -> None:
    """A limit breach goes to REDUCING: sells pass, buys do not."""
    b, _ = breaker()
    b.on_limit_breach("daily_loss", "day PnL -600 USD")
    assert b.state is TradingState.REDUCING
    assert b.allows(make_order(side=Side.SELL))
    assert not b.allows(make_order())
    assert b.status.detail == "daily_loss: day PnL -600 USD"


def test_trips_escalate_never_downgrade() -> None:
    """A REDUCING trip while HALTED keeps HALTED and extends the end."""
    b, clock = breaker(cooldown_s=100)
    b.record_failure("x")
    b.record_failure("y")
    assert b.state is TradingState.ACTIVE
    b.record_failure("z")
    assert b.state is TradingState.HALTED
    assert b.status.detail == "3 failures in 60.0s (max_failures=3); last: z"
    clock.t += 50 * S
    b.on_limit_breach("drawdown", "25%")
    assert b.state is TradingState.HALTED
    assert b.status.until_ns == clock.t + 100 * S


def test_failures_outside_window_do_not_count_and_success_clears() -> None:
    """Failures older than the window fall out; a success empties it."""
    b, clock = breaker(max_failures=2, failure_window_s=10)
    b.record_failure()
    clock.t += 11 * S
    b.record_failure()
    assert b.state is TradingState.ACTIVE
    b.record_success()
    b.record_failure()
    assert b.state is TradingState.ACTIVE and len(b.status.failures_ns) == 1


def test_stale_data_halts_and_names_symbols() -> None:
    """A symbol silent past stale_after_s halts trading, named with its age."""
    b, clock = breaker(stale_after_s=30)
    stale = b.check_staleness({"SOL": clock.t - 31 * S, "JUP": clock.t - 5 * S})
    assert stale == ["SOL"]
    assert b.state is TradingState.HALTED
    assert b.status.detail == "no update for SOL 31.0s (stale_after_s=30)"
    assert b.status.reason is TripReason.STALE_DATA


def test_manual_trip_needs_reset() -> None:
    """A manual trip has no cooldown; reset returns to ACTIVE."""
    b, clock = breaker(cooldown_s=1)
    b.trip_manual(TradingState.HALTED, actor="ana", detail="maintenance")
    clock.t += 10_000 * S
    assert b.state is TradingState.HALTED
    assert b.status.detail == "by ana: maintenance"
    b.reset(actor="ana")
    assert b.state is TradingState.ACTIVE
    assert b.drain_events()[-1]["detail"] == "reset by ana; was halted"


def test_kill_switch_cancels_and_flattens() -> None:
    """Kill cancels pending orders and returns reduce-only exits; REDUCING so they pass."""
    b, clock = breaker()
    pending = [make_order(client_order_id="a"), make_order(client_order_id="b")]
    result = b.kill(pending, actor="ana", flatten=True,
                    holdings={"SOL": D("1.2345678901"), "USDC": D(50), "JUP": D(0)},
                    marks={"SOL": D(150)}, tokens=TOKENS)
    assert result.cancelled == ("a", "b")
    assert len(result.flatten) == 1
    exit_order = result.flatten[0]
    assert (exit_order.symbol, exit_order.side, exit_order.amount, exit_order.reduce_only) == (
        "SOL/USDC", Side.SELL, D("1.234567890"), True)
    assert exit_order.ts_init == clock.t
    assert b.state is TradingState.REDUCING and b.status.until_ns is None
    assert b.allows(exit_order)


def test_kill_switch_without_flatten_halts() -> None:
    """Kill without flatten halts everything until reset."""
    b, _ = breaker()
    result = b.kill([], actor="ops")
    assert result.flatten == () and b.state is TradingState.HALTED
    assert result.state.reason is TripReason.KILL_SWITCH
    with pytest.raises(RiskError, match=r"kill\(flatten=True\) needs holdings= and marks="):
        b.kill([], actor="ops", flatten=True)


def test_flatten_refuses_unknown_price() -> None:
    """Flattening a holding without a mark raises instead of selling at an unknown price."""
    with pytest.raises(RiskError, match=r"Cannot flatten SOL: mark=None"):
        flatten_orders({"SOL": D(1)}, {}, now_ns=0, tokens=TOKENS)
    with pytest.raises(RiskError, match=r"Cannot flatten WIF: not in the token registry"):
        flatten_orders({"WIF": D(1)}, {"WIF": D(1)}, now_ns=0, tokens=TOKENS)


def test_pure_core() -> None:
    """trip/expire/price_jump_pct behave as documented and reject bad input."""
    s = trip(BreakerState(), TradingState.REDUCING, TripReason.MANUAL, "x", now_ns=10,
             cooldown_ns=5)
    assert (s.state, s.until_ns) == (TradingState.REDUCING, 15)
    assert expire(s, 14) is s and expire(s, 15).state is TradingState.ACTIVE
    with pytest.raises(RiskError, match="use reset"):
        trip(s, TradingState.ACTIVE, TripReason.MANUAL, "", now_ns=0, cooldown_ns=None)
    assert price_jump_pct(D(100), D(90)) == D(10)
    with pytest.raises(RiskError, match=r"new=Decimal\('NaN'\) must be a finite positive"):
        price_jump_pct(D(100), D("NaN"))
    with pytest.raises(RiskError, match="max_failures=0 must be >= 1"):
        BreakerConfig(max_failures=0)
    assert set(BREAKER_TRIP_DESC) == set(TripReason)


def test_config_from_settings() -> None:
    """BreakerConfig reads the cooldown and jump threshold from RiskSettings."""
    from workbench.config import DataSettings, RiskSettings

    cfg = BreakerConfig.from_settings(RiskSettings(breaker_cooldown_s=12, max_price_jump_pct=7.5),
                                      DataSettings(stale_after_s=9))
    assert (cfg.cooldown_s, cfg.max_price_jump_pct, cfg.stale_after_s) == (12, D("7.5"), 9)

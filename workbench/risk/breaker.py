"""The circuit breaker and kill switch: one trading state for the whole engine.

States::

    ACTIVE ──trip(REDUCING)──> REDUCING ──trip(HALTED)──> HALTED
       ^                          |                          |
       └──── cooldown ends, or a user resets ────────────────┘

* ACTIVE: the gate's limits decide.
* REDUCING: only orders that shrink exposure pass (reduce-only exits, sells of holdings).
* HALTED: nothing passes.

Trips escalate and never downgrade: a REDUCING trip while HALTED keeps HALTED and extends the
cooldown. The kill switch cancels every pending order and, when asked, returns flatten orders;
it stays tripped until a user resets it (no cooldown), and it leaves the breaker REDUCING when
flattening so the flatten orders can pass the gate, HALTED otherwise.

Time comes from an injected clock (``workbench.ports.Clock``), never the wall, so the same
breaker runs in a backtest on bar time. The pure core is :func:`trip`, :func:`expire` and
:func:`price_jump_pct`; :class:`CircuitBreaker` only holds the state between calls.
"""

from __future__ import annotations

import bisect
import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_DOWN, Decimal
from typing import Any

from workbench.domain import WELL_KNOWN, Order, Side, Token, from_raw, to_raw
from workbench.errors import RiskError
from workbench.ports import Clock

__all__ = [
    "BREAKER_TRIP_DESC",
    "BreakerConfig",
    "BreakerState",
    "CircuitBreaker",
    "KillResult",
    "TradingState",
    "TripReason",
    "expire",
    "flatten_orders",
    "price_jump_pct",
    "trip",
]

_NS = 1_000_000_000


class TradingState(enum.StrEnum):
    """What the engine may do right now."""

    ACTIVE = "active"
    REDUCING = "reducing"
    HALTED = "halted"

    @property
    def severity(self) -> int:
        """0 ACTIVE, 1 REDUCING, 2 HALTED: trips only move up."""
        return _SEVERITY[self]


_SEVERITY = {TradingState.ACTIVE: 0, TradingState.REDUCING: 1, TradingState.HALTED: 2}


class TripReason(enum.StrEnum):
    """Why the breaker left ACTIVE."""

    LIMIT_BREACH = "limit_breach"
    STALE_DATA = "stale_data"
    EXECUTION_FAILURES = "execution_failures"
    PRICE_JUMP = "price_jump"
    KILL_SWITCH = "kill_switch"
    MANUAL = "manual"


BREAKER_TRIP_DESC: dict[TripReason, str] = {
    TripReason.LIMIT_BREACH: "a portfolio limit (daily loss, drawdown) was breached",
    TripReason.STALE_DATA: "market data stopped updating",
    TripReason.EXECUTION_FAILURES: "too many execution failures in a short window",
    TripReason.PRICE_JUMP: "a price moved more than the jump threshold in one update",
    TripReason.KILL_SWITCH: "the kill switch was pulled; stays until a user resets it",
    TripReason.MANUAL: "a user tripped the breaker",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class BreakerConfig:
    """When the breaker trips and for how long.

    Attributes:
        cooldown_s: how long an automatic trip lasts (0 = until a user resets it).
        stale_after_s: a symbol silent this long trips STALE_DATA.
        max_price_jump_pct: one update moving more than this trips PRICE_JUMP.
        max_failures: execution failures within ``failure_window_s`` that trip.
        failure_window_s: the sliding window for failures.
        on_limit_breach / on_stale_data / on_failures / on_price_jump: the state each trips to.
    """

    cooldown_s: float = 300.0
    stale_after_s: float = 30.0
    max_price_jump_pct: Decimal = Decimal("15")
    max_failures: int = 3
    failure_window_s: float = 60.0
    on_limit_breach: TradingState = TradingState.REDUCING
    on_stale_data: TradingState = TradingState.HALTED
    on_failures: TradingState = TradingState.HALTED
    on_price_jump: TradingState = TradingState.HALTED

    def __post_init__(self) -> None:
        for name in ("cooldown_s", "stale_after_s", "failure_window_s"):
            if not getattr(self, name) >= 0:
                raise RiskError(f"BreakerConfig {name}={getattr(self, name)!r} must be >= 0.")
        if self.max_failures < 1:
            raise RiskError(f"BreakerConfig max_failures={self.max_failures} must be >= 1.")
        if not (self.max_price_jump_pct.is_finite() and self.max_price_jump_pct > 0):
            raise RiskError(
                f"BreakerConfig max_price_jump_pct={self.max_price_jump_pct} must be > 0."
            )

    @classmethod
    def from_settings(cls, risk: Any, data: Any = None, **overrides: Any) -> BreakerConfig:
        """Build from ``RiskSettings`` (and ``DataSettings`` for staleness)."""
        values: dict[str, Any] = {
            "cooldown_s": risk.breaker_cooldown_s,
            "max_price_jump_pct": Decimal(str(risk.max_price_jump_pct)),
        }
        if data is not None:
            values["stale_after_s"] = data.stale_after_s
        values.update(overrides)
        return cls(**values)


@dataclass(frozen=True, slots=True, kw_only=True)
class BreakerState:
    """The breaker at one moment.

    Attributes:
        state: ACTIVE, REDUCING or HALTED.
        reason: why it tripped; None when ACTIVE.
        detail: the values that tripped it.
        tripped_at_ns: when it last tripped.
        until_ns: when it returns to ACTIVE by itself; None = until a user resets it.
        failures_ns: recent execution failure times, ascending (sliding window).
    """

    state: TradingState = TradingState.ACTIVE
    reason: TripReason | None = None
    detail: str = ""
    tripped_at_ns: int | None = None
    until_ns: int | None = None
    failures_ns: tuple[int, ...] = ()


def trip(
    current: BreakerState,
    to: TradingState,
    reason: TripReason,
    detail: str,
    *,
    now_ns: int,
    cooldown_ns: int | None,
) -> BreakerState:
    """Return the state after a trip; escalates only, and keeps the later of the two ends.

    Args:
        current: the state before.
        to: REDUCING or HALTED.
        reason / detail: why, for the event log.
        now_ns: the clock's time.
        cooldown_ns: how long it lasts; None (or 0) = until a user resets it.
    """
    if to is TradingState.ACTIVE:
        raise RiskError("trip() needs REDUCING or HALTED; use reset() to return to ACTIVE.")
    until = None if not cooldown_ns else now_ns + cooldown_ns
    if current.state is not TradingState.ACTIVE:
        # Manual trips (until None) must not be shortened by a later automatic one.
        until = None if current.until_ns is None or until is None else max(until, current.until_ns)
    if current.state.severity > to.severity:
        return replace(current, until_ns=until)
    return replace(current, state=to, reason=reason, detail=detail, tripped_at_ns=now_ns,
                   until_ns=until)


def expire(current: BreakerState, now_ns: int) -> BreakerState:
    """Return ACTIVE if the cooldown has ended by ``now_ns``, else ``current`` unchanged."""
    if current.until_ns is not None and now_ns >= current.until_ns:
        return BreakerState(failures_ns=current.failures_ns)
    return current


def price_jump_pct(previous: Decimal, new: Decimal) -> Decimal:
    """Absolute change from ``previous`` to ``new`` in percent.

    Raises:
        RiskError: either price is not finite and positive.
    """
    for name, value in (("previous", previous), ("new", new)):
        if not isinstance(value, Decimal) or not value.is_finite() or value <= 0:
            raise RiskError(f"price_jump_pct: {name}={value!r} must be a finite positive Decimal.")
    return abs(new - previous) / previous * 100


@dataclass(frozen=True, slots=True, kw_only=True)
class KillResult:
    """What the kill switch did.

    Attributes:
        cancelled: client order ids of the pending orders to cancel.
        flatten: reduce-only sell orders closing every non-cash holding (empty unless asked).
        state: the breaker state afterwards.
    """

    cancelled: tuple[str, ...]
    flatten: tuple[Order, ...]
    state: BreakerState


def flatten_orders(
    holdings: Mapping[str, Decimal],
    marks: Mapping[str, Decimal],
    *,
    now_ns: int,
    quote: str = "USDC",
    tokens: Mapping[str, Token] = WELL_KNOWN,
    cash_tokens: Iterable[str] = ("USDC", "USDT"),
    max_slippage_bps: int = 100,
    strategy: str = "kill-switch",
) -> tuple[Order, ...]:
    """Reduce-only sells of every non-cash holding into ``quote``, at the current marks.

    Amounts are rounded down to each token's decimals; dust below one base unit is left.

    Raises:
        RiskError: a held token has no registry entry or no usable mark (we will not send an
            exit at an unknown price).
    """
    cash = set(cash_tokens)
    quote_usd = marks.get(quote, Decimal(1) if quote in cash else None)
    orders: list[Order] = []
    for symbol in sorted(holdings):
        amount = holdings[symbol]
        if symbol in cash or symbol == quote or amount <= 0:
            continue
        token = tokens.get(symbol)
        if token is None:
            raise RiskError(
                f"Cannot flatten {symbol}: not in the token registry; add its Token (mint, "
                "decimals) to the registry passed as tokens=."
            )
        mark = marks.get(symbol)
        if mark is None or quote_usd is None or not mark.is_finite() or mark <= 0:
            raise RiskError(
                f"Cannot flatten {symbol}: mark={mark!r} {quote}={quote_usd!r}; refresh marks "
                "or flatten by hand."
            )
        rounded = from_raw(to_raw(amount, token.decimals, rounding=ROUND_DOWN), token.decimals)
        if rounded <= 0:
            continue
        orders.append(
            Order(
                client_order_id=f"{strategy}-{symbol}-{now_ns}",
                strategy=strategy,
                symbol=f"{symbol}/{quote}",
                side=Side.SELL,
                amount=rounded,
                price=mark / quote_usd,
                max_slippage_bps=max_slippage_bps,
                reduce_only=True,
                ts_init=now_ns,
            )
        )
    return tuple(orders)


@dataclass(slots=True)
class CircuitBreaker:
    """Holds the breaker state between calls; every decision is one of the pure functions.

    Example:
        >>> breaker = CircuitBreaker(BreakerConfig(), clock)
        >>> breaker.on_price("SOL", Decimal("150")); breaker.on_price("SOL", Decimal("200"))
        >>> breaker.state
        <TradingState.HALTED: 'halted'>
    """

    config: BreakerConfig
    clock: Clock
    status: BreakerState = field(default_factory=BreakerState)
    last_price: dict[str, Decimal] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def state(self) -> TradingState:
        """The current trading state, after any cooldown that has ended."""
        self._refresh()
        return self.status.state

    def _refresh(self) -> None:
        now = self.clock.now_ns()
        after = expire(self.status, now)
        if after is not self.status:
            was = self.status.state
            self._event(now, "breaker_reset", "cooldown", f"cooldown ended; was {was}")
            self.status = after

    def _event(self, ts: int, kind: str, rule: str, detail: str) -> None:
        self.events.append({"ts": ts, "kind": kind, "rule": rule, "detail": detail,
                            "client_order_id": None, "strategy": None})

    def _trip(self, to: TradingState, reason: TripReason, detail: str, *,
              cooldown: bool = True) -> None:
        self._refresh()
        now = self.clock.now_ns()
        cooldown_ns = int(self.config.cooldown_s * _NS) if cooldown else None
        self.status = trip(self.status, to, reason, detail, now_ns=now, cooldown_ns=cooldown_ns)
        self._event(now, "breaker_trip", str(reason), f"{self.status.state}: {detail}")

    def drain_events(self) -> list[dict[str, Any]]:
        """Return and forget the risk-event records since the last call (for the store)."""
        out, self.events = self.events, []
        return out

    def allows(self, order: Order) -> bool:
        """True when the state lets ``order`` through (the gate checks the rest)."""
        state = self.state
        if state is TradingState.ACTIVE:
            return True
        if state is TradingState.REDUCING:
            return order.reduce_only or order.side is Side.SELL
        return False

    def trip_manual(self, to: TradingState, *, actor: str, detail: str = "") -> None:
        """A user trips the breaker; it stays until a user resets it."""
        self._trip(to, TripReason.MANUAL, f"by {actor}" + (f": {detail}" if detail else ""),
                   cooldown=False)

    def on_limit_breach(self, rule: str, detail: str) -> None:
        """Trip for a breached portfolio limit (the gate's DAILY_LOSS or DRAWDOWN)."""
        self._trip(self.config.on_limit_breach, TripReason.LIMIT_BREACH, f"{rule}: {detail}")

    def on_price(self, symbol: str, price: Decimal) -> None:
        """Feed a new mark; trip when it moved more than ``max_price_jump_pct`` from the last.

        Raises:
            RiskError: ``price`` is NaN, zero or negative (the data layer should not pass it).
        """
        previous = self.last_price.get(symbol)
        jump = price_jump_pct(previous if previous is not None else price, price)
        self.last_price[symbol] = price
        if jump > self.config.max_price_jump_pct:
            self._trip(
                self.config.on_price_jump,
                TripReason.PRICE_JUMP,
                f"{symbol} moved {jump:.2f}% ({previous} -> {price}), above "
                f"max_price_jump_pct={self.config.max_price_jump_pct}",
            )

    def check_staleness(self, last_update_ns: Mapping[str, int]) -> list[str]:
        """Trip when any symbol's last update is older than ``stale_after_s``; return them."""
        now = self.clock.now_ns()
        limit = int(self.config.stale_after_s * _NS)
        stale = sorted(s for s, ts in last_update_ns.items() if now - ts > limit)
        if stale:
            ages = ", ".join(f"{s} {(now - last_update_ns[s]) / _NS:.1f}s" for s in stale)
            self._trip(self.config.on_stale_data, TripReason.STALE_DATA,
                       f"no update for {ages} (stale_after_s={self.config.stale_after_s})")
        return stale

    def record_failure(self, detail: str = "") -> None:
        """Count an execution failure; trip at ``max_failures`` within ``failure_window_s``."""
        now = self.clock.now_ns()
        window_start = now - int(self.config.failure_window_s * _NS)
        kept = self.status.failures_ns[bisect.bisect_left(self.status.failures_ns, window_start):]
        failures = (*kept, now)
        self.status = replace(self.status, failures_ns=failures)
        if len(failures) >= self.config.max_failures:
            self._trip(
                self.config.on_failures,
                TripReason.EXECUTION_FAILURES,
                f"{len(failures)} failures in {self.config.failure_window_s}s "
                f"(max_failures={self.config.max_failures})" + (f"; last: {detail}" if detail
                                                                else ""),
            )

    def record_success(self) -> None:
        """A landed order clears the failure window."""
        self.status = replace(self.status, failures_ns=())

    def reset(self, *, actor: str) -> None:
        """A user returns the breaker to ACTIVE (also ends a kill switch)."""
        now = self.clock.now_ns()
        was = self.status.state
        self.status = BreakerState()
        self._event(now, "breaker_reset", "manual", f"reset by {actor}; was {was}")

    def kill(
        self,
        pending: Sequence[Order],
        *,
        actor: str,
        flatten: bool = False,
        holdings: Mapping[str, Decimal] | None = None,
        marks: Mapping[str, Decimal] | None = None,
        **flatten_kw: Any,
    ) -> KillResult:
        """Pull the kill switch: cancel everything pending and optionally flatten.

        Args:
            pending: orders accepted or submitted but not final; all are cancelled.
            actor: who pulled it.
            flatten: also return reduce-only sells of every holding.
            holdings / marks: needed when ``flatten`` (token symbol -> amount / USD price).
            **flatten_kw: passed to :func:`flatten_orders` (quote, tokens, max_slippage_bps).

        Raises:
            RiskError: ``flatten`` without holdings and marks, or a holding cannot be priced.
        """
        now = self.clock.now_ns()
        orders: tuple[Order, ...] = ()
        if flatten:
            if holdings is None or marks is None:
                raise RiskError("kill(flatten=True) needs holdings= and marks= to build exits.")
            orders = flatten_orders(holdings, marks, now_ns=now, **flatten_kw)
        to = TradingState.REDUCING if flatten else TradingState.HALTED
        # A kill is never downgraded by the escalation rule: force the chosen state.
        self.status = replace(
            BreakerState(failures_ns=self.status.failures_ns),
            state=to, reason=TripReason.KILL_SWITCH, tripped_at_ns=now,
            detail=f"kill switch by {actor}: cancelled {len(pending)}, flatten {len(orders)}",
        )
        self._event(now, "kill_switch", str(TripReason.KILL_SWITCH), self.status.detail)
        return KillResult(cancelled=tuple(o.client_order_id for o in pending), flatten=orders,
                          state=self.status)

"""Per-position exits: stop-loss, take-profit, trailing stop and time stop.

:func:`evaluate_stops` is pure: positions and prices in, exit orders (``reduce_only=True``,
for the router) and the positions with their updated high-water marks out. The live engine
calls it on every mark; the event backtester calls it on every bar.

When several exits fire on the same mark the most protective wins, in this order:
stop-loss, trailing stop, take-profit, time stop.

Worked example (trailing): entry $100, trailing 10% armed after +5%. The mark goes to $120
(high water $120, armed since 120 >= 105), then falls to $108: 108 <= 120 * 0.9, so the
trailing stop exits, locking +8% where a plain 10% stop-loss would still be waiting at $90.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import ROUND_DOWN, Decimal

from workbench.domain import WELL_KNOWN, Order, Side, Token, from_raw, to_raw
from workbench.errors import RiskError

__all__ = [
    "EXIT_REASON_DESC",
    "ExitReason",
    "StopExit",
    "StopPosition",
    "StopRule",
    "evaluate_stops",
]

_HUNDRED = Decimal(100)
_NS = 1_000_000_000


class ExitReason(enum.StrEnum):
    """Why a position was exited by the risk layer."""

    STOP_LOSS = "stop_loss"
    TRAILING_STOP = "trailing_stop"
    TAKE_PROFIT = "take_profit"
    TIME_STOP = "time_stop"


EXIT_REASON_DESC: dict[ExitReason, str] = {
    ExitReason.STOP_LOSS: "the mark fell the stop-loss percentage below the entry price",
    ExitReason.TRAILING_STOP: "the mark fell the trailing percentage below its high since entry",
    ExitReason.TAKE_PROFIT: "the mark rose the take-profit percentage above the entry price",
    ExitReason.TIME_STOP: "the position was held longer than its time limit",
}


def _pct_field(name: str, value: Decimal | None, *, upper: Decimal | None = None) -> None:
    if value is None:
        return
    if not isinstance(value, Decimal) or not value.is_finite() or value <= 0:
        raise RiskError(f"StopRule {name}={value!r} must be a positive Decimal percentage.")
    if upper is not None and value >= upper:
        raise RiskError(f"StopRule {name}={value} must be below {upper}%.")


@dataclass(frozen=True, slots=True, kw_only=True)
class StopRule:
    """Exit rules for a position; None disables a rule.

    Attributes:
        stop_loss_pct: exit when the mark is this far below entry, percent.
        take_profit_pct: exit when the mark is this far above entry, percent.
        trailing_pct: exit when the mark is this far below the high water, percent.
        trail_after_pct: arm the trailing stop only once the high water is this far above
            entry (0 = armed from entry).
        max_hold_s: exit after holding this long, seconds.
    """

    stop_loss_pct: Decimal | None = None
    take_profit_pct: Decimal | None = None
    trailing_pct: Decimal | None = None
    trail_after_pct: Decimal = Decimal(0)
    max_hold_s: float | None = None

    def __post_init__(self) -> None:
        _pct_field("stop_loss_pct", self.stop_loss_pct, upper=_HUNDRED)
        _pct_field("take_profit_pct", self.take_profit_pct)
        _pct_field("trailing_pct", self.trailing_pct, upper=_HUNDRED)
        if not self.trail_after_pct.is_finite() or self.trail_after_pct < 0:
            raise RiskError(f"StopRule trail_after_pct={self.trail_after_pct} must be >= 0.")
        if self.max_hold_s is not None and not self.max_hold_s > 0:
            raise RiskError(f"StopRule max_hold_s={self.max_hold_s!r} must be > 0 seconds.")


@dataclass(frozen=True, slots=True, kw_only=True)
class StopPosition:
    """An open long position as the stops see it.

    Attributes:
        symbol: the pair to exit through, e.g. ``SOL/USDC``.
        amount: base amount held.
        entry_price: average entry, quote per base.
        opened_ns: when it was opened.
        high_water: highest price seen since entry (starts at entry).
        strategy: the strategy that owns it (the exit is attributed to it).
        rule: this position's rule; None uses the default passed to ``evaluate_stops``.
    """

    symbol: str
    amount: Decimal
    entry_price: Decimal
    opened_ns: int
    high_water: Decimal | None = None
    strategy: str = "risk"
    rule: StopRule | None = None

    def __post_init__(self) -> None:
        if not self.amount.is_finite() or self.amount <= 0:
            raise RiskError(f"StopPosition {self.symbol}: amount={self.amount} must be > 0.")
        if not self.entry_price.is_finite() or self.entry_price <= 0:
            raise RiskError(
                f"StopPosition {self.symbol}: entry_price={self.entry_price} must be > 0."
            )
        if self.high_water is None:
            object.__setattr__(self, "high_water", self.entry_price)


@dataclass(frozen=True, slots=True, kw_only=True)
class StopExit:
    """An exit that fired: the order to route, and why.

    Attributes:
        order: reduce-only sell of the whole position.
        reason: which rule fired.
        detail: the values compared.
    """

    order: Order
    reason: ExitReason
    detail: str


def _fires(pos: StopPosition, rule: StopRule, price: Decimal, high: Decimal,
           now_ns: int) -> tuple[ExitReason, str] | None:
    entry = pos.entry_price
    change = (price - entry) / entry * _HUNDRED
    if rule.stop_loss_pct is not None and change <= -rule.stop_loss_pct:
        return ExitReason.STOP_LOSS, (f"{pos.symbol} {price} is {change:.2f}% from entry {entry}; "
                                      f"stop_loss_pct={rule.stop_loss_pct}")
    if rule.trailing_pct is not None:
        armed = (high - entry) / entry * _HUNDRED >= rule.trail_after_pct
        trigger = high * (1 - rule.trailing_pct / _HUNDRED)
        if armed and price <= trigger:
            return ExitReason.TRAILING_STOP, (
                f"{pos.symbol} {price} <= {trigger:.6g} ({rule.trailing_pct}% below high "
                f"{high}); entry {entry}")
    if rule.take_profit_pct is not None and change >= rule.take_profit_pct:
        return ExitReason.TAKE_PROFIT, (f"{pos.symbol} {price} is +{change:.2f}% from entry "
                                        f"{entry}; take_profit_pct={rule.take_profit_pct}")
    if rule.max_hold_s is not None:
        held_s = (now_ns - pos.opened_ns) / _NS
        if held_s >= rule.max_hold_s:
            return ExitReason.TIME_STOP, (f"{pos.symbol} held {held_s:.0f}s; max_hold_s="
                                          f"{rule.max_hold_s}")
    return None


def evaluate_stops(
    positions: Iterable[StopPosition],
    prices: Mapping[str, Decimal],
    *,
    now_ns: int,
    rule: StopRule | None = None,
    tokens: Mapping[str, Token] = WELL_KNOWN,
    max_slippage_bps: int = 100,
) -> tuple[tuple[StopExit, ...], tuple[StopPosition, ...]]:
    """Check every position against its rule at the current prices.

    Args:
        positions: open positions.
        prices: pair symbol -> current price (quote per base); a position without a price is
            kept unchanged (the breaker's staleness check handles silent feeds).
        now_ns: the clock's time (bar time in a backtest).
        rule: the default rule for positions without their own.
        tokens: token registry, for rounding the exit down to base units.
        max_slippage_bps: slippage the exit orders tolerate.

    Returns:
        ``(exits, positions)``: exits that fired, and the positions still open with their high
        water updated (exited positions are dropped).

    Raises:
        RiskError: a price is NaN, zero or negative, or a token is not in the registry.
    """
    exits: list[StopExit] = []
    kept: list[StopPosition] = []
    for pos in positions:
        price = prices.get(pos.symbol)
        if price is None:
            kept.append(pos)
            continue
        if not isinstance(price, Decimal) or not price.is_finite() or price <= 0:
            raise RiskError(f"evaluate_stops: price for {pos.symbol} is {price!r}; expected a "
                            "finite positive Decimal.")
        assert pos.high_water is not None  # set in __post_init__
        high = max(pos.high_water, price)
        active = pos.rule or rule
        fired = _fires(pos, active, price, high, now_ns) if active is not None else None
        if fired is None:
            kept.append(pos if high == pos.high_water else replace(pos, high_water=high))
            continue
        reason, detail = fired
        base_symbol = pos.symbol.partition("/")[0]
        token = tokens.get(base_symbol)
        if token is None:
            raise RiskError(f"evaluate_stops: {base_symbol} is not in the token registry; add "
                            "its Token to tokens=.")
        amount = from_raw(to_raw(pos.amount, token.decimals, rounding=ROUND_DOWN), token.decimals)
        if amount <= 0:
            kept.append(pos)
            continue
        order = Order(
            client_order_id=f"{reason}-{base_symbol}-{now_ns}",
            strategy=pos.strategy,
            symbol=pos.symbol,
            side=Side.SELL,
            amount=amount,
            price=price,
            max_slippage_bps=max_slippage_bps,
            reduce_only=True,
            ts_init=now_ns,
        )
        exits.append(StopExit(order=order, reason=reason, detail=detail))
    return tuple(exits), tuple(kept)

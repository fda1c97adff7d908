"""The one risk gate every order passes, in backtest, paper and live.

:func:`check_order` is pure: the same order, snapshot, marks and limits always give the same
:class:`Decision`, with no clock, no I/O and no state, so the backtester and the live engine
share it. Accepted orders are *not* recorded here; the caller appends ``order.ts_init`` to the
snapshot's ``recent_order_ts`` for the orders-per-minute window.

Model (spot, long only):

* ``holdings`` are token amounts (human Decimals) keyed by token symbol, cash included.
* ``marks`` are USD prices keyed by token symbol; a cash token without a mark counts as $1.
* A BUY of ``BASE/QUOTE`` adds exposure to BASE; a SELL shrinks it and can sell at most what
  is held. Exposure-increasing limits apply only to buys, so an exit is never blocked by the
  limit it is trying to fix. Reduce-only sells skip the notional bounds too; depth and
  balance still cap them.
* Caps become a largest allowed amount; an order above it is RESIZED down (rounded down to
  the token's decimals with ``to_raw``), or REJECTED when the resized order would be empty or
  below the minimum notional. The rule that bound it is named in the decision.

Worked example: equity $10,000, no SOL held, SOL at $150, max_concentration_pct 60: the most
SOL allowed is 10,000 * 0.60 / 150 = 40 SOL. A buy of 50 SOL is resized to 40 SOL with rule
CONCENTRATION; if max_order_notional is $1,000 it is resized to 6.666666666 SOL instead (the
tighter cap, rounded down to 9 decimals) with rule MAX_NOTIONAL.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from decimal import ROUND_DOWN, Decimal
from typing import Protocol

from workbench.domain import WELL_KNOWN, Order, Side, Token, from_raw, to_raw
from workbench.errors import RiskError
from workbench.risk.breaker import TradingState
from workbench.risk.decision import Action, Decision, RejectReason
from workbench.risk.limits import RiskLimits

__all__ = ["PortfolioSnapshot", "PortfolioView", "RiskGate", "check_order", "orders_in_window"]

_MINUTE_NS = 60_000_000_000
_ZERO = Decimal(0)
_ONE = Decimal(1)
_HUNDRED = Decimal(100)
_EMPTY_PAUSES: Mapping[str, int] = {}


class PortfolioView(Protocol):
    """Anything with a snapshot's fields (``workbench.portfolio.Portfolio.snapshot()``)."""

    @property
    def holdings(self) -> Mapping[str, Decimal]:
        """Token symbol -> amount held."""
        ...

    @property
    def equity(self) -> Decimal:
        """Total value, USD."""
        ...

    @property
    def peak_equity(self) -> Decimal:
        """Highest equity seen, USD."""
        ...

    @property
    def day_pnl(self) -> Decimal:
        """Profit or loss since the day began, USD."""
        ...

    @property
    def recent_order_ts(self) -> tuple[int, ...]:
        """Recently accepted orders' ``ts_init``, ascending."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class PortfolioSnapshot:
    """What the gate needs to know about the account.

    ``workbench.portfolio.Portfolio.snapshot()`` returns an object with these fields; any
    object with them works (the two packages do not import each other).

    Attributes:
        holdings: token symbol -> amount held (human units, >= 0), cash tokens included.
        equity: total value in USD.
        peak_equity: highest equity seen (for drawdown), USD.
        day_pnl: profit (+) or loss (-) since the start of the trading day, USD.
        recent_order_ts: ``ts_init`` of recently accepted orders, ns, ascending.
    """

    holdings: Mapping[str, Decimal]
    equity: Decimal
    peak_equity: Decimal
    day_pnl: Decimal = _ZERO
    recent_order_ts: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        for name in ("equity", "peak_equity", "day_pnl"):
            value = getattr(self, name)
            if not isinstance(value, Decimal) or not value.is_finite():
                raise RiskError(f"PortfolioSnapshot {name}={value!r} must be a finite Decimal.")
        for symbol, amount in self.holdings.items():
            if not isinstance(amount, Decimal) or not amount.is_finite() or amount < 0:
                raise RiskError(
                    f"PortfolioSnapshot holding {symbol}={amount!r} must be a finite Decimal "
                    ">= 0 (spot accounts cannot hold negative amounts); reconcile the ledger."
                )


def orders_in_window(recent_order_ts: tuple[int, ...], now_ns: int,
                     window_ns: int = _MINUTE_NS) -> int:
    """How many of the ascending ``recent_order_ts`` fall in ``(now - window, now]``."""
    lo = bisect.bisect_right(recent_order_ts, now_ns - window_ns)
    hi = bisect.bisect_right(recent_order_ts, now_ns)
    return hi - lo


def _usd(x: Decimal) -> str:
    return f"{x.quantize(Decimal('0.01'), rounding=ROUND_DOWN)}"


def _reject(order: Order, rule: RejectReason, detail: str) -> Decision:
    return Decision(action=Action.REJECT, order=order, rule=rule, detail=detail)


def _good(x: Decimal | None) -> bool:
    return x is not None and x.is_finite() and x > 0


def check_order(
    order: Order,
    snapshot: PortfolioView,
    marks: Mapping[str, Decimal],
    limits: RiskLimits,
    *,
    tokens: Mapping[str, Token] = WELL_KNOWN,
    depth_usd: Decimal | None = None,
    state: TradingState = TradingState.ACTIVE,
    paused: Mapping[str, int] = _EMPTY_PAUSES,
) -> Decision:
    """Accept, resize or reject ``order`` against every active limit.

    Args:
        order: the order a strategy (or a stop, or the kill switch) wants to send.
        snapshot: holdings, equity, peak, day PnL and recent order times.
        marks: token symbol -> USD price; cash tokens default to $1.
        limits: the active limits.
        tokens: token symbol -> Token (mint, decimals); anything else is UNKNOWN_TOKEN.
        depth_usd: liquidity available within ``limits.depth_impact_bps`` of price impact
            for this pair, USD; None skips the depth cap unless ``limits.require_depth``.
        state: the circuit breaker's state.
        paused: symbol (or ``"*"`` for all) -> paused until ns, from ``protections``.

    Returns:
        A frozen Decision; REJECT carries the original order.
    """
    base_symbol, _, quote_symbol = order.symbol.partition("/")
    base = tokens.get(base_symbol)
    quote = tokens.get(quote_symbol)
    if base is None or quote is None:
        missing = base_symbol if base is None else quote_symbol
        return _reject(order, RejectReason.UNKNOWN_TOKEN,
                       f"{order.symbol}: token {missing!r} is not in the registry; add its Token "
                       "(mint, decimals) before trading it.")
    is_buy = order.side is Side.BUY

    if state is TradingState.HALTED:
        return _reject(order, RejectReason.HALTED, "trading is HALTED by the circuit breaker.")
    if is_buy:
        if state is TradingState.REDUCING:
            return _reject(order, RejectReason.REDUCING,
                           f"breaker is REDUCING; buy of {order.amount} {base_symbol} adds "
                           "exposure.")
        if order.reduce_only:
            return _reject(order, RejectReason.REDUCE_ONLY,
                           f"reduce-only buy of {order.amount} {base_symbol} would increase "
                           "exposure (spot accounts are long only).")
        mint = str(base.mint)
        if mint in limits.denied_mints:
            return _reject(order, RejectReason.DENIED_MINT,
                           f"{base_symbol} mint {mint} is on the denied list.")
        if limits.allowed_mints and mint not in limits.allowed_mints:
            return _reject(order, RejectReason.MINT_NOT_ALLOWED,
                           f"{base_symbol} mint {mint} is not on the allowed list "
                           f"({len(limits.allowed_mints)} mints).")
        if paused:
            until = max(paused.get(base_symbol, 0), paused.get("*", 0))
            if until > order.ts_init:
                scope = "all tokens" if paused.get("*", 0) == until else base_symbol
                return _reject(order, RejectReason.PAUSED,
                               f"entries on {scope} are paused until {until} ns "
                               f"(order at {order.ts_init}).")

    cash = limits.cash_tokens
    base_usd = marks.get(base_symbol)
    if base_usd is None and base_symbol in cash:
        base_usd = _ONE
    quote_usd = marks.get(quote_symbol)
    if quote_usd is None and quote_symbol in cash:
        quote_usd = _ONE
    if not _good(base_usd) or not _good(quote_usd):
        return _reject(order, RejectReason.BAD_MARK,
                       f"{order.symbol}: marks {base_symbol}={base_usd} {quote_symbol}="
                       f"{quote_usd} must be finite positive USD prices; refresh market data.")
    assert base_usd is not None and quote_usd is not None  # for type checkers; checked above
    mark_price = base_usd / quote_usd
    deviation = abs(order.price - mark_price) / mark_price * _HUNDRED
    if deviation > limits.max_price_deviation_pct:
        return _reject(order, RejectReason.PRICE_DEVIATION,
                       f"{order.symbol} order price {order.price} is {deviation:.2f}% from mark "
                       f"{mark_price:.6g}; max_price_deviation_pct="
                       f"{limits.max_price_deviation_pct}.")
    if order.max_slippage_bps > limits.max_slippage_bps:
        return _reject(order, RejectReason.MAX_SLIPPAGE,
                       f"max_slippage_bps={order.max_slippage_bps} is above the limit "
                       f"{limits.max_slippage_bps}; lower the order's slippage.")
    recent = orders_in_window(snapshot.recent_order_ts, order.ts_init)
    if recent >= limits.max_orders_per_minute:
        return _reject(order, RejectReason.RATE_LIMIT,
                       f"{recent} orders in the last 60 s; max_orders_per_minute="
                       f"{limits.max_orders_per_minute}.")

    unit_usd = order.price * quote_usd  # what one base unit costs in USD at the order's price
    notional = order.amount * unit_usd
    holdings = snapshot.holdings
    held = holdings.get(base_symbol, _ZERO)
    # (rule, largest allowed amount, detail) for each cap that applies
    caps: list[tuple[RejectReason, Decimal, Callable[[], str]]] = []

    if is_buy:
        if limits.max_daily_loss >= 0 and snapshot.day_pnl <= -limits.max_daily_loss:
            return _reject(order, RejectReason.DAILY_LOSS,
                           f"day PnL {_usd(snapshot.day_pnl)} USD reached max_daily_loss="
                           f"{limits.max_daily_loss}; only exits until tomorrow.")
        equity = snapshot.equity
        if equity <= 0:
            return _reject(order, RejectReason.NO_EQUITY, f"equity is {_usd(equity)} USD.")
        peak = snapshot.peak_equity
        if peak > 0:
            drawdown = (peak - equity) / peak * _HUNDRED
            if drawdown >= limits.max_drawdown_pct:
                return _reject(order, RejectReason.DRAWDOWN,
                               f"drawdown {drawdown:.2f}% from peak {_usd(peak)} to "
                               f"{_usd(equity)} USD reached max_drawdown_pct="
                               f"{limits.max_drawdown_pct}.")
        if notional < limits.min_order_notional:
            return _reject(order, RejectReason.MIN_NOTIONAL,
                           f"notional {_usd(notional)} USD is below min_order_notional="
                           f"{limits.min_order_notional}.")
        if base_symbol not in cash:
            gross = _ZERO
            group = limits.groups.get(base_symbol)
            group_value = _ZERO
            open_count = 0
            for symbol, amount in holdings.items():
                if symbol in cash or amount <= 0:
                    continue
                mark = base_usd if symbol == base_symbol else marks.get(symbol)
                if not _good(mark):
                    return _reject(order, RejectReason.BAD_MARK,
                                   f"held token {symbol} has mark {mark!r}; cannot value the "
                                   "portfolio, refresh market data.")
                assert mark is not None
                value = amount * mark
                gross += value
                open_count += 1
                if group is not None and limits.groups.get(symbol) == group:
                    group_value += value
            if held <= 0 and open_count >= limits.max_open_positions:
                return _reject(order, RejectReason.OPEN_POSITIONS,
                               f"{open_count} positions open; max_open_positions="
                               f"{limits.max_open_positions}.")
            held_value = held * base_usd
            caps.append((RejectReason.POSITION_LIMIT,
                         (limits.max_position_notional - held_value) / base_usd,
                         lambda: f"{base_symbol} position {_usd(held_value)} USD, "
                         f"max_position_notional={limits.max_position_notional}"))
            caps.append((RejectReason.GROSS_EXPOSURE,
                         (limits.max_gross_exposure - gross) / base_usd,
                         lambda: f"gross exposure {_usd(gross)} USD, max_gross_exposure="
                         f"{limits.max_gross_exposure}"))
            caps.append((RejectReason.CONCENTRATION,
                         (equity * limits.max_concentration_pct / _HUNDRED - held_value)
                         / base_usd,
                         lambda: f"{base_symbol} {_usd(held_value)} of equity {_usd(equity)} USD, "
                         f"max_concentration_pct={limits.max_concentration_pct}"))
            if group is not None:
                caps.append((RejectReason.GROUP_CONCENTRATION,
                             (equity * limits.max_group_concentration_pct / _HUNDRED
                              - group_value) / base_usd,
                             lambda: f"group {group!r} {_usd(group_value)} of equity "
                             f"{_usd(equity)} USD, max_group_concentration_pct="
                             f"{limits.max_group_concentration_pct}"))
        caps.append((RejectReason.MAX_NOTIONAL, limits.max_order_notional / unit_usd,
                     lambda: f"notional {_usd(notional)} USD, max_order_notional="
                     f"{limits.max_order_notional}"))
        quote_held = holdings.get(quote_symbol, _ZERO)
        caps.append((RejectReason.INSUFFICIENT_BALANCE, quote_held / order.price,
                     lambda: f"{quote_held} {quote_symbol} held, order spends "
                     f"{order.amount * order.price:.6g}"))
    else:
        if held <= 0:
            return _reject(order, RejectReason.INSUFFICIENT_BALANCE,
                           f"sell of {order.amount} {base_symbol} but none is held.")
        caps.append((RejectReason.INSUFFICIENT_BALANCE, held,
                     lambda: f"{held} {base_symbol} held, sell of {order.amount}"))
        if not order.reduce_only:
            if notional < limits.min_order_notional:
                return _reject(order, RejectReason.MIN_NOTIONAL,
                               f"notional {_usd(notional)} USD is below min_order_notional="
                               f"{limits.min_order_notional}.")
            caps.append((RejectReason.MAX_NOTIONAL, limits.max_order_notional / unit_usd,
                         lambda: f"notional {_usd(notional)} USD, max_order_notional="
                         f"{limits.max_order_notional}"))

    if depth_usd is not None:
        if not depth_usd.is_finite() or depth_usd < 0:
            return _reject(order, RejectReason.MARKET_DEPTH,
                           f"depth_usd={depth_usd} must be a finite number >= 0.")
        caps.append((RejectReason.MARKET_DEPTH, depth_usd * limits.max_depth_fraction / unit_usd,
                     lambda: f"depth {_usd(depth_usd)} USD within {limits.depth_impact_bps} bps, "
                     f"max_depth_fraction={limits.max_depth_fraction}"))
    elif limits.require_depth:
        return _reject(order, RejectReason.NO_DEPTH,
                       f"{order.symbol}: require_depth is set and no depth_usd was given.")

    allowed = order.amount
    rule: RejectReason | None = None
    explain: Callable[[], str] = str
    for cap_rule, cap, detail in caps:
        if cap < allowed:
            allowed, rule, explain = cap, cap_rule, detail
    decimals = base.decimals
    if rule is None:
        raw = to_raw(order.amount, decimals, rounding=ROUND_DOWN)
        rounded = from_raw(raw, decimals)
        if rounded == order.amount:
            return Decision(action=Action.ACCEPT, order=order)
        if raw <= 0:
            return _reject(order, RejectReason.BELOW_MIN_SIZE,
                           f"{order.amount} {base_symbol} is below one base unit "
                           f"(decimals={decimals}).")
        return Decision(action=Action.RESIZE, order=replace(order, amount=rounded),
                        rule=RejectReason.PRECISION,
                        detail=f"amount {order.amount} rounded down to {rounded} {base_symbol} "
                               f"(decimals={decimals}).")
    assert rule is not None
    why = explain()
    if allowed <= 0:
        return _reject(order, rule, f"no room: {why}.")
    raw = to_raw(allowed, decimals, rounding=ROUND_DOWN)
    if raw <= 0:
        return _reject(order, rule, f"{why}: room for {allowed:.6g} {base_symbol}, below one "
                                    f"base unit (decimals={decimals}).")
    resized = from_raw(raw, decimals)
    resized_notional = resized * unit_usd
    if not order.reduce_only and resized_notional < limits.min_order_notional:
        return _reject(order, rule, f"{why}: room for {resized} {base_symbol} "
                                    f"({_usd(resized_notional)} USD), below min_order_notional="
                                    f"{limits.min_order_notional}.")
    return Decision(action=Action.RESIZE, order=replace(order, amount=resized), rule=rule,
                    detail=f"{why}: resized {order.amount} -> {resized} {base_symbol} "
                           f"({_usd(resized_notional)} USD).")


@dataclass(frozen=True, slots=True, kw_only=True)
class RiskGate:
    """The gate with its limits and token registry bound, for engines and notebooks.

    Example:
        >>> gate = RiskGate(limits=limits_from_settings(settings.risk))
        >>> gate.check(order, snapshot, {"SOL": Decimal("150")}).action
        <Action.ACCEPT: 'accept'>
    """

    limits: RiskLimits
    tokens: Mapping[str, Token] = field(default_factory=lambda: dict(WELL_KNOWN))

    def check(
        self,
        order: Order,
        snapshot: PortfolioView,
        marks: Mapping[str, Decimal],
        *,
        depth_usd: Decimal | None = None,
        state: TradingState = TradingState.ACTIVE,
        paused: Mapping[str, int] = _EMPTY_PAUSES,
    ) -> Decision:
        """:func:`check_order` with this gate's limits and tokens."""
        return check_order(order, snapshot, marks, self.limits, tokens=self.tokens,
                           depth_usd=depth_usd, state=state, paused=paused)

    def with_limits(self, limits: RiskLimits) -> RiskGate:
        """A gate with new limits (after :func:`~workbench.risk.limits.change_limit`)."""
        return replace(self, limits=limits)

"""Rebalance toward target weights when drift passes a threshold, with the fewest trades.

Tolerance-band rebalancing: nothing trades until some token's weight is more than
``drift_threshold`` from its target; then only the tokens outside the band trade, each back
to its target, and cash absorbs the rest. Trading every token back to target would cost a
fee on each for drift that is within tolerance. Fees are counted: sells deliver their proceeds
net of fees, and buys are scaled down together when cash plus proceeds cannot pay for them and
their fees.

Worked example: $10,000 equity, targets SOL 50% / JUP 30% (20% cash), threshold 5%. SOL has
run to 62% and JUP is at 28%: only SOL is outside the band, so one sell of $1,200 of SOL; JUP
stays. With 30 bps fees the sell costs $3.60 and cash ends at $2,000 + $1,196.40.

Correlation caps: pass targets through ``workbench.risk.cap_group_weights`` first (the two
packages do not import each other; a notebook or the engine chains them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

import pandas as pd

from workbench.domain import WELL_KNOWN, Order, Side, Token, from_raw, to_raw
from workbench.errors import RiskError

__all__ = ["RebalancePlan", "plan_rebalance"]

_ZERO = Decimal(0)
_ONE = Decimal(1)
_BPS = Decimal(10_000)


@dataclass(frozen=True, slots=True, kw_only=True)
class RebalancePlan:
    """What a rebalance would do.

    Attributes:
        is_triggered: some drift passed the threshold.
        orders: sells first, then buys (amounts rounded down to base units).
        fees_usd: estimated fees of the orders.
        frame: one row per token (see :func:`plan_rebalance`).
    """

    is_triggered: bool
    orders: tuple[Order, ...]
    fees_usd: Decimal
    frame: pd.DataFrame


def plan_rebalance(
    holdings: Mapping[str, Decimal],
    marks: Mapping[str, Decimal],
    targets: Mapping[str, Decimal],
    *,
    now_ns: int,
    drift_threshold: Decimal = Decimal("0.05"),
    fee_bps: Decimal = Decimal("30"),
    fee_usd_per_trade: Decimal = _ZERO,
    min_trade_usd: Decimal = Decimal("10"),
    quote: str = "USDC",
    tokens: Mapping[str, Token] = WELL_KNOWN,
    strategy: str = "rebalance",
    max_slippage_bps: int = 100,
) -> RebalancePlan:
    """Plan the fewest trades that bring drifted tokens back to their targets.

    Args:
        holdings: token -> amount held, cash included.
        marks: token -> USD price (``quote`` defaults to $1 when unmarked).
        targets: token -> target weight of equity (Decimal, >= 0, summing to at most 1);
            the remainder is held in ``quote``. Held tokens without a target have target 0.
        now_ns: the orders' ``ts_init`` (bar time in a backtest).
        drift_threshold: absolute weight difference that triggers, e.g. 0.05 = 5 points.
        fee_bps / fee_usd_per_trade: swap fee and fixed network fee per trade.
        min_trade_usd: smaller trades are skipped (their fee outweighs the correction).
        quote: the cash token all trades go through.
        tokens: registry, for decimals.

    Returns:
        A RebalancePlan. Its ``frame`` is indexed by ``token`` with Decimal columns
        ``value_usd``, ``weight``, ``target``, ``drift``, ``trade_usd`` (+ buy, - sell),
        ``fee_usd``, ``amount`` and str ``side`` ("" when untouched).

    Raises:
        RiskError: bad weights, missing marks or tokens, or a negative holding.
    """
    _check_inputs(holdings, targets, drift_threshold, fee_bps)
    quote_usd = marks.get(quote, _ONE)
    universe = sorted((set(holdings) | set(targets)) - {quote})
    prices: dict[str, Decimal] = {}
    for token in universe:
        price = marks.get(token)
        if price is None or not price.is_finite() or price <= 0:
            raise RiskError(f"plan_rebalance: mark for {token} is {price!r}; every held or "
                            "targeted token needs a finite positive USD mark.")
        if token not in tokens:
            raise RiskError(f"plan_rebalance: {token} is not in the token registry.")
        prices[token] = price
    cash = holdings.get(quote, _ZERO) * quote_usd
    values = {t: holdings.get(t, _ZERO) * prices[t] for t in universe}
    equity = cash + sum(values.values(), _ZERO)
    if equity <= 0:
        raise RiskError(f"plan_rebalance: equity is {equity} USD; nothing to rebalance.")
    weights = {t: values[t] / equity for t in universe}
    drift = {t: weights[t] - targets.get(t, _ZERO) for t in universe}
    triggered = any(abs(d) > drift_threshold for d in drift.values())
    trade = dict.fromkeys(universe, _ZERO)
    fee_rate = fee_bps / _BPS
    if triggered:
        for t in universe:
            if abs(drift[t]) > drift_threshold:
                delta = -drift[t] * equity
                if abs(delta) >= min_trade_usd:
                    trade[t] = delta
        proceeds = sum((-d * (_ONE - fee_rate) - fee_usd_per_trade
                        for d in trade.values() if d < 0), _ZERO)
        wanted = {t: d for t, d in trade.items() if d > 0}
        cost = sum((d * (_ONE + fee_rate) + fee_usd_per_trade for d in wanted.values()), _ZERO)
        budget = cash + proceeds
        if cost > budget and wanted:
            # scale buys together so cash never goes negative, fees included
            fixed = fee_usd_per_trade * len(wanted)
            scale = max(_ZERO, (budget - fixed) / (cost - fixed)) if cost > fixed else _ZERO
            for t, d in wanted.items():
                scaled = d * scale
                trade[t] = scaled if scaled >= min_trade_usd else _ZERO
    sells: list[Order] = []
    buys: list[Order] = []
    rows = []
    fees_total = _ZERO
    for t in universe:
        amount = _ZERO
        side = ""
        fee = _ZERO
        delta = trade[t]
        if delta:
            token = tokens[t]
            amount = from_raw(to_raw(abs(delta) / prices[t], token.decimals,
                                     rounding=ROUND_DOWN), token.decimals)
            if delta < 0:
                amount = min(amount, holdings.get(t, _ZERO))
        if amount > 0:
            is_buy = delta > 0
            side = "buy" if is_buy else "sell"
            fee = amount * prices[t] * fee_rate + fee_usd_per_trade
            fees_total += fee
            order = Order(client_order_id=f"{strategy}-{t}-{now_ns}", strategy=strategy,
                          symbol=f"{t}/{quote}", side=Side.BUY if is_buy else Side.SELL,
                          amount=amount, price=prices[t] / quote_usd,
                          max_slippage_bps=max_slippage_bps, ts_init=now_ns)
            (buys if is_buy else sells).append(order)
        rows.append({"token": t, "value_usd": values[t], "weight": weights[t],
                     "target": targets.get(t, _ZERO), "drift": drift[t],
                     "trade_usd": (amount * prices[t]) * (1 if side == "buy" else -1)
                     if side else _ZERO,
                     "fee_usd": fee, "amount": amount, "side": side})
    frame = pd.DataFrame(rows, columns=["token", "value_usd", "weight", "target", "drift",
                                        "trade_usd", "fee_usd", "amount", "side"])
    return RebalancePlan(is_triggered=triggered, orders=tuple(sells + buys), fees_usd=fees_total,
                         frame=frame.set_index("token"))


def _check_inputs(holdings: Mapping[str, Decimal], targets: Mapping[str, Decimal],
                  drift_threshold: Decimal, fee_bps: Decimal) -> None:
    for token, w in targets.items():
        if not isinstance(w, Decimal) or not w.is_finite() or w < 0:
            raise RiskError(f"target weight for {token} is {w!r}; weights are Decimals >= 0.")
    total = sum(targets.values(), _ZERO)
    if total > 1:
        raise RiskError(f"target weights sum to {total}; they must sum to at most 1 (the rest "
                        "is cash).")
    for token, amount in holdings.items():
        if not isinstance(amount, Decimal) or not amount.is_finite() or amount < 0:
            raise RiskError(f"holding {token}={amount!r} must be a finite Decimal >= 0.")
    if not drift_threshold.is_finite() or not _ZERO <= drift_threshold < 1:
        raise RiskError(f"drift_threshold={drift_threshold} must be in [0, 1).")
    if not fee_bps.is_finite() or not _ZERO <= fee_bps < _BPS:
        raise RiskError(f"fee_bps={fee_bps} must be in [0, 10000).")

"""What the risk gate answers: accept, resize or reject, with the rule that fired.

Rules are a ``RejectReason`` enum with a human description table beside it
(``REJECT_REASON_DESC``), so the dashboard shows *why* an order was stopped and code acts on
the enum, never on the message text.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from workbench.domain import Order

__all__ = ["REJECT_REASON_DESC", "Action", "Decision", "RejectReason"]


class Action(enum.StrEnum):
    """The gate's verdict on one order."""

    ACCEPT = "accept"
    RESIZE = "resize"
    REJECT = "reject"


class RejectReason(enum.StrEnum):
    """The rule that resized or rejected an order."""

    HALTED = "halted"
    REDUCING = "reducing"
    PAUSED = "paused"
    UNKNOWN_TOKEN = "unknown_token"
    DENIED_MINT = "denied_mint"
    MINT_NOT_ALLOWED = "mint_not_allowed"
    BAD_MARK = "bad_mark"
    PRICE_DEVIATION = "price_deviation"
    MAX_SLIPPAGE = "max_slippage"
    RATE_LIMIT = "rate_limit"
    DAILY_LOSS = "daily_loss"
    DRAWDOWN = "drawdown"
    NO_EQUITY = "no_equity"
    REDUCE_ONLY = "reduce_only"
    OPEN_POSITIONS = "open_positions"
    MIN_NOTIONAL = "min_notional"
    MAX_NOTIONAL = "max_notional"
    POSITION_LIMIT = "position_limit"
    GROSS_EXPOSURE = "gross_exposure"
    CONCENTRATION = "concentration"
    GROUP_CONCENTRATION = "group_concentration"
    MARKET_DEPTH = "market_depth"
    NO_DEPTH = "no_depth"
    INSUFFICIENT_BALANCE = "insufficient_balance"
    BELOW_MIN_SIZE = "below_min_size"
    PRECISION = "precision"


REJECT_REASON_DESC: dict[RejectReason, str] = {
    RejectReason.HALTED: "the circuit breaker is HALTED: no order passes until cooldown or reset",
    RejectReason.REDUCING: "the circuit breaker is REDUCING: only orders that shrink exposure pass",
    RejectReason.PAUSED: "a protection paused new entries on this token (or on all tokens)",
    RejectReason.UNKNOWN_TOKEN: "the order's token is not in the token registry (mint/decimals)",
    RejectReason.DENIED_MINT: "the token's mint is on the denied list",
    RejectReason.MINT_NOT_ALLOWED: "an allowed list is set and the token's mint is not on it",
    RejectReason.BAD_MARK: "no usable mark (missing, NaN, zero or negative) to value the order",
    RejectReason.PRICE_DEVIATION: "the order's price is too far from the current mark",
    RejectReason.MAX_SLIPPAGE: "the order tolerates more slippage than allowed",
    RejectReason.RATE_LIMIT: "too many orders in the last minute",
    RejectReason.DAILY_LOSS: "today's loss reached the daily loss limit",
    RejectReason.DRAWDOWN: "equity fell too far below its peak",
    RejectReason.NO_EQUITY: "equity is zero or negative, so exposure limits cannot be met",
    RejectReason.REDUCE_ONLY: "a reduce-only order would increase exposure",
    RejectReason.OPEN_POSITIONS: "opening another position would exceed the open positions limit",
    RejectReason.MIN_NOTIONAL: "the order is smaller than the minimum notional",
    RejectReason.MAX_NOTIONAL: "the order is larger than the maximum notional",
    RejectReason.POSITION_LIMIT: "the token's position would exceed the per-token limit",
    RejectReason.GROSS_EXPOSURE: "total exposure across tokens would exceed the gross limit",
    RejectReason.CONCENTRATION: "one token would be too large a share of equity",
    RejectReason.GROUP_CONCENTRATION: "a group of correlated tokens would be too large a share",
    RejectReason.MARKET_DEPTH: "the order is too large a fraction of the market's depth",
    RejectReason.NO_DEPTH: "depth is required by the limits but none was given",
    RejectReason.INSUFFICIENT_BALANCE: "the wallet holds less than the order spends",
    RejectReason.BELOW_MIN_SIZE: "rounded down to the token's decimals the order is empty",
    RejectReason.PRECISION: "the amount had more decimals than the token; rounded down",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision:
    """The gate's answer for one order.

    Attributes:
        action: ACCEPT, RESIZE (``order`` is the smaller order to send) or REJECT.
        order: the order to send (resized when RESIZE), or the original when REJECT.
        rule: the rule that resized or rejected it; None when accepted unchanged.
        detail: one sentence naming the values compared, for people.
    """

    action: Action
    order: Order
    rule: RejectReason | None = None
    detail: str = ""

    @property
    def is_allowed(self) -> bool:
        """True when the (possibly resized) order may be sent."""
        return self.action is not Action.REJECT

    @property
    def description(self) -> str:
        """The rule's general description, or empty when accepted unchanged."""
        return REJECT_REASON_DESC[self.rule] if self.rule is not None else ""

"""Orders, their lifecycle, and fills.

An order's life::

    NEW -> ACCEPTED (risk gate) -> SUBMITTED (intent stored, tx signed) -> FILLED
                \\-> REJECTED                     \\-> EXPIRED (blockhash passed) | FAILED

A client order id is created once per order and carried in the transaction's memo, so the
ledger and the chain can be matched after a crash.
"""

from __future__ import annotations

import enum
import os
import time
from dataclasses import dataclass, field
from decimal import Decimal

from workbench.errors import RiskError

__all__ = [
    "ORDER_STATUS_DESC",
    "Fill",
    "Order",
    "OrderStatus",
    "Side",
    "new_client_order_id",
]


class Side(enum.StrEnum):
    """Side of the base token: BUY spends quote to get base."""

    BUY = "buy"
    SELL = "sell"

    @property
    def sign(self) -> int:
        """+1 for buy, -1 for sell."""
        return 1 if self is Side.BUY else -1


class OrderStatus(enum.StrEnum):
    """Where an order is in its lifecycle."""

    NEW = "new"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    SUBMITTED = "submitted"
    FILLED = "filled"
    EXPIRED = "expired"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_final(self) -> bool:
        """True once the order can change no more."""
        return self in _FINAL


_FINAL = {OrderStatus.REJECTED, OrderStatus.FILLED, OrderStatus.EXPIRED, OrderStatus.FAILED,
          OrderStatus.CANCELLED}

ORDER_STATUS_DESC: dict[OrderStatus, str] = {
    OrderStatus.NEW: "decided by a strategy, not yet checked",
    OrderStatus.ACCEPTED: "passed the risk gate, not yet sent",
    OrderStatus.REJECTED: "refused by the risk gate or the venue",
    OrderStatus.SUBMITTED: "intent stored and transaction signed; may land",
    OrderStatus.FILLED: "confirmed on chain; fills recorded",
    OrderStatus.EXPIRED: "blockhash expired before landing; cannot land any more",
    OrderStatus.FAILED: "landed and failed on chain, or simulation refused it",
    OrderStatus.CANCELLED: "cancelled before sending (kill switch or user)",
}


def new_client_order_id(prefix: str = "wb") -> str:
    """A unique, time-sortable client order id, short enough for a memo."""
    return f"{prefix}-{time.time_ns():x}-{os.urandom(4).hex()}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Order:
    """A market swap order decided by a strategy.

    Attributes:
        client_order_id: unique id, also written in the transaction memo.
        strategy: the strategy that decided it.
        symbol: pair symbol, e.g. ``SOL/USDC``.
        side: buy or sell of the base token.
        amount: base-token amount in human units.
        price: the reference price the strategy saw (quote per base), for limits and slippage.
        max_slippage_bps: the worst fill accepted versus ``price``.
        venue: a venue name, or None to let the router choose.
        reduce_only: True for exits (stops, flatten); passes the gate when REDUCING.
        ts_init: when it was decided, ns.
    """

    client_order_id: str
    strategy: str
    symbol: str
    side: Side
    amount: Decimal
    price: Decimal
    max_slippage_bps: int = 100
    venue: str | None = None
    reduce_only: bool = False
    ts_init: int = field(default_factory=time.time_ns)

    def __post_init__(self) -> None:
        if not self.amount.is_finite() or self.amount <= 0:
            raise RiskError(f"Order {self.client_order_id}: amount={self.amount} must be > 0.")
        if not self.price.is_finite() or self.price <= 0:
            raise RiskError(
                f"Order {self.client_order_id}: price={self.price} must be a finite positive price."
            )
        if not 0 <= self.max_slippage_bps <= 10_000:
            raise RiskError(
                f"Order {self.client_order_id}: max_slippage_bps={self.max_slippage_bps} must be "
                "in 0..10000."
            )

    @property
    def notional(self) -> Decimal:
        """amount * price in quote units."""
        return self.amount * self.price


@dataclass(frozen=True, slots=True, kw_only=True)
class Fill:
    """One execution; amounts are exact human Decimals derived from on-chain base units.

    Attributes:
        client_order_id: the order this fill belongs to.
        symbol: pair symbol.
        side: buy or sell of the base token.
        base_amount: base tokens bought or sold.
        quote_amount: quote tokens paid or received (fees in the pool are inside it).
        fee_lamports: network + priority fee + tip paid in lamports.
        venue: where it executed.
        signature: transaction signature (base58), None only in the vectorised backtester.
        ts_event: chain time (or bar time in a backtest), ns.
    """

    client_order_id: str
    symbol: str
    side: Side
    base_amount: Decimal
    quote_amount: Decimal
    fee_lamports: int
    venue: str
    signature: str | None
    ts_event: int

    @property
    def price(self) -> Decimal:
        """Average fill price, quote per base."""
        return self.quote_amount / self.base_amount

"""Drift v2 records as Borsh lays them out (drift-labs/protocol-v2 ``state/order_params.rs``,
``state/user.rs``). Enums are one-byte variant indexes; ``Option<T>`` is a 0/1 tag then T.
"""

from __future__ import annotations

import enum

import msgspec

__all__ = [
    "MarketType",
    "OrderParams",
    "OrderTriggerCondition",
    "OrderType",
    "PerpPosition",
    "PositionDirection",
    "PostOnlyParam",
    "SpotPosition",
]


class OrderType(enum.IntEnum):
    """``OrderType`` variants in declaration order."""

    MARKET = 0
    LIMIT = 1
    TRIGGER_MARKET = 2
    TRIGGER_LIMIT = 3
    ORACLE = 4


class MarketType(enum.IntEnum):
    """``MarketType``: spot or perp."""

    SPOT = 0
    PERP = 1


class PositionDirection(enum.IntEnum):
    """``PositionDirection``: long buys base, short sells it."""

    LONG = 0
    SHORT = 1


class PostOnlyParam(enum.IntEnum):
    """``PostOnlyParam``."""

    NONE = 0
    MUST_POST_ONLY = 1
    TRY_POST_ONLY = 2
    SLIDE = 3


class OrderTriggerCondition(enum.IntEnum):
    """``OrderTriggerCondition``."""

    ABOVE = 0
    BELOW = 1
    TRIGGERED_ABOVE = 2
    TRIGGERED_BELOW = 3


class OrderParams(msgspec.Struct, frozen=True, kw_only=True):
    """``OrderParams``, field for field in Borsh order.

    Precisions (Drift constants): ``base_asset_amount`` in BASE_PRECISION (1e9), ``price`` and
    auction prices in PRICE_PRECISION (1e6), ``oracle_price_offset`` in PRICE_PRECISION.
    ``bit_flags`` is not in the layout read from the program source; set it only if the
    deployed program's IDL has it (it is then appended as a u8).
    """

    order_type: OrderType
    market_type: MarketType
    direction: PositionDirection
    user_order_id: int = 0  # u8
    base_asset_amount: int  # u64
    price: int = 0  # u64; 0 = no limit for market orders
    market_index: int  # u16
    reduce_only: bool = False
    post_only: PostOnlyParam = PostOnlyParam.NONE
    immediate_or_cancel: bool = False
    max_ts: int | None = None  # Option<i64>, unix seconds
    trigger_price: int | None = None  # Option<u64>
    trigger_condition: OrderTriggerCondition = OrderTriggerCondition.ABOVE
    oracle_price_offset: int | None = None  # Option<i32>
    auction_duration: int | None = None  # Option<u8>, slots
    auction_start_price: int | None = None  # Option<i64>
    auction_end_price: int | None = None  # Option<i64>
    bit_flags: int | None = None  # see docstring


class SpotPosition(msgspec.Struct, frozen=True, kw_only=True):
    """``SpotPosition`` (40 bytes): a deposit or borrow in one spot market."""

    scaled_balance: int
    market_index: int
    is_borrow: bool
    open_orders: int


class PerpPosition(msgspec.Struct, frozen=True, kw_only=True):
    """``PerpPosition`` (96 bytes); amounts are signed: base > 0 is long.

    ``base_asset_amount`` in BASE_PRECISION (1e9), ``quote_asset_amount`` and
    ``quote_entry_amount`` in QUOTE_PRECISION (1e6).
    """

    market_index: int
    base_asset_amount: int
    quote_asset_amount: int
    quote_break_even_amount: int
    quote_entry_amount: int
    open_bids: int
    open_asks: int
    settled_pnl: int
    lp_shares: int
    open_orders: int

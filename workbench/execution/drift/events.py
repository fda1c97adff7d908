"""Drift ``OrderActionRecord`` events from a confirmed transaction's logs: fills, pure.

Drift emits each order action with Anchor's ``emit!``: a log line ``Program data: <base64>``
whose bytes are ``sha256("event:OrderActionRecord")[:8]`` then the Borsh record. Layout from
drift-labs/protocol-v2 ``programs/drift/src/state/events.rs`` (``Option<T>`` is a 0/1 tag then
T; enums one byte; integers little endian)::

    ts i64 | action u8 | action_explanation u8 | market_index u16 | market_type u8
    filler Option<Pubkey> | filler_reward Option<u64> | fill_record_id Option<u64>
    base_asset_amount_filled Option<u64> | quote_asset_amount_filled Option<u64>
    taker_fee Option<u64> | maker_fee Option<i64> | referrer_reward Option<u32>
    quote_asset_amount_surplus Option<i64> | spot_fulfillment_method_fee Option<u64>
    taker Option<Pubkey> | taker_order_id Option<u32> | taker_order_direction Option<u8>
    taker_order_base_asset_amount Option<u64>
    taker_order_cumulative_base_asset_amount_filled Option<u64>
    taker_order_cumulative_quote_asset_amount_filled Option<u64>
    maker ... (the same six fields for the maker)
    oracle_price i64
    (newer programs) bit_flags u8 | taker_existing_quote_entry_amount Option<u64>
    taker_existing_base_asset_amount Option<u64> | maker_existing_quote_entry_amount Option<u64>
    maker_existing_base_asset_amount Option<u64> | trigger_price Option<u64>
    builder_idx Option<u8> | builder_fee Option<u64>

The fields after ``oracle_price`` were appended over time, so they are read when present.
``taker``/``maker`` are User account addresses (PDA ``["user", authority, sub_account]``), not
wallets. Amounts: base in BASE_PRECISION (1e9), quote and fees in QUOTE_PRECISION (1e6),
``maker_fee`` negative for a rebate.
"""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import msgspec
from solders.pubkey import Pubkey

from workbench.errors import SchemaError
from workbench.execution.drift.parse import position_change
from workbench.execution.drift.schemas import MarketType, PerpPosition, PositionDirection

__all__ = [
    "ORDER_ACTION_RECORD_DISCRIMINATOR",
    "DriftFill",
    "FillReconciliation",
    "OrderAction",
    "OrderActionExplanation",
    "OrderActionRecord",
    "decode_order_action_record",
    "fills_for_user",
    "order_action_records",
    "placed_order_ids",
    "reconcile_fills",
]

ORDER_ACTION_RECORD_DISCRIMINATOR = hashlib.sha256(b"event:OrderActionRecord").digest()[:8]
_DATA_PREFIX = "Program data: "


class OrderAction(enum.IntEnum):
    """``OrderAction`` variants in declaration order."""

    PLACE = 0
    CANCEL = 1
    FILL = 2
    TRIGGER = 3
    EXPIRE = 4


class OrderActionExplanation(enum.IntEnum):
    """``OrderActionExplanation`` variants in declaration order."""

    NONE = 0
    INSUFFICIENT_FREE_COLLATERAL = 1
    ORACLE_PRICE_BREACHED_LIMIT_PRICE = 2
    MARKET_ORDER_FILLED_TO_LIMIT_PRICE = 3
    ORDER_EXPIRED = 4
    LIQUIDATION = 5
    ORDER_FILLED_WITH_AMM = 6
    ORDER_FILLED_WITH_AMM_JIT = 7
    ORDER_FILLED_WITH_MATCH = 8
    ORDER_FILLED_WITH_MATCH_JIT = 9
    MARKET_EXPIRED = 10
    RISKING_INCREASING_ORDER = 11
    REDUCE_ONLY_ORDER_INCREASED_POSITION = 12
    ORDER_FILL_WITH_SERUM = 13
    NO_BORROW_LIQUIDITY = 14
    ORDER_FILL_WITH_PHOENIX = 15
    ORDER_FILLED_WITH_AMM_JIT_LP_SPLIT = 16
    ORDER_FILLED_WITH_LP_JIT = 17
    DERISK_LP = 18
    ORDER_FILLED_WITH_OPENBOOK_V2 = 19
    TRANSFER_PERP_POSITION = 20


class OrderActionRecord(msgspec.Struct, frozen=True, kw_only=True):
    """One decoded ``OrderActionRecord`` (None where the program wrote ``None``).

    ``action`` and ``action_explanation`` stay ints when a newer program adds variants.
    """

    ts: int
    action: int
    action_explanation: int
    market_index: int
    market_type: int
    filler: Pubkey | None
    filler_reward: int | None
    fill_record_id: int | None
    base_asset_amount_filled: int | None
    quote_asset_amount_filled: int | None
    taker_fee: int | None
    maker_fee: int | None
    referrer_reward: int | None
    quote_asset_amount_surplus: int | None
    spot_fulfillment_method_fee: int | None
    taker: Pubkey | None
    taker_order_id: int | None
    taker_order_direction: int | None
    taker_order_base_asset_amount: int | None
    taker_order_cumulative_base_asset_amount_filled: int | None
    taker_order_cumulative_quote_asset_amount_filled: int | None
    maker: Pubkey | None
    maker_order_id: int | None
    maker_order_direction: int | None
    maker_order_base_asset_amount: int | None
    maker_order_cumulative_base_asset_amount_filled: int | None
    maker_order_cumulative_quote_asset_amount_filled: int | None
    oracle_price: int
    bit_flags: int | None = None
    trigger_price: int | None = None
    builder_fee: int | None = None


class _Reader:
    """Sequential Borsh reads that say which field ran out of bytes."""

    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def done(self) -> bool:
        return self.at >= len(self.data)

    def take(self, fmt: str, field: str) -> int:
        size = struct.calcsize("<" + fmt)
        if self.at + size > len(self.data):
            raise SchemaError(
                f"OrderActionRecord ends at byte {len(self.data)} inside {field!r} (needs "
                f"{size} bytes at {self.at}); the event is truncated or not this layout.",
                source="drift OrderActionRecord",
                payload=self.data[:96].hex(),
            )
        (value,) = struct.unpack_from("<" + fmt, self.data, self.at)
        self.at += size
        return value

    def key(self, field: str) -> Pubkey:
        if self.at + 32 > len(self.data):
            self.take("32s", field)  # raises with the field name
        raw = self.data[self.at : self.at + 32]
        self.at += 32
        return Pubkey.from_bytes(raw)

    def option(self, fmt: str, field: str) -> int | None:
        tag = self.take("B", field)
        if tag > 1:
            raise SchemaError(
                f"OrderActionRecord field {field!r} has Option tag {tag} (0 or 1 expected).",
                source="drift OrderActionRecord",
                payload=self.data[:96].hex(),
            )
        return self.take(fmt, field) if tag else None

    def option_key(self, field: str) -> Pubkey | None:
        return self.key(field) if self.take("B", field) else None


def _side(r: _Reader, who: str) -> dict:
    return {
        who: r.option_key(who),
        f"{who}_order_id": r.option("I", f"{who}_order_id"),
        f"{who}_order_direction": r.option("B", f"{who}_order_direction"),
        f"{who}_order_base_asset_amount": r.option("Q", f"{who}_order_base_asset_amount"),
        f"{who}_order_cumulative_base_asset_amount_filled": r.option(
            "Q", f"{who}_order_cumulative_base_asset_amount_filled"
        ),
        f"{who}_order_cumulative_quote_asset_amount_filled": r.option(
            "Q", f"{who}_order_cumulative_quote_asset_amount_filled"
        ),
    }


def decode_order_action_record(data: bytes) -> OrderActionRecord | None:
    """Decode an event's bytes (discriminator included); None for any other event.

    Raises:
        SchemaError: the discriminator matches but the bytes do not fit the layout.
    """
    if data[:8] != ORDER_ACTION_RECORD_DISCRIMINATOR:
        return None
    r = _Reader(data)
    r.at = 8
    fields: dict = {
        "ts": r.take("q", "ts"),
        "action": r.take("B", "action"),
        "action_explanation": r.take("B", "action_explanation"),
        "market_index": r.take("H", "market_index"),
        "market_type": r.take("B", "market_type"),
        "filler": r.option_key("filler"),
        "filler_reward": r.option("Q", "filler_reward"),
        "fill_record_id": r.option("Q", "fill_record_id"),
        "base_asset_amount_filled": r.option("Q", "base_asset_amount_filled"),
        "quote_asset_amount_filled": r.option("Q", "quote_asset_amount_filled"),
        "taker_fee": r.option("Q", "taker_fee"),
        "maker_fee": r.option("q", "maker_fee"),
        "referrer_reward": r.option("I", "referrer_reward"),
        "quote_asset_amount_surplus": r.option("q", "quote_asset_amount_surplus"),
        "spot_fulfillment_method_fee": r.option("Q", "spot_fulfillment_method_fee"),
    }
    fields |= _side(r, "taker")
    fields |= _side(r, "maker")
    fields["oracle_price"] = r.take("q", "oracle_price")
    if not r.done():  # fields appended by newer programs
        fields["bit_flags"] = r.take("B", "bit_flags")
        for name in (
            "taker_existing_quote_entry_amount",
            "taker_existing_base_asset_amount",
            "maker_existing_quote_entry_amount",
            "maker_existing_base_asset_amount",
        ):
            if r.done():
                break
            r.option("Q", name)
        if not r.done():
            fields["trigger_price"] = r.option("Q", "trigger_price")
        if not r.done():
            r.option("B", "builder_idx")
        if not r.done():
            fields["builder_fee"] = r.option("Q", "builder_fee")
    return OrderActionRecord(**fields)


def order_action_records(
    logs: Iterable[str], program_id: Pubkey | str | None = None
) -> list[OrderActionRecord]:
    """Every ``OrderActionRecord`` in a transaction's log messages, in log order.

    With ``program_id`` only events logged while that program is the innermost invoked one
    count (a CPI-ing program's own ``Program data`` lines are skipped).
    """
    program = str(program_id) if program_id is not None else None
    stack: list[str] = []
    out = []
    for line in logs:
        if line.startswith("Program ") and " invoke [" in line:
            stack.append(line.split(" ", 2)[1])
            continue
        if line.startswith("Program ") and (line.endswith(" success") or " failed" in line):
            if stack and line.split(" ", 2)[1] == stack[-1]:
                stack.pop()
            continue
        if not line.startswith(_DATA_PREFIX):
            continue
        if program is not None and (not stack or stack[-1] != program):
            continue
        try:
            data = base64.b64decode(line[len(_DATA_PREFIX) :], validate=True)
        except (binascii.Error, ValueError):
            continue
        record = decode_order_action_record(data)
        if record is not None:
            out.append(record)
    return out


@dataclass(frozen=True, slots=True, kw_only=True)
class DriftFill:
    """One fill of one of the user's orders, from the user's side.

    Attributes:
        role: ``taker`` or ``maker``.
        direction: the user's order direction.
        base_asset_amount: base filled (1e9), unsigned.
        quote_asset_amount: notional filled (1e6), unsigned.
        fee: what the user paid (1e6); negative is a maker rebate.
        order_id: the user's order id.
        counterparty: the other User account (None when filled against the AMM).
    """

    market_index: int
    market_type: MarketType
    role: str
    direction: PositionDirection
    base_asset_amount: int
    quote_asset_amount: int
    fee: int
    order_id: int | None
    fill_record_id: int | None
    oracle_price: int
    ts: int
    counterparty: Pubkey | None

    @property
    def base_delta(self) -> int:
        """Signed change of the user's base position."""
        sign = 1 if self.direction is PositionDirection.LONG else -1
        return sign * self.base_asset_amount

    @property
    def quote_delta(self) -> int:
        """Signed change of the user's quote_asset_amount: notional against base, less fee."""
        sign = -1 if self.direction is PositionDirection.LONG else 1
        return sign * self.quote_asset_amount - self.fee


def fills_for_user(records: Iterable[OrderActionRecord], user: Pubkey) -> list[DriftFill]:
    """The ``Fill`` records where ``user`` (a User account) was taker or maker."""
    out = []
    for r in records:
        if r.action != OrderAction.FILL or r.base_asset_amount_filled is None:
            continue
        sides = (
            ("taker", r.taker, r.taker_order_direction, r.taker_fee, r.taker_order_id, r.maker),
            ("maker", r.maker, r.maker_order_direction, r.maker_fee, r.maker_order_id, r.taker),
        )
        for role, who, direction, fee, order_id, other in sides:
            if who != user or direction is None:
                continue
            out.append(
                DriftFill(
                    market_index=r.market_index,
                    market_type=MarketType(r.market_type),
                    role=role,
                    direction=PositionDirection(direction),
                    base_asset_amount=r.base_asset_amount_filled,
                    quote_asset_amount=r.quote_asset_amount_filled or 0,
                    fee=fee or 0,
                    order_id=order_id,
                    fill_record_id=r.fill_record_id,
                    oracle_price=r.oracle_price,
                    ts=r.ts,
                    counterparty=other,
                )
            )
    return out


def placed_order_ids(records: Iterable[OrderActionRecord], user: Pubkey) -> list[int]:
    """Ids of the orders ``user`` placed in these records (to match later fills)."""
    return [
        r.taker_order_id
        for r in records
        if r.action == OrderAction.PLACE and r.taker == user and r.taker_order_id is not None
    ]


@dataclass(frozen=True, slots=True, kw_only=True)
class FillReconciliation:
    """Fills from the logs against the change between two User snapshots, one market.

    ``base_matches`` is the check that matters; quote can differ by funding settled in the same
    instruction, which moves ``quote_asset_amount`` without a fill.
    """

    fills_base: int
    fills_quote: int
    position_base: int
    position_quote: int

    @property
    def base_matches(self) -> bool:
        """Base filled per the events equals the position's base change."""
        return self.fills_base == self.position_base

    @property
    def matches(self) -> bool:
        """Base and quote both agree."""
        return self.base_matches and self.fills_quote == self.position_quote


def reconcile_fills(
    fills: Sequence[DriftFill],
    before: Sequence[PerpPosition],
    after: Sequence[PerpPosition],
    market_index: int,
) -> FillReconciliation:
    """Cross-check event fills with the position snapshots (``parse.position_change``)."""
    mine = [f for f in fills if f.market_index == market_index]
    base, quote = position_change(before, after, market_index)
    return FillReconciliation(
        fills_base=sum(f.base_delta for f in mine),
        fills_quote=sum(f.quote_delta for f in mine),
        position_base=base,
        position_quote=quote,
    )

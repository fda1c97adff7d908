"""Pure Drift encoding and decoding: OrderParams (Borsh), the User account, PerpMarket oracle.

Borsh, as Anchor uses it: integers little endian, ``bool`` and enum variants one byte,
``Option<T>`` a one-byte tag (0 = None, 1 = Some) followed by T.

User account layout (``state/user.rs``, zero-copy, after the 8-byte discriminator)::

    authority 32 | delegate 32 | name 32 | spot_positions 8 x 40 | perp_positions 8 x 96 | orders
    offsets:  8      40          72        104                     424                   1192

PerpPosition (96 bytes): last_cumulative_funding_rate i64 @0, base_asset_amount i64 @8,
quote_asset_amount i64 @16, quote_break_even_amount i64 @24, quote_entry_amount i64 @32,
open_bids i64 @40, open_asks i64 @48, settled_pnl i64 @56, lp_shares u64 @64, ... market_index
u16 @92, open_orders u8 @94.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Sequence

from solders.pubkey import Pubkey

from workbench.errors import SchemaError
from workbench.execution.drift.schemas import OrderParams, PerpPosition, SpotPosition

__all__ = [
    "PERP_MARKET_DISCRIMINATOR",
    "USER_DISCRIMINATOR",
    "decode_perp_positions",
    "decode_spot_positions",
    "decode_user_authority",
    "encode_order_params",
    "perp_market_oracle",
    "position_change",
]

USER_DISCRIMINATOR = hashlib.sha256(b"account:User").digest()[:8]
PERP_MARKET_DISCRIMINATOR = hashlib.sha256(b"account:PerpMarket").digest()[:8]
_SPOT_AT, _SPOT_SIZE = 104, 40
_PERP_AT, _PERP_SIZE = 424, 96
_POSITIONS_END = _PERP_AT + 8 * _PERP_SIZE  # 1192, where orders start
_PERP = struct.Struct("<qqqqqqqqQqqiHBb")  # 96 bytes


def _option(fmt: str, value: int | None) -> bytes:
    return b"\x00" if value is None else b"\x01" + struct.pack("<" + fmt, value)


def encode_order_params(params: OrderParams) -> bytes:
    """Borsh bytes of ``params`` (the argument of ``place_perp_order``).

    Example:
        A 1 SOL market long on market 0 with no options is 8 bytes of header fields and amounts,
        then a ``None`` tag for each option: see the known-answer test in
        ``tests/execution/venues/test_drift_venue.py``.
    """
    out = bytearray()
    out += struct.pack(
        "<BBBBQQH?B?",
        params.order_type,
        params.market_type,
        params.direction,
        params.user_order_id,
        params.base_asset_amount,
        params.price,
        params.market_index,
        params.reduce_only,
        params.post_only,
        params.immediate_or_cancel,
    )
    out += _option("q", params.max_ts)
    out += _option("Q", params.trigger_price)
    out += struct.pack("<B", params.trigger_condition)
    out += _option("i", params.oracle_price_offset)
    out += _option("B", params.auction_duration)
    out += _option("q", params.auction_start_price)
    out += _option("q", params.auction_end_price)
    if params.bit_flags is not None:
        out += struct.pack("<B", params.bit_flags)
    return bytes(out)


def _check_user(data: bytes, source: str) -> None:
    if len(data) < _POSITIONS_END or data[:8] != USER_DISCRIMINATOR:
        raise SchemaError(
            f"{source} is not a Drift User account ({len(data)} bytes, discriminator "
            f"{data[:8].hex()}; expected {USER_DISCRIMINATOR.hex()} and >= {_POSITIONS_END} "
            "bytes). Check the user PDA: ['user', authority, sub_account_id u16 LE].",
            source=source,
            payload=data[:64].hex(),
        )


def decode_user_authority(data: bytes, *, source: str = "user account") -> Pubkey:
    """The wallet that owns a User account."""
    _check_user(data, source)
    return Pubkey.from_bytes(data[8:40])


def decode_perp_positions(data: bytes, *, source: str = "user account") -> list[PerpPosition]:
    """The User account's open perp positions (empty slots skipped, as Drift's SDKs do)."""
    _check_user(data, source)
    positions = []
    for slot in range(8):
        (
            _funding,
            base,
            quote,
            break_even,
            entry,
            bids,
            asks,
            settled,
            lp_shares,
            _base_per_lp,
            _quote_per_lp,
            _remainder,
            market_index,
            open_orders,
            _per_lp_base,
        ) = _PERP.unpack_from(data, _PERP_AT + slot * _PERP_SIZE)
        if base == 0 and quote == 0 and open_orders == 0 and lp_shares == 0:
            continue
        positions.append(
            PerpPosition(
                market_index=market_index,
                base_asset_amount=base,
                quote_asset_amount=quote,
                quote_break_even_amount=break_even,
                quote_entry_amount=entry,
                open_bids=bids,
                open_asks=asks,
                settled_pnl=settled,
                lp_shares=lp_shares,
                open_orders=open_orders,
            )
        )
    return positions


def decode_spot_positions(data: bytes, *, source: str = "user account") -> list[SpotPosition]:
    """The User account's non-empty spot positions (collateral deposits and borrows)."""
    _check_user(data, source)
    positions = []
    for slot in range(8):
        at = _SPOT_AT + slot * _SPOT_SIZE
        (scaled_balance,) = struct.unpack_from("<Q", data, at)
        market_index, balance_type, open_orders = struct.unpack_from("<HBB", data, at + 32)
        if scaled_balance == 0 and open_orders == 0:
            continue
        positions.append(
            SpotPosition(
                scaled_balance=scaled_balance,
                market_index=market_index,
                is_borrow=balance_type == 1,
                open_orders=open_orders,
            )
        )
    return positions


def perp_market_oracle(data: bytes, *, source: str = "perp market") -> Pubkey:
    """``PerpMarket.amm.oracle``: the first field of the AMM, which follows the market pubkey.

    Layout from ``state/perp_market.rs`` (``pubkey: Pubkey`` then ``amm: AMM`` whose first field
    is ``oracle``); not checked against a recorded account (none available).
    """
    if len(data) < 72 or data[:8] != PERP_MARKET_DISCRIMINATOR:
        raise SchemaError(
            f"{source} is not a Drift PerpMarket account (discriminator {data[:8].hex()}, "
            f"expected {PERP_MARKET_DISCRIMINATOR.hex()}).",
            source=source,
            payload=data[:64].hex(),
        )
    return Pubkey.from_bytes(data[40:72])


def position_change(
    before: Sequence[PerpPosition], after: Sequence[PerpPosition], market_index: int
) -> tuple[int, int]:
    """(base_delta, quote_delta) of one market between two User snapshots.

    A perp fill moves no tokens: it changes ``base_asset_amount`` (1e9) and
    ``quote_asset_amount`` (1e6, fees included) in the User account, so fills are read here.
    """

    def pick(positions: Sequence[PerpPosition]) -> tuple[int, int]:
        for p in positions:
            if p.market_index == market_index:
                return p.base_asset_amount, p.quote_asset_amount
        return 0, 0

    base0, quote0 = pick(before)
    base1, quote1 = pick(after)
    return base1 - base0, quote1 - quote0

"""Orca Whirlpool (``whirLbMiicVdio4qvUfM5KAg6Ct8VwpYzGff3uctyCc``) pool state.

A concentrated-liquidity pool: the price is ``(sqrt_price / 2**64) ** 2`` token B per token A
in base units (Q64.64 fixed point), ``liquidity`` is the active virtual liquidity L inside the
current tick range, and ``fee_rate`` is in hundredths of a basis point (3000 = 0.30%).

Layout (Anchor, 653 bytes)::

    0    [u8; 8]   discriminator sha256("account:Whirlpool")[:8]
    8    Pubkey    whirlpools_config
    40   u8        whirlpool_bump
    41   u16       tick_spacing
    43   [u8; 2]   tick_spacing_seed (fee_tier_index_seed in newer programs)
    45   u16       fee_rate           (1e-6 units)
    47   u16       protocol_fee_rate  (1e-4 of the fee)
    49   u128      liquidity
    65   u128      sqrt_price         (Q64.64)
    81   i32       tick_current_index
    85   u64 x 2   protocol_fee_owed_a, protocol_fee_owed_b
    101  Pubkey    token_mint_a, 133 token_vault_a, 165 u128 fee_growth_global_a
    181  Pubkey    token_mint_b, 213 token_vault_b, 245 u128 fee_growth_global_b
    261  u64       reward_last_updated_timestamp
    269  3 x 128   reward_infos (mint, vault, authority, emissions u128, growth u128)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext

import numpy as np
from solders.pubkey import Pubkey

from workbench.data.decoders._common import (
    PUBKEY,
    as_records,
    check_discriminator,
    pubkey,
    u128,
    u128_float,
)
from workbench.errors import SchemaError

__all__ = [
    "TICKS_PER_ARRAY",
    "TICK_ARRAY_DISCRIMINATOR",
    "TICK_ARRAY_DTYPE",
    "TICK_ARRAY_SIZE",
    "WHIRLPOOL_DISCRIMINATOR",
    "WHIRLPOOL_DTYPE",
    "WHIRLPOOL_PROGRAM_ID",
    "WHIRLPOOL_SIZE",
    "TickArray",
    "Whirlpool",
    "WhirlpoolTick",
    "decode_tick_array",
    "decode_whirlpool",
    "decode_whirlpool_many",
    "tick_array_start_index",
    "whirlpool_prices",
]

WHIRLPOOL_PROGRAM_ID = Pubkey.from_string("whirLbMiicVdio4qvUfM5KAg6Ct8VwpYzGff3uctyCc")
WHIRLPOOL_DISCRIMINATOR = bytes.fromhex("3f95d10ce1806309")
WHIRLPOOL_SIZE = 653

_REWARD = np.dtype(
    [
        ("mint", PUBKEY), ("vault", PUBKEY), ("authority", PUBKEY),
        ("emissions_per_second_x64_lo", "<u8"), ("emissions_per_second_x64_hi", "<u8"),
        ("growth_global_x64_lo", "<u8"), ("growth_global_x64_hi", "<u8"),
    ]
)

WHIRLPOOL_DTYPE = np.dtype(
    [
        ("discriminator", np.uint8, (8,)),
        ("whirlpools_config", PUBKEY),
        ("whirlpool_bump", "u1"),
        ("tick_spacing", "<u2"),
        ("tick_spacing_seed", "u1", (2,)),
        ("fee_rate", "<u2"),
        ("protocol_fee_rate", "<u2"),
        ("liquidity_lo", "<u8"), ("liquidity_hi", "<u8"),
        ("sqrt_price_lo", "<u8"), ("sqrt_price_hi", "<u8"),
        ("tick_current_index", "<i4"),
        ("protocol_fee_owed_a", "<u8"), ("protocol_fee_owed_b", "<u8"),
        ("token_mint_a", PUBKEY), ("token_vault_a", PUBKEY),
        ("fee_growth_global_a_lo", "<u8"), ("fee_growth_global_a_hi", "<u8"),
        ("token_mint_b", PUBKEY), ("token_vault_b", PUBKEY),
        ("fee_growth_global_b_lo", "<u8"), ("fee_growth_global_b_hi", "<u8"),
        ("reward_last_updated_timestamp", "<u8"),
        ("reward_infos", _REWARD, (3,)),
    ]
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Whirlpool:
    """A decoded Orca Whirlpool.

    Attributes:
        whirlpools_config: the config account it belongs to.
        tick_spacing: ticks between initialisable ticks.
        fee_rate: taker fee in millionths (3000 = 0.30%).
        protocol_fee_rate: protocol share of the fee in 1/10000.
        liquidity: active liquidity L (u128).
        sqrt_price_x64: sqrt(price) in Q64.64, price = B base units per A base unit.
        tick_current_index: the tick containing the current price.
        token_mint_a / token_mint_b: the mints; price is B per A.
        token_vault_a / token_vault_b: the vault token accounts.
        reward_last_updated_timestamp: unix seconds.
    """

    whirlpools_config: Pubkey
    tick_spacing: int
    fee_rate: int
    protocol_fee_rate: int
    liquidity: int
    sqrt_price_x64: int
    tick_current_index: int
    token_mint_a: Pubkey
    token_mint_b: Pubkey
    token_vault_a: Pubkey
    token_vault_b: Pubkey
    reward_last_updated_timestamp: int

    def price(self, decimals_a: int, decimals_b: int) -> Decimal:
        """Marginal price in human units, token B per token A (e.g. USDC per SOL)."""
        with localcontext() as ctx:
            ctx.prec = 60
            raw = (Decimal(self.sqrt_price_x64) / Decimal(2**64)) ** 2
            return +raw.scaleb(decimals_a - decimals_b)


def decode_whirlpool(data: bytes) -> Whirlpool:
    """Decode one Whirlpool account from raw bytes.

    Raises:
        SchemaError: too short, or not a Whirlpool (wrong discriminator).
    """
    recs = decode_whirlpool_many([data])
    r = recs[0]
    return Whirlpool(
        whirlpools_config=pubkey(r["whirlpools_config"]),
        tick_spacing=int(r["tick_spacing"]),
        fee_rate=int(r["fee_rate"]),
        protocol_fee_rate=int(r["protocol_fee_rate"]),
        liquidity=u128(r, "liquidity"),
        sqrt_price_x64=u128(r, "sqrt_price"),
        tick_current_index=int(r["tick_current_index"]),
        token_mint_a=pubkey(r["token_mint_a"]),
        token_mint_b=pubkey(r["token_mint_b"]),
        token_vault_a=pubkey(r["token_vault_a"]),
        token_vault_b=pubkey(r["token_vault_b"]),
        reward_last_updated_timestamp=int(r["reward_last_updated_timestamp"]),
    )


def decode_whirlpool_many(datas: Sequence[bytes]) -> np.ndarray:
    """Decode many Whirlpool accounts into one structured array (``WHIRLPOOL_DTYPE``).

    Raises:
        SchemaError: an account is too short or has another discriminator.
    """
    recs = as_records(datas, WHIRLPOOL_DTYPE, what="whirlpool")
    check_discriminator(recs, WHIRLPOOL_DISCRIMINATOR, what="whirlpool")
    return recs


def whirlpool_prices(
    records: np.ndarray, decimals_a: np.ndarray | int, decimals_b: np.ndarray | int
) -> np.ndarray:
    """Vectorised float64 prices (B per A, human units) for decoded Whirlpool records."""
    sqrt = u128_float(records, "sqrt_price") / 2.0**64
    shift = np.asarray(decimals_a, dtype=np.float64) - np.asarray(decimals_b, dtype=np.float64)
    return sqrt * sqrt * np.power(10.0, shift)


TICK_ARRAY_DISCRIMINATOR = bytes.fromhex("4561bdbe6e0742bb")
TICKS_PER_ARRAY = 88
TICK_ARRAY_SIZE = 9988

_TICK = np.dtype(
    [
        ("initialized", "u1"),
        ("liquidity_net_lo", "<u8"), ("liquidity_net_hi", "<i8"),
        ("liquidity_gross_lo", "<u8"), ("liquidity_gross_hi", "<u8"),
        ("fee_growth_outside_a_lo", "<u8"), ("fee_growth_outside_a_hi", "<u8"),
        ("fee_growth_outside_b_lo", "<u8"), ("fee_growth_outside_b_hi", "<u8"),
        ("reward_growths_outside", "<u8", (3, 2)),
    ]
)

TICK_ARRAY_DTYPE = np.dtype(
    [
        ("discriminator", np.uint8, (8,)),
        ("start_tick_index", "<i4"),
        ("ticks", _TICK, (TICKS_PER_ARRAY,)),
        ("whirlpool", PUBKEY),
    ]
)


@dataclass(frozen=True, slots=True, kw_only=True)
class WhirlpoolTick:
    """One tick of a tick array.

    Attributes:
        tick_index: the tick (price ``1.0001 ** tick_index``, B per A in base units).
        initialized: some position has a bound here.
        liquidity_net: signed change of active liquidity when the price crosses this tick
            upward (subtracted when crossing downward).
        liquidity_gross: total liquidity of the positions bounded here.
        fee_growth_outside_a / fee_growth_outside_b: fee accounting (Q64.64).
        reward_growths_outside: the three reward trackers (Q64.64).
    """

    tick_index: int
    initialized: bool
    liquidity_net: int
    liquidity_gross: int
    fee_growth_outside_a: int
    fee_growth_outside_b: int
    reward_growths_outside: tuple[int, int, int]


@dataclass(frozen=True, slots=True, kw_only=True)
class TickArray:
    """A decoded Whirlpool tick array.

    Attributes:
        whirlpool: the pool it belongs to.
        start_tick_index: tick index of ``ticks[0]``.
        tick_spacing: spacing used to number the ticks (from the pool).
        ticks: the 88 ticks, ``ticks[i].tick_index = start + i * tick_spacing``.
    """

    whirlpool: Pubkey
    start_tick_index: int
    tick_spacing: int
    ticks: tuple[WhirlpoolTick, ...]

    def initialized(self) -> list[WhirlpoolTick]:
        """The initialized ticks, in rising tick order."""
        return [t for t in self.ticks if t.initialized]


def _i128(record: np.void, name: str) -> int:
    return int(record[f"{name}_hi"]) << 64 | int(record[f"{name}_lo"])


def decode_tick_array(data: bytes, *, tick_spacing: int) -> TickArray:
    """Decode a Whirlpool tick array from raw bytes.

    Args:
        data: the account's bytes.
        tick_spacing: the pool's ``tick_spacing`` (the account does not store it).

    Raises:
        SchemaError: too short, not a TickArray, or a start index that is not a multiple of
            ``88 * tick_spacing``.
    """
    recs = as_records([data], TICK_ARRAY_DTYPE, what="whirlpool tick array")
    check_discriminator(recs, TICK_ARRAY_DISCRIMINATOR, what="whirlpool tick array")
    r = recs[0]
    start = int(r["start_tick_index"])
    if tick_spacing <= 0 or start % (TICKS_PER_ARRAY * tick_spacing):
        raise SchemaError(
            f"Tick array starts at {start}, not a multiple of 88 * tick_spacing "
            f"({tick_spacing}); pass the tick_spacing of the pool it belongs to.",
            source="whirlpool tick array")
    ticks = []
    for i, t in enumerate(r["ticks"]):
        rewards = t["reward_growths_outside"]
        ticks.append(WhirlpoolTick(
            tick_index=start + i * tick_spacing,
            initialized=bool(t["initialized"]),
            liquidity_net=_i128(t, "liquidity_net"),
            liquidity_gross=u128(t, "liquidity_gross"),
            fee_growth_outside_a=u128(t, "fee_growth_outside_a"),
            fee_growth_outside_b=u128(t, "fee_growth_outside_b"),
            reward_growths_outside=tuple(  # type: ignore[arg-type]
                int(rewards[k][1]) << 64 | int(rewards[k][0]) for k in range(3)),
        ))
    return TickArray(whirlpool=pubkey(r["whirlpool"]), start_tick_index=start,
                     tick_spacing=tick_spacing, ticks=tuple(ticks))


def tick_array_start_index(tick_index: int, tick_spacing: int) -> int:
    """Start index of the tick array holding ``tick_index`` (floor to ``88 * tick_spacing``)."""
    span = TICKS_PER_ARRAY * tick_spacing
    return tick_index // span * span

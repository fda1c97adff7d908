"""Pump.fun trade fees: the Pump Fees ``FeeConfig`` account, its market-cap tiers, the rounding.

Layout (pump-public-docs ``idl/pump_fees.json`` / ``idl/pump.json`` type ``FeeConfig``), Borsh
after the 8-byte discriminator ``sha256("account:FeeConfig")[:8]``::

    bump u8 | admin pubkey | flat_fees Fees | fee_tiers Vec<FeeTier> | (newer) stable_fee_tiers
    Vec<FeeTier> | exotic_flat_fees Fees
    Fees    = lp_fee_bps u64, protocol_fee_bps u64, creator_fee_bps u64          (24 bytes)
    FeeTier = market_cap_lamports_threshold u128, fees Fees                     (40 bytes)

The tier that applies is the last one whose threshold is <= the curve's market cap
``virtual_sol * token_total_supply // virtual_token`` (the first tier below every threshold),
as the Pump SDK's ``computeFeesBps`` documents. Each fee is ``ceil(amount * bps / 10_000)``
(pump-public-docs ``docs/bondingCurve.ts``); the creator fee applies only when the curve has a
creator. The 2024 program charged ``floor(amount * fee_bps / 10_000)`` and no creator fee,
which the recorded 2024 transactions confirm to the lamport.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass

from solders.pubkey import Pubkey

from workbench.errors import SchemaError
from workbench.execution.pumpfun.schemas import BondingCurve

__all__ = [
    "FEE_CONFIG_DISCRIMINATOR",
    "FeeConfig",
    "FeeTier",
    "Fees",
    "PumpFees",
    "decode_fee_config",
    "encode_fee_config",
    "fees_for_curve",
    "market_cap_lamports",
    "select_tier",
]

FEE_CONFIG_DISCRIMINATOR = hashlib.sha256(b"account:FeeConfig").digest()[:8]
_FEES = struct.Struct("<QQQ")
_TIER = struct.Struct("<QQQQQ")  # u128 threshold as (lo, hi), then Fees
_BPS = 10_000


@dataclass(frozen=True, slots=True)
class Fees:
    """One fee schedule in basis points."""

    lp_fee_bps: int
    protocol_fee_bps: int
    creator_fee_bps: int


@dataclass(frozen=True, slots=True)
class FeeTier:
    """Fees that apply from ``market_cap_lamports_threshold`` up."""

    market_cap_lamports_threshold: int
    fees: Fees


@dataclass(frozen=True, slots=True, kw_only=True)
class FeeConfig:
    """The Pump Fees program's ``FeeConfig`` for the Pump program (PDA ``["fee_config", pump]``)."""

    admin: Pubkey
    flat_fees: Fees
    fee_tiers: tuple[FeeTier, ...]


def _bad(source: str, data: bytes, why: str) -> SchemaError:
    return SchemaError(
        f"{source} is not a Pump Fees FeeConfig account ({why}; {len(data)} bytes, discriminator "
        f"{data[:8].hex()}, expected {FEE_CONFIG_DISCRIMINATOR.hex()}). Check the address: PDA "
        "['fee_config', pump program] of the Pump Fees program.",
        source=source,
        payload=data[:64].hex(),
    )


def decode_fee_config(data: bytes, *, source: str = "fee config") -> FeeConfig:
    """Decode a ``FeeConfig``; trailing fields of newer versions are ignored.

    Raises:
        SchemaError: wrong discriminator, truncated, or no tiers.
    """
    head = 8 + 1 + 32 + _FEES.size + 4
    if len(data) < head or data[:8] != FEE_CONFIG_DISCRIMINATOR:
        raise _bad(source, data, "wrong discriminator or too short")
    admin = Pubkey.from_bytes(data[9:41])
    flat = Fees(*_FEES.unpack_from(data, 41))
    (count,) = struct.unpack_from("<I", data, 41 + _FEES.size)
    if count == 0 or len(data) < head + count * _TIER.size:
        raise _bad(source, data, f"{count} fee tiers do not fit")
    tiers = []
    for i in range(count):
        lo, hi, lp, protocol, creator = _TIER.unpack_from(data, head + i * _TIER.size)
        tiers.append(FeeTier(lo | hi << 64, Fees(lp, protocol, creator)))
    return FeeConfig(admin=admin, flat_fees=flat, fee_tiers=tuple(tiers))


def encode_fee_config(config: FeeConfig, *, bump: int = 255) -> bytes:
    """Account bytes of ``config`` (for fixtures and local test validators)."""
    out = bytearray(FEE_CONFIG_DISCRIMINATOR)
    out += bytes([bump]) + bytes(config.admin)
    f = config.flat_fees
    out += _FEES.pack(f.lp_fee_bps, f.protocol_fee_bps, f.creator_fee_bps)
    out += struct.pack("<I", len(config.fee_tiers))
    for tier in config.fee_tiers:
        t, fees = tier.market_cap_lamports_threshold, tier.fees
        out += _TIER.pack(
            t & (2**64 - 1), t >> 64, fees.lp_fee_bps, fees.protocol_fee_bps, fees.creator_fee_bps
        )
    return bytes(out)


def market_cap_lamports(curve: BondingCurve) -> int:
    """The curve's market cap in lamports: spot price times total supply."""
    if curve.virtual_token_reserves == 0:
        return 0
    return curve.virtual_sol_reserves * curve.token_total_supply // curve.virtual_token_reserves


def select_tier(tiers: tuple[FeeTier, ...], market_cap: int) -> Fees:
    """The fees of the highest tier whose threshold is <= ``market_cap`` (else the first)."""
    for tier in reversed(tiers):
        if market_cap >= tier.market_cap_lamports_threshold:
            return tier.fees
    return tiers[0].fees


@dataclass(frozen=True, slots=True, kw_only=True)
class PumpFees:
    """The fees one trade pays, on the SOL side (buy: on top of the cost; sell: out of proceeds).

    Attributes:
        protocol_bps: to the fee recipient.
        creator_bps: to the creator vault (0 when the curve has no creator).
        round_up: ceil each fee (current program) or floor it (2024 program).
    """

    protocol_bps: int
    creator_bps: int = 0
    round_up: bool = True

    def split(self, lamports: int) -> tuple[int, int]:
        """(protocol fee, creator fee) on ``lamports``."""
        return self._one(lamports, self.protocol_bps), self._one(lamports, self.creator_bps)

    def on(self, lamports: int) -> int:
        """Total fee on ``lamports``."""
        protocol, creator = self.split(lamports)
        return protocol + creator

    def _one(self, lamports: int, bps: int) -> int:
        if self.round_up:
            return (lamports * bps + _BPS - 1) // _BPS
        return lamports * bps // _BPS


def fees_for_curve(
    curve: BondingCurve,
    *,
    fee_config: FeeConfig | None,
    fallback_protocol_bps: int,
    fallback_creator_bps: int,
    round_up: bool = True,
) -> PumpFees:
    """The fees a trade on ``curve`` pays now.

    With a FeeConfig the tier of the curve's market cap applies; without one (not readable, or
    an older program) the Global account's flat ``fee_basis_points`` and
    ``creator_fee_basis_points`` apply, as in the Pump SDK.
    """
    if fee_config is not None:
        tier = select_tier(fee_config.fee_tiers, market_cap_lamports(curve))
        protocol, creator = tier.protocol_fee_bps, tier.creator_fee_bps
    else:
        protocol, creator = fallback_protocol_bps, fallback_creator_bps
    return PumpFees(
        protocol_bps=protocol,
        creator_bps=creator if curve.creator is not None else 0,
        round_up=round_up,
    )

"""Pump.fun bonding curve (program ``6EF8rrecthR5Dkzon8Nwu78hRvfCKubJ14M5uBEwF6P``).

A bonding curve is a constant-product pool on *virtual* reserves: price is
``virtual_sol_reserves / virtual_token_reserves`` lamports per token base unit. Real reserves
are what can actually leave the curve; when ``complete`` is set the curve has graduated (its
liquidity moved to an AMM) and no longer trades.

Layout (Anchor)::

    0   [u8; 8]  discriminator sha256("account:BondingCurve")[:8]
    8   u64      virtual_token_reserves
    16  u64      virtual_sol_reserves
    24  u64      real_token_reserves
    32  u64      real_sol_reserves
    40  u64      token_total_supply
    48  bool     complete
    49  Pubkey   creator (accounts created since 2025; zero or absent before)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
from solders.pubkey import Pubkey

from workbench.data.decoders._common import PUBKEY, as_records, check_discriminator, pubkey

__all__ = [
    "PUMPFUN_BONDING_CURVE_DISCRIMINATOR",
    "PUMPFUN_BONDING_CURVE_DTYPE",
    "PUMPFUN_PROGRAM_ID",
    "PUMPFUN_TOKEN_DECIMALS",
    "BondingCurve",
    "decode_bonding_curve",
    "decode_bonding_curve_many",
]

PUMPFUN_PROGRAM_ID = Pubkey.from_string("6EF8rrecthR5Dkzon8Nwu78hRvfCKubJ14M5uBEwF6P")
PUMPFUN_BONDING_CURVE_DISCRIMINATOR = bytes.fromhex("17b7f83760d8ac60")
PUMPFUN_TOKEN_DECIMALS = 6
_MIN_SIZE = 49  # without the creator field

PUMPFUN_BONDING_CURVE_DTYPE = np.dtype(
    [
        ("discriminator", np.uint8, (8,)),
        ("virtual_token_reserves", "<u8"),
        ("virtual_sol_reserves", "<u8"),
        ("real_token_reserves", "<u8"),
        ("real_sol_reserves", "<u8"),
        ("token_total_supply", "<u8"),
        ("complete", "u1"),
        ("creator", PUBKEY),
    ]
)


@dataclass(frozen=True, slots=True, kw_only=True)
class BondingCurve:
    """A decoded Pump.fun bonding curve; reserves in base units (tokens have 6 decimals).

    Attributes:
        virtual_token_reserves / virtual_sol_reserves: the curve's pricing reserves.
        real_token_reserves / real_sol_reserves: what can actually be bought or withdrawn.
        token_total_supply: mint supply, base units.
        is_complete: graduated; trading on the curve is over.
        creator: the creator (None for older accounts without the field or a zero key).
    """

    virtual_token_reserves: int
    virtual_sol_reserves: int
    real_token_reserves: int
    real_sol_reserves: int
    token_total_supply: int
    is_complete: bool
    creator: Pubkey | None

    def price_sol(self) -> Decimal:
        """Marginal price in SOL per whole token.

        Raises:
            ZeroDivisionError: never for live curves; a graduated curve has zero virtual
                token reserves, so check ``is_complete`` first.
        """
        return (Decimal(self.virtual_sol_reserves) / Decimal(self.virtual_token_reserves)).scaleb(
            PUMPFUN_TOKEN_DECIMALS - 9
        )


def decode_bonding_curve_many(datas: Sequence[bytes]) -> np.ndarray:
    """Decode many bonding curves into a structured array (``PUMPFUN_BONDING_CURVE_DTYPE``).

    Accounts of 49..80 bytes (before the creator field existed) get a zero creator.

    Raises:
        SchemaError: shorter than 49 bytes, or not a bonding curve.
    """
    recs = as_records(
        datas, PUMPFUN_BONDING_CURVE_DTYPE, what="pumpfun_bonding_curve", min_size=_MIN_SIZE
    )
    check_discriminator(recs, PUMPFUN_BONDING_CURVE_DISCRIMINATOR, what="pumpfun_bonding_curve")
    return recs


def decode_bonding_curve(data: bytes) -> BondingCurve:
    """Decode one bonding curve from raw bytes.

    Raises:
        SchemaError: shorter than 49 bytes, or not a bonding curve.
    """
    r = decode_bonding_curve_many([data])[0]
    creator = r["creator"]
    return BondingCurve(
        virtual_token_reserves=int(r["virtual_token_reserves"]),
        virtual_sol_reserves=int(r["virtual_sol_reserves"]),
        real_token_reserves=int(r["real_token_reserves"]),
        real_sol_reserves=int(r["real_sol_reserves"]),
        token_total_supply=int(r["token_total_supply"]),
        is_complete=bool(r["complete"]),
        creator=pubkey(creator) if creator.any() else None,
    )

"""Constant-product swap math in integers, as Raydium's AMM v4 computes it.

Raydium charges its 0.25% fee on the input, rounded *up* (``ceil_div``), then applies
``out = reserve_out * in_after_fee // (reserve_in + in_after_fee)``, rounded down. Worked example
with reserves 1_000 SOL (9 decimals) and 150_000 USDC (6 decimals), 1 SOL in::

    fee        = ceil(1_000_000_000 * 25 / 10_000)        = 2_500_000
    in_after   = 1_000_000_000 - 2_500_000                 = 997_500_000
    out        = 150_000_000_000 * 997_500_000
                 // (1_000_000_000_000 + 997_500_000)      = 149_475_897  (149.475897 USDC)

Everything stays in Python ints, so no base unit is lost to floats.
"""

from __future__ import annotations

from decimal import Decimal

from workbench.errors import RiskError

__all__ = [
    "RAYDIUM_FEE_BPS",
    "amount_out",
    "fee_raw",
    "min_out_raw",
    "price_impact_bps",
    "reserves_for_price",
]

RAYDIUM_FEE_BPS = 25


def fee_raw(amount_in_raw: int, fee_bps: int = RAYDIUM_FEE_BPS) -> int:
    """The pool fee on ``amount_in_raw``, rounded up as Raydium does."""
    return -(-amount_in_raw * fee_bps // 10_000)


def amount_out(
    amount_in_raw: int, reserve_in_raw: int, reserve_out_raw: int, fee_bps: int = RAYDIUM_FEE_BPS
) -> int:
    """Output of a constant-product swap after the input fee, rounded down.

    Raises:
        RiskError: a negative amount or an empty reserve.
    """
    if amount_in_raw < 0 or reserve_in_raw <= 0 or reserve_out_raw <= 0:
        raise RiskError(
            f"Swap of {amount_in_raw} against reserves in={reserve_in_raw} out={reserve_out_raw}: "
            "amount must be >= 0 and reserves > 0."
        )
    after = amount_in_raw - fee_raw(amount_in_raw, fee_bps)
    return reserve_out_raw * after // (reserve_in_raw + after)


def min_out_raw(out_raw: int, slippage_bps: int) -> int:
    """The slippage floor: ``out * (10_000 - bps) // 10_000``."""
    return out_raw * (10_000 - slippage_bps) // 10_000


def price_impact_bps(amount_in_raw: int, reserve_in_raw: int, reserve_out_raw: int,
                     out_raw: int, fee_bps: int = RAYDIUM_FEE_BPS) -> float:
    """Impact of the trade versus the marginal (spot) price, fee excluded, in bps."""
    after = amount_in_raw - fee_raw(amount_in_raw, fee_bps)
    if after <= 0:
        return 0.0
    spot_out = after * reserve_out_raw / reserve_in_raw
    return float((spot_out - out_raw) / spot_out * 10_000)


def reserves_for_price(
    base_raw: int, quote_raw: int, price: Decimal, base_decimals: int, quote_decimals: int
) -> tuple[int, int]:
    """Reserves with the same ``k = base * quote`` whose spot price is ``price`` (quote/base).

    Keeping ``k`` keeps the pool's depth while moving its price, which is what replaying an
    external price series needs.
    """
    if not price.is_finite() or price <= 0:
        raise RiskError(f"Pool price {price} must be a finite positive Decimal.")
    k = base_raw * quote_raw
    # price_raw = quote_raw / base_raw in base units per base unit
    price_raw = price * (Decimal(10) ** (quote_decimals - base_decimals))
    new_base = int((Decimal(k) / price_raw).sqrt())
    new_quote = k // new_base if new_base else 0
    if new_base <= 0 or new_quote <= 0:
        raise RiskError(f"Price {price} empties the pool (k={k}); pick a price nearer the pool's.")
    return new_base, new_quote

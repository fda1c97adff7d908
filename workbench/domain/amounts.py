"""Exact conversions between human amounts (Decimal) and on-chain base units (int).

On chain every amount is an integer in base units: 1 SOL = 1_000_000_000 lamports, 1 USDC =
1_000_000 base units. Converting through float loses base units: ``0.1 + 0.2`` is not ``0.3``,
and ``int(1.15 * 10**9)`` is ``1149999999``. So human amounts are ``Decimal`` and conversion
refuses anything that is not a whole number of base units, unless the caller names a rounding.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal, InvalidOperation

from workbench.errors import RiskError

__all__ = ["LAMPORTS_PER_SOL", "from_raw", "lamports_to_sol", "sol_to_lamports", "to_raw"]

LAMPORTS_PER_SOL = 1_000_000_000


def _as_decimal(amount: Decimal | int | str) -> Decimal:
    if isinstance(amount, float):
        raise RiskError(
            f"Amount {amount!r} is a float; pass a Decimal or str so no base units are lost."
        )
    try:
        value = Decimal(amount)
    except (InvalidOperation, TypeError, ValueError):
        raise RiskError(f"Amount {amount!r} is not a number.") from None
    if not value.is_finite():
        raise RiskError(f"Amount {amount!r} is not finite.")
    return value


def to_raw(amount: Decimal | int | str, decimals: int, *, rounding: str | None = None) -> int:
    """Convert a human amount to integer base units.

    Args:
        amount: human amount, e.g. ``Decimal("1.5")`` SOL.
        decimals: the token's decimals.
        rounding: a ``decimal`` rounding mode to allow sub-unit amounts (e.g. ``ROUND_DOWN``
            when sizing an order); by default a sub-unit remainder is an error.

    Raises:
        RiskError: the amount is a float, not finite, or not a whole number of base units.
    """
    value = _as_decimal(amount) * (Decimal(10) ** decimals)
    whole = value.to_integral_value(rounding=rounding or ROUND_DOWN)
    if rounding is None and whole != value:
        raise RiskError(
            f"Amount {amount} has more than {decimals} decimal places; round it first or pass "
            "rounding=decimal.ROUND_DOWN."
        )
    return int(whole)


def from_raw(amount_raw: int, decimals: int) -> Decimal:
    """Convert integer base units to an exact human Decimal."""
    if not isinstance(amount_raw, int):
        raise RiskError(f"Raw amount {amount_raw!r} must be an int of base units.")
    return Decimal(amount_raw).scaleb(-decimals)


def sol_to_lamports(amount: Decimal | int | str) -> int:
    """Exact SOL -> lamports."""
    return to_raw(amount, 9)


def lamports_to_sol(lamports: int) -> Decimal:
    """Exact lamports -> SOL."""
    return from_raw(lamports, 9)

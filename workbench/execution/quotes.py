"""What every venue does the same way with a quote: check it is its own, read what it swapped.

The amounts a swap really moved come from the owner's token-balance changes on the confirmed
transaction, never from the quote, so the ledger matches the chain whatever the venue.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from workbench.domain import Quote, TokenBalanceChange
from workbench.errors import OrderRejected

__all__ = ["route_of", "swap_amounts"]

R = TypeVar("R")


def swap_amounts(quote: Quote, changes: Sequence[TokenBalanceChange]) -> tuple[int, int]:
    """(in_raw, out_raw) the owner swapped: what left it in the input mint, what arrived in
    the output mint, summed over its accounts.

    Native SOL appears under the wSOL mint when the executor reports lamports; the SOL leg then
    carries everything else the transaction moved for the owner (ATA rent such as 2_039_280
    lamports, tips), which is the chain's number and what the ledger records.
    """
    spent = sum(c.delta_raw for c in changes if c.mint == quote.input_mint)
    received = sum(c.delta_raw for c in changes if c.mint == quote.output_mint)
    return -spent, received


def route_of(quote: Quote, *, venue: str, route_type: type[R], display: str) -> R:
    """The venue-specific route inside ``quote``, refusing a quote made by another venue.

    Raises:
        OrderRejected: reason ``foreign_quote``.
    """
    if quote.venue != venue or not isinstance(quote.route, route_type):
        raise OrderRejected(
            f"A quote from venue {quote.venue!r} cannot be built by {display}; build it with "
            "the venue that quoted it.",
            reason="foreign_quote",
            venue=venue,
        )
    return quote.route

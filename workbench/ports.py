"""The narrow interfaces where layers meet. Implementations live beside their kind.

A venue (local AMM, Jupiter, Pump.fun, Drift) quotes and builds; the executor signs, sends,
confirms and turns token-balance changes into fills, the same way for every venue. A clock lets
the engine run on replayed time in paper mode and on wall time live.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from solders.pubkey import Pubkey

from workbench.domain import Quote, QuoteRequest, SwapPlan, TokenBalanceChange

__all__ = ["Clock", "Venue"]


@runtime_checkable
class Venue(Protocol):
    """A place to swap: quote, build, parse."""

    name: str

    async def quote(self, request: QuoteRequest) -> Quote:
        """Price ``request``; raise ``VenueError`` subclasses on failure."""
        ...

    async def build(self, quote: Quote, owner: Pubkey) -> SwapPlan:
        """Instructions (or a prebuilt transaction) that execute ``quote`` for ``owner``."""
        ...

    def parse(self, quote: Quote, changes: Sequence[TokenBalanceChange]) -> tuple[int, int]:
        """(in_amount_raw, out_amount_raw) actually swapped, from the owner's balance changes.

        A venue whose fills move no tokens (a perp exchange) also defines
        ``parse_logs(quote, logs, owner)``, reading them from the program's events; the
        executor prefers it when present.
        """
        ...


@runtime_checkable
class Clock(Protocol):
    """Time source: wall clock live, replayed bar time in paper mode and backtests."""

    def now_ns(self) -> int:
        """Current time, UTC nanoseconds."""
        ...

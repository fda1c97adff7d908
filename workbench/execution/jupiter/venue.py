"""Jupiter as a ``workbench.ports.Venue``: quote, build (re-quoting stale quotes), parse."""

from __future__ import annotations

import base64
import time
from collections.abc import Sequence

from solders.pubkey import Pubkey

from workbench.domain import Quote, QuoteRequest, SwapPlan, TokenBalanceChange
from workbench.errors import OrderRejected
from workbench.execution.jupiter.client import JupiterClient
from workbench.execution.jupiter.parse import (
    VENUE,
    JupiterRoute,
    plan_from_instructions,
    plan_from_transaction,
    quote_from_response,
    quote_from_ultra_order,
    swap_amounts,
)
from workbench.execution.jupiter.schemas import UltraExecuteResponse
from workbench.execution.quotes import route_of
from workbench.ports import Clock

__all__ = ["JupiterVenue"]


class _WallClock:
    def now_ns(self) -> int:
        return time.time_ns()


class JupiterVenue:
    """Swap through Jupiter's aggregator.

    ``build`` re-quotes when the quote is older than ``config.max_quote_age_s`` (prices on
    Solana move every 400 ms slot), so the plan's ``quote`` may differ from the one passed in;
    the caller checks the new ``min_out_amount_raw`` against its limits.

    Args:
        client: the HTTP client (its config picks swap, instructions or ultra mode).
        clock: time source for quote ages; wall clock by default.

    Example:
        >>> async with httpx.AsyncClient() as http:  # doctest: +SKIP
        ...     venue = JupiterVenue(JupiterClient(http, JupiterConfig()))
        ...     quote = await venue.quote(QuoteRequest(input_mint=SOL, output_mint=USDC,
        ...                                            in_amount_raw=100_000_000))
        ...     plan = await venue.build(quote, owner)
    """

    name = VENUE

    def __init__(self, client: JupiterClient, *, clock: Clock | None = None) -> None:
        self._client = client
        self._clock: Clock = clock or _WallClock()

    async def quote(self, request: QuoteRequest) -> Quote:
        """Price ``request`` (Swap API quote, or an Ultra order without a taker)."""
        if request.in_amount_raw <= 0:
            raise OrderRejected(
                f"Jupiter quote needs in_amount_raw > 0, got {request.in_amount_raw}.",
                reason="bad_amount",
                venue=VENUE,
            )
        if self._client.config.mode == "ultra":
            order, raw = await self._client.fetch_ultra_order(
                input_mint=request.input_mint,
                output_mint=request.output_mint,
                amount_raw=request.in_amount_raw,
                taker=None,
            )
            return quote_from_ultra_order(order, raw, ts_init=self._clock.now_ns())
        response, raw = await self._client.fetch_quote(
            input_mint=request.input_mint,
            output_mint=request.output_mint,
            amount_raw=request.in_amount_raw,
            slippage_bps=request.slippage_bps,
        )
        return quote_from_response(response, raw, ts_init=self._clock.now_ns())

    def is_stale(self, quote: Quote) -> bool:
        """True when ``quote`` is older than ``max_quote_age_s`` and must be re-quoted."""
        age_ns = self._clock.now_ns() - quote.ts_init
        return age_ns > self._client.config.max_quote_age_s * 1e9

    async def build(self, quote: Quote, owner: Pubkey) -> SwapPlan:
        """A plan executing ``quote`` for ``owner``; re-quotes first when the quote is stale.

        Raises:
            OrderRejected: ``quote`` did not come from this venue.
            VenueError subclasses: from the API (see ``client``).
        """
        route = self._route(quote)
        mode = self._client.config.mode
        if mode == "ultra":
            # an order with a taker is always fresh: Ultra quotes and builds in one call
            order, raw = await self._client.fetch_ultra_order(
                input_mint=quote.input_mint,
                output_mint=quote.output_mint,
                amount_raw=quote.in_amount_raw,
                taker=owner,
            )
            fresh = quote_from_ultra_order(order, raw, ts_init=self._clock.now_ns())
            return SwapPlan(venue=VENUE, quote=fresh, prebuilt_tx=self._route(fresh).transaction)
        if self.is_stale(quote):
            quote = await self.quote(
                QuoteRequest(
                    input_mint=quote.input_mint,
                    output_mint=quote.output_mint,
                    in_amount_raw=quote.in_amount_raw,
                    slippage_bps=route.response.slippage_bps,
                )
            )
            route = self._route(quote)
        if mode == "swap":
            return plan_from_transaction(quote, await self._client.fetch_swap(route.raw, owner))
        return plan_from_instructions(
            quote, await self._client.fetch_swap_instructions(route.raw, owner)
        )

    async def execute_ultra(self, plan: SwapPlan, signed_tx: bytes) -> UltraExecuteResponse:
        """Hand a signed Ultra transaction to ``/ultra/v1/execute`` (Jupiter lands it)."""
        route = self._route(plan.quote)
        if route.request_id is None:
            raise OrderRejected(
                "This plan was not built from an Ultra order (no requestId); send it through "
                "the RPC executor instead.",
                reason="not_ultra",
                venue=VENUE,
            )
        return await self._client.execute_ultra(
            signed_transaction_b64=base64.b64encode(signed_tx).decode(),
            request_id=route.request_id,
        )

    def parse(self, quote: Quote, changes: Sequence[TokenBalanceChange]) -> tuple[int, int]:
        """(in_amount_raw, out_amount_raw) swapped, from the owner's balance changes."""
        return swap_amounts(quote, changes)

    @staticmethod
    def _route(quote: Quote) -> JupiterRoute:
        return route_of(quote, venue=VENUE, route_type=JupiterRoute, display="Jupiter")

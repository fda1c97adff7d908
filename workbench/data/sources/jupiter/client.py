"""Jupiter HTTP client (I/O only; parsing is in parse.py)."""

from __future__ import annotations

import time
from collections.abc import Sequence

import httpx

from workbench.data.http import RateLimiter, RetryPolicy, request_json, retry
from workbench.data.sources.jupiter.config import JupiterConfig
from workbench.data.sources.jupiter.parse import TokenPrice, parse_price_v3, parse_quote
from workbench.domain import Quote, QuoteRequest
from workbench.errors import VenueError

__all__ = ["JupiterClient"]

_MAX_IDS = 50  # Price v3 accepts up to 50 mints per request


class JupiterClient:
    """Fetch prices and quotes from Jupiter.

    Args:
        config: endpoints and limits.
        client: an ``httpx.AsyncClient`` to share (tests pass one served by respx).
        retry_policy: backoff limits.
    """

    venue = "jupiter"

    def __init__(self, config: JupiterConfig | None = None, *,
                 client: httpx.AsyncClient | None = None,
                 retry_policy: RetryPolicy | None = None) -> None:
        self.config = config or JupiterConfig()
        headers = {"x-api-key": self.config.api_key} if self.config.api_key else {}
        self._client = client or httpx.AsyncClient(timeout=self.config.timeout_s)
        self._headers = headers
        self._limiter = RateLimiter(self.config.requests_per_s)
        self._retry = retry_policy or RetryPolicy()

    async def aclose(self) -> None:
        """Close the underlying HTTP client."""
        await self._client.aclose()

    async def _get(self, path: str, params: dict[str, str], what: str) -> object:
        url = self.config.base_url.rstrip("/") + path

        async def once() -> object:
            return await request_json(self._client, "GET", url, venue=self.venue,
                                      limiter=self._limiter, params=params,
                                      headers=self._headers)

        return await retry(once, policy=self._retry, what=what)

    async def fetch_prices(self, mints: Sequence[str]) -> list[TokenPrice]:
        """USD prices for ``mints`` (batched by 50); mints without a price are absent.

        Raises:
            VenueError: empty ``mints``, or the API refused the request.
            SchemaError: the response does not match the documented schema.
        """
        if not mints:
            raise VenueError("fetch_prices needs at least one mint.", venue=self.venue)
        out: list[TokenPrice] = []
        for i in range(0, len(mints), _MAX_IDS):
            batch = ",".join(mints[i : i + _MAX_IDS])
            body = await self._get("/price/v3", {"ids": batch}, "jupiter price")
            out.extend(parse_price_v3(body, ts_init=time.time_ns()))
        return out

    async def fetch_quote(self, request: QuoteRequest, *, exact_out: bool = False) -> Quote:
        """A swap quote, used as a price and impact probe.

        Raises:
            VenueError / SchemaError: as mapped by the HTTP layer and parser.
        """
        params = {
            "inputMint": request.input_mint,
            "outputMint": request.output_mint,
            "amount": str(request.in_amount_raw),
            "slippageBps": str(request.slippage_bps),
            "swapMode": "ExactOut" if exact_out else "ExactIn",
        }
        body = await self._get("/swap/v1/quote", params, "jupiter quote")
        return parse_quote(body, ts_init=time.time_ns())

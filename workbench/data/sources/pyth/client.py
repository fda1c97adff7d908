"""Hermes HTTP client (I/O only)."""

from __future__ import annotations

import time
from collections.abc import Sequence

import httpx

from workbench.data.http import RateLimiter, RetryPolicy, request_json, retry
from workbench.data.sources.pyth.config import HermesConfig
from workbench.data.sources.pyth.parse import HermesPrice, parse_latest_price_updates
from workbench.errors import VenueError

__all__ = ["HermesClient"]


class HermesClient:
    """Fetch the latest Pyth prices from Hermes."""

    venue = "pyth"

    def __init__(self, config: HermesConfig | None = None, *,
                 client: httpx.AsyncClient | None = None,
                 retry_policy: RetryPolicy | None = None) -> None:
        self.config = config or HermesConfig()
        self._client = client or httpx.AsyncClient(timeout=self.config.timeout_s)
        self._limiter = RateLimiter(self.config.requests_per_s)
        self._retry = retry_policy or RetryPolicy()

    async def aclose(self) -> None:
        """Close the underlying HTTP client."""
        await self._client.aclose()

    async def fetch_latest(self, feed_ids: Sequence[str]) -> list[HermesPrice]:
        """Latest price of each feed id (hex, with or without ``0x``).

        Raises:
            VenueError: no feed ids, or Hermes refused them (e.g. unknown id: HTTP 404).
            SchemaError: the body does not match the documented schema.
        """
        if not feed_ids:
            raise VenueError("fetch_latest needs at least one feed id.", venue=self.venue)
        url = self.config.base_url.rstrip("/") + "/v2/updates/price/latest"
        # Hermes takes the repeated form ids[]=a&ids[]=b
        params = [("ids[]", f.removeprefix("0x")) for f in feed_ids] + [("parsed", "true")]

        async def once() -> object:
            return await request_json(self._client, "GET", url, venue=self.venue,
                                      limiter=self._limiter, params=params)

        body = await retry(once, policy=self._retry, what="hermes latest")
        return parse_latest_price_updates(body, ts_init=time.time_ns())

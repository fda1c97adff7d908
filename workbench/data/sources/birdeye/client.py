"""Birdeye HTTP client (I/O only)."""

from __future__ import annotations

import httpx
import pandas as pd

from workbench.data.http import RateLimiter, RetryPolicy, request_json, retry
from workbench.data.sources.birdeye.config import BirdeyeConfig
from workbench.data.sources.birdeye.parse import BIRDEYE_TIMEFRAMES, parse_ohlcv
from workbench.domain import timeframe_seconds
from workbench.errors import ConfigError, DataError

__all__ = ["BirdeyeClient"]


class BirdeyeClient:
    """Fetch OHLCV history from Birdeye.

    Raises:
        ConfigError: no API key (set ``data.birdeye_api_key``).
    """

    venue = "birdeye"

    def __init__(self, config: BirdeyeConfig, *, client: httpx.AsyncClient | None = None,
                 retry_policy: RetryPolicy | None = None) -> None:
        if not config.api_key:
            raise ConfigError(
                "Birdeye needs an API key; set WORKBENCH_DATA__BIRDEYE_API_KEY or "
                "data.birdeye_api_key in workbench.toml.", setting="data.birdeye_api_key")
        self.config = config
        self._client = client or httpx.AsyncClient(timeout=config.timeout_s)
        self._limiter = RateLimiter(config.requests_per_s)
        self._retry = retry_policy or RetryPolicy()
        self._headers = {"X-API-KEY": config.api_key, "x-chain": config.chain,
                         "accept": "application/json"}

    async def aclose(self) -> None:
        """Close the underlying HTTP client."""
        await self._client.aclose()

    async def fetch_ohlcv(self, address: str, timeframe: str, start_s: int, end_s: int,
                          ) -> pd.DataFrame:
        """OHLCV bars for a token from ``start_s`` to ``end_s`` (unix seconds, inclusive).

        Pages through the range ``max_bars`` at a time.

        Returns:
            The frame of :func:`parse_ohlcv`, deduplicated on time.

        Raises:
            DataError: unknown timeframe for Birdeye.
        """
        if timeframe not in BIRDEYE_TIMEFRAMES:
            raise DataError(f"Birdeye has no timeframe {timeframe!r}; use one of "
                            f"{', '.join(BIRDEYE_TIMEFRAMES)}.")
        step = timeframe_seconds(timeframe) * self.config.max_bars
        url = self.config.base_url.rstrip("/") + "/defi/ohlcv"
        frames = []
        t = start_s
        while t <= end_s:
            params = {"address": address, "type": BIRDEYE_TIMEFRAMES[timeframe],
                      "time_from": str(t), "time_to": str(min(end_s, t + step - 1))}

            async def once(params: dict[str, str] = params) -> object:
                return await request_json(self._client, "GET", url, venue=self.venue,
                                          limiter=self._limiter, params=params,
                                          headers=self._headers)

            frames.append(parse_ohlcv(await retry(once, policy=self._retry, what="birdeye ohlcv")))
            t += step
        frame = pd.concat(frames) if frames else parse_ohlcv({"success": True,
                                                              "data": {"items": []}})
        return frame[~frame.index.duplicated(keep="last")].sort_index()

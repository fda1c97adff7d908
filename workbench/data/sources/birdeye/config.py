"""Birdeye source settings."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["BirdeyeConfig"]


@dataclass(frozen=True, slots=True, kw_only=True)
class BirdeyeConfig:
    """Where and how fast to call Birdeye.

    Attributes:
        api_key: sent as ``X-API-KEY``; required by Birdeye. Never printed (repr hides it).
        base_url: API root.
        chain: ``x-chain`` header.
        requests_per_s: client-side rate limit (the standard tier allows 1 rps).
        timeout_s: per-request timeout.
        max_bars: bars per request (Birdeye returns at most 1000).
    """

    api_key: str = field(repr=False)
    base_url: str = "https://public-api.birdeye.so"
    chain: str = "solana"
    requests_per_s: float = 1.0
    timeout_s: float = 15.0
    max_bars: int = 1000

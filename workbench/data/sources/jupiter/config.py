"""Jupiter source settings."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["JupiterConfig"]


@dataclass(frozen=True, slots=True, kw_only=True)
class JupiterConfig:
    """Where and how fast to call Jupiter.

    Attributes:
        base_url: API root; ``https://lite-api.jup.ag`` (free) or ``https://api.jup.ag`` (key).
        api_key: sent as ``x-api-key`` when set.
        requests_per_s: client-side rate limit.
        timeout_s: per-request timeout.
    """

    base_url: str = "https://lite-api.jup.ag"
    api_key: str | None = None
    requests_per_s: float = 1.0
    timeout_s: float = 10.0

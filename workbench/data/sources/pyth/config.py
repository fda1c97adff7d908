"""Hermes source settings."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["HermesConfig"]


@dataclass(frozen=True, slots=True, kw_only=True)
class HermesConfig:
    """Where and how fast to call Hermes.

    Attributes:
        base_url: Hermes root (public: https://hermes.pyth.network).
        requests_per_s: client-side rate limit (the public instance allows 30 per 10 s per IP).
        timeout_s: per-request timeout.
    """

    base_url: str = "https://hermes.pyth.network"
    requests_per_s: float = 3.0
    timeout_s: float = 10.0

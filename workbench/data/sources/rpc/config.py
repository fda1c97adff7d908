"""Solana RPC source settings."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["RpcConfig"]


@dataclass(frozen=True, slots=True, kw_only=True)
class RpcConfig:
    """Where and how fast to call a Solana RPC node.

    Attributes:
        url: HTTP JSON-RPC endpoint.
        commitment: confirmed or finalized (processed is refused by getTransaction).
        requests_per_s: client-side rate limit (public mainnet allows ~10 per IP).
        timeout_s: per-request timeout.
    """

    url: str = "https://api.mainnet-beta.solana.com"
    commitment: str = "confirmed"
    requests_per_s: float = 4.0
    timeout_s: float = 20.0

"""Solana JSON-RPC client for market data (I/O only)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import httpx

from workbench.data.http import RateLimiter, RetryPolicy, request_json, retry
from workbench.data.sources.rpc.config import RpcConfig
from workbench.data.sources.rpc.parse import (
    AccountBytes,
    SignatureInfo,
    parse_multiple_accounts,
    parse_signatures,
    parse_transaction,
)

__all__ = ["SolanaRpcSource"]

_MAX_ACCOUNTS = 100  # getMultipleAccounts limit


class SolanaRpcSource:
    """Read signatures, transactions and accounts from a Solana RPC node."""

    venue = "rpc"

    def __init__(self, config: RpcConfig | None = None, *,
                 client: httpx.AsyncClient | None = None,
                 retry_policy: RetryPolicy | None = None) -> None:
        self.config = config or RpcConfig()
        self._client = client or httpx.AsyncClient(timeout=self.config.timeout_s)
        self._limiter = RateLimiter(self.config.requests_per_s)
        self._retry = retry_policy or RetryPolicy()
        self._ids = itertools.count(1)

    async def aclose(self) -> None:
        """Close the underlying HTTP client."""
        await self._client.aclose()

    async def _call(self, method: str, params: list[Any]) -> Any:
        async def once() -> Any:
            payload = {"jsonrpc": "2.0", "id": next(self._ids), "method": method,
                       "params": params}
            return await request_json(self._client, "POST", self.config.url, venue=self.venue,
                                      limiter=self._limiter, json_body=payload)

        return await retry(once, policy=self._retry, what=f"rpc {method}")

    async def fetch_signatures(self, address: str, *, before: str | None = None,
                               until: str | None = None, limit: int = 1000,
                               ) -> list[SignatureInfo]:
        """Signatures touching ``address``, newest first (one page of up to 1000)."""
        opts: dict[str, Any] = {"limit": limit, "commitment": self.config.commitment}
        if before:
            opts["before"] = before
        if until:
            opts["until"] = until
        return parse_signatures(await self._call("getSignaturesForAddress", [address, opts]))

    async def fetch_transaction(self, signature: str) -> dict[str, Any] | None:
        """A ``getTransaction`` result (json encoding, v0 supported), or None if unknown."""
        opts = {"encoding": "json", "maxSupportedTransactionVersion": 0,
                "commitment": self.config.commitment}
        return parse_transaction(await self._call("getTransaction", [signature, opts]))

    async def fetch_accounts(self, addresses: Sequence[str]) -> list[AccountBytes | None]:
        """Raw account bytes for ``addresses`` (batched by 100), None for missing ones."""
        out: list[AccountBytes | None] = []
        for i in range(0, len(addresses), _MAX_ACCOUNTS):
            batch = list(addresses[i : i + _MAX_ACCOUNTS])
            opts = {"encoding": "base64", "commitment": self.config.commitment}
            body = await self._call("getMultipleAccounts", [batch, opts])
            out.extend(parse_multiple_accounts(body, batch))
        return out

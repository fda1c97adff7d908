"""Reads Pump.fun accounts over Solana JSON-RPC (``getAccountInfo``, base64); I/O only.

Failures are mapped once here: timeouts, transport errors, HTTP 5xx and "node behind" JSON-RPC
errors -> ``TemporaryVenueError``; HTTP 429 or JSON-RPC 429 -> ``RateLimited``; other JSON-RPC
errors -> ``OrderRejected``; bodies that are not the JSON-RPC shape -> ``SchemaError``.
"""

from __future__ import annotations

import base64
import binascii
import itertools

import httpx
import msgspec
from solders.pubkey import Pubkey

from workbench.errors import (
    OrderRejected,
    RateLimited,
    SchemaError,
    TemporaryVenueError,
    WorkbenchError,
)
from workbench.execution.pumpfun.config import PumpFunConfig
from workbench.execution.pumpfun.parse import VENUE
from workbench.execution.pumpfun.schemas import GetAccountInfoResponse

__all__ = ["RETRYABLE_RPC_CODES", "TRANSPORT_ERRORS", "PumpFunClient"]

TRANSPORT_ERRORS: dict[type[Exception], type[WorkbenchError]] = {
    httpx.TimeoutException: TemporaryVenueError,
    httpx.TransportError: TemporaryVenueError,
}
# -32005 node behind, -32004 block not available, -32603 internal error, 429 rate limit
RETRYABLE_RPC_CODES = frozenset({-32005, -32004, -32603, 429})


class PumpFunClient:
    """Fetches account data for the Pump.fun venue.

    Args:
        http: a caller-owned ``httpx.AsyncClient``.
        config: RPC URL, commitment and timeout.
    """

    def __init__(self, http: httpx.AsyncClient, config: PumpFunConfig) -> None:
        self._http = http
        self._config = config
        self._ids = itertools.count(1)

    @property
    def config(self) -> PumpFunConfig:
        """The adapter's settings."""
        return self._config

    async def fetch_account_data(self, pubkey: Pubkey) -> bytes | None:
        """The account's data, or None when it does not exist."""
        source = f"getAccountInfo {pubkey}"
        request = {
            "jsonrpc": "2.0",
            "id": next(self._ids),
            "method": "getAccountInfo",
            "params": [
                str(pubkey),
                {"encoding": "base64", "commitment": self._config.commitment},
            ],
        }
        try:
            response = await self._http.post(
                self._config.rpc_url,
                content=msgspec.json.encode(request),
                headers={"content-type": "application/json"},
                timeout=self._config.timeout_s,
            )
        except httpx.TimeoutException as exc:
            raise TRANSPORT_ERRORS[httpx.TimeoutException](
                f"RPC {source} timed out after {self._config.timeout_s:g}s; retry.", venue=VENUE
            ) from exc
        except httpx.TransportError as exc:
            raise TRANSPORT_ERRORS[httpx.TransportError](
                f"RPC {source} failed ({type(exc).__name__}: {exc}); check {self._config.rpc_url}.",
                venue=VENUE,
            ) from exc
        body = response.content
        if response.status_code == 429:
            raise RateLimited(
                f"RPC {source} was rate-limited (HTTP 429); slow down or use a private endpoint.",
                retry_after_s=_retry_after(response),
                venue=VENUE,
                payload=body[:500].decode("utf-8", "replace"),
            )
        if response.status_code >= 500:
            raise TemporaryVenueError(
                f"RPC {source} failed on the server (HTTP {response.status_code}); retry.",
                venue=VENUE,
                payload=body[:500].decode("utf-8", "replace"),
            )
        try:
            envelope = msgspec.json.decode(body, type=GetAccountInfoResponse)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise SchemaError(
                f"RPC {source} returned a body that is not a getAccountInfo response ({exc}).",
                source=source,
                payload=body[:500].decode("utf-8", "replace"),
            ) from exc
        if envelope.error is not None:
            err = envelope.error
            message = f"RPC {source} returned error {err.code}: {err.message}."
            if err.code == 429:
                raise RateLimited(message + " Slow down.", venue=VENUE, payload=err.message)
            if err.code in RETRYABLE_RPC_CODES:
                raise TemporaryVenueError(message + " Retry.", venue=VENUE, payload=err.message)
            raise OrderRejected(message, reason=f"rpc_{err.code}", venue=VENUE, payload=err.message)
        if envelope.result is None:
            raise SchemaError(
                f"RPC {source} returned neither result nor error.",
                source=source,
                payload=body[:500].decode("utf-8", "replace"),
            )
        value = envelope.result.value
        if value is None:
            return None
        try:
            return base64.b64decode(value.data[0], validate=True)
        except (binascii.Error, ValueError, IndexError) as exc:
            raise SchemaError(
                f"RPC {source} returned account data that is not base64 ({exc}).",
                source=source,
                payload=str(value.data)[:200],
            ) from exc


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return float(response.headers["retry-after"])
    except (KeyError, ValueError):
        return None

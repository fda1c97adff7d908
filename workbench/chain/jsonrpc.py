"""JSON-RPC over HTTP with several endpoints: failover, a rate limit each, one retry loop.

Used by :class:`~workbench.chain.rpc.RpcChain` (Solana RPC) and the Jito block engine client.
Request building and response checking are plain functions; :class:`JsonRpcClient` only moves
bytes. Every failure is translated once, here, into the workbench error tree:

==========================================  ============================================
failure                                     workbench error
==========================================  ============================================
``httpx.TimeoutException``                  ``TemporaryVenueError`` (failover, retried)
``httpx.TransportError``                    ``TemporaryVenueError`` (failover, retried)
HTTP 429 (any body), JSON-RPC 429/-32429    ``RateLimited`` (failover, honours Retry-After)
HTTP 5xx                                    ``TemporaryVenueError`` (failover, retried)
body not JSON, truncated, wrong shape or    ``TemporaryVenueError`` from ``SchemaError``
wrong field types                           (failover, retried): one node's garbage says
                                            nothing about the chain, another node may answer
JSON-RPC ``error`` object                   :func:`~workbench.chain.classify.classify_rpc_error`
other HTTP 4xx without a JSON-RPC error     ``VenueError`` (a bad key or URL: fix the config)
==========================================  ============================================

Failover: endpoints are tried in configured order, skipping any that failed within
``cooldown_s`` (or its Retry-After); one *attempt* tries every endpoint once, and only when all
of them failed does :func:`~workbench.chain.retry.retry` back off and try again. Endpoint URLs
often embed an API key, so logs and errors show only ``scheme://host``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx

from workbench.chain.classify import classify_rpc_error
from workbench.errors import (
    RateLimited,
    SchemaError,
    TemporaryVenueError,
    VenueError,
    WorkbenchError,
)
from workbench.retry import RateLimiter, RetryPolicy, retry

__all__ = [
    "EXCEPTION_MAP",
    "JsonRpcClient",
    "RpcEndpoint",
    "check_rpc_response",
    "rpc_request",
    "safe_url",
]

log = logging.getLogger("workbench.chain")
T = TypeVar("T")

EXCEPTION_MAP: dict[type[Exception], type[WorkbenchError]] = {
    httpx.TimeoutException: TemporaryVenueError,
    httpx.TransportError: TemporaryVenueError,
    json.JSONDecodeError: TemporaryVenueError,
    UnicodeDecodeError: TemporaryVenueError,
    SchemaError: TemporaryVenueError,
}
"""Exceptions raised below this module -> the workbench error raised from them."""


def safe_url(url: str) -> str:
    """``scheme://host[:port]`` of ``url``: paths and queries often carry API keys."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}" if parts.netloc else "<url>"


@dataclass(frozen=True, slots=True, kw_only=True)
class RpcEndpoint:
    """One JSON-RPC endpoint.

    Attributes:
        url: full URL (may embed an API key; never logged whole).
        rate_per_s: the most requests per second sent to it (public mainnet RPC allows ~10).
        headers: extra headers (e.g. an auth header), never logged.
    """

    url: str
    rate_per_s: float = 10.0
    headers: Mapping[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"RpcEndpoint({safe_url(self.url)}, rate_per_s={self.rate_per_s})"


def rpc_request(method: str, params: Sequence[Any] | None, request_id: int) -> dict[str, Any]:
    """The JSON-RPC 2.0 request object (``params`` omitted when None)."""
    req: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": method}
    if params is not None:
        req["params"] = list(params)
    return req


def _short(text: str, n: int = 300) -> str:
    return text if len(text) <= n else text[:n] + "..."


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def check_rpc_response(
    status: int, content: bytes, headers: Mapping[str, str], *, venue: str, where: str,
    method: str,
) -> Any:
    """The ``result`` of one JSON-RPC HTTP response, or the workbench error it means.

    Args:
        status: HTTP status code.
        content: raw body.
        headers: response headers (lower-case keys as httpx gives them).
        venue: "rpc", "jito", ... carried by errors.
        where: the endpoint's safe URL, for messages.
        method: the JSON-RPC method, for messages.

    Raises:
        RateLimited / TemporaryVenueError / VenueError subclasses / TxError subclasses:
            see the module table.
    """
    text = content.decode("utf-8", "replace")
    if status == 429:
        rid, payload = None, _short(text)
        try:
            body = json.loads(content)
            if isinstance(body, dict) and isinstance(body.get("error"), dict):
                payload = body["error"]
                rid = None if body.get("id") is None else str(body["id"])
        except (json.JSONDecodeError, UnicodeDecodeError):
            pass
        raise RateLimited(
            f"{venue} {where} rate-limited {method} (HTTP 429); backing off or failing over. "
            "Lower the endpoint's rate_per_s or add a paid endpoint.",
            venue=venue, request_id=rid, payload=payload, retry_after_s=_retry_after(headers))
    if status >= 500:
        raise TemporaryVenueError(
            f"{venue} {where} returned HTTP {status} for {method}; retrying.",
            venue=venue, payload=_short(text))
    try:
        body = json.loads(content)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        if status >= 400:
            raise VenueError(
                f"{venue} {where} refused {method} with HTTP {status}: {_short(text, 200)!r}. "
                "Check the endpoint URL and its API key.", venue=venue, payload=_short(text),
            ) from exc
        raise TemporaryVenueError(
            f"{venue} {where} sent a body that is not JSON for {method} ({exc}): "
            f"{_short(text, 80)!r}; trying another endpoint.", venue=venue, payload=_short(text),
        ) from SchemaError(str(exc), source=where, payload=_short(text))
    rid = None
    if isinstance(body, dict) and body.get("id") is not None:
        rid = str(body["id"])
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        raise classify_rpc_error(body["error"], venue=venue, request_id=rid, http_status=status,
                                 retry_after_s=_retry_after(headers))
    if status >= 400:
        raise VenueError(
            f"{venue} {where} refused {method} with HTTP {status}: {_short(text, 200)!r}. "
            "Check the endpoint URL and its API key.", venue=venue, payload=_short(text))
    if not isinstance(body, dict) or "result" not in body:
        raise TemporaryVenueError(
            f"{venue} {where} answered {method} with neither result nor error: "
            f"{_short(text, 120)!r}; trying another endpoint.", venue=venue, request_id=rid,
            payload=_short(text))
    return body["result"]


class _State:
    __slots__ = ("down_until", "endpoint", "limiter")

    def __init__(self, endpoint: RpcEndpoint, clock: Callable[[], float],
                 sleep: Callable[[float], Awaitable[None]]) -> None:
        self.endpoint = endpoint
        self.limiter = RateLimiter(endpoint.rate_per_s, clock=clock, sleep=sleep)
        self.down_until = 0.0


class JsonRpcClient:
    """JSON-RPC calls over ``httpx.AsyncClient`` with failover, rate limits and retry.

    Args:
        http: the shared HTTP client (its lifetime is the caller's).
        endpoints: URLs or :class:`RpcEndpoint` in failover order.
        venue: name carried by errors ("rpc", "jito").
        policy: retry limits for every call (override per call).
        timeout_s: per-request timeout.
        cooldown_s: how long a failed endpoint is skipped while others remain.
        clock / sleep: injectable for tests.

    Example:
        >>> async with httpx.AsyncClient() as http:  # doctest: +SKIP
        ...     rpc = JsonRpcClient(http, ["https://rpc-a.example", "https://rpc-b.example"])
        ...     height = await rpc.call("getBlockHeight", [{"commitment": "confirmed"}])
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        endpoints: Sequence[str | RpcEndpoint],
        *,
        venue: str = "rpc",
        policy: RetryPolicy | None = None,
        timeout_s: float = 10.0,
        cooldown_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        eps = [e if isinstance(e, RpcEndpoint) else RpcEndpoint(url=e) for e in endpoints]
        if not eps:
            raise ValueError("JsonRpcClient needs at least one endpoint URL.")
        self.http = http
        self.venue = venue
        self.policy = policy or RetryPolicy()
        self.timeout_s = timeout_s
        self.cooldown_s = cooldown_s
        self._clock = clock
        self._sleep = sleep
        self._states = [_State(e, clock, sleep) for e in eps]
        self._ids = itertools.count(1)

    def __repr__(self) -> str:
        return f"JsonRpcClient({self.venue}, {[safe_url(s.endpoint.url) for s in self._states]})"

    @property
    def endpoints(self) -> tuple[RpcEndpoint, ...]:
        """Configured endpoints in failover order."""
        return tuple(s.endpoint for s in self._states)

    def _order(self) -> list[_State]:
        now = self._clock()
        up = [s for s in self._states if s.down_until <= now]
        down = sorted((s for s in self._states if s.down_until > now), key=lambda s: s.down_until)
        return up + down

    async def _post_once(self, state: _State, method: str, params: Sequence[Any] | None,
                         parse: Callable[[Any], T] | None) -> T:
        ep = state.endpoint
        where = safe_url(ep.url)
        await state.limiter.wait()
        req = rpc_request(method, params, next(self._ids))
        try:
            resp = await self.http.post(ep.url, json=req, headers=dict(ep.headers),
                                        timeout=self.timeout_s)
        except httpx.TimeoutException as exc:
            raise TemporaryVenueError(f"{self.venue} {where} timed out on {method}; retrying.",
                                      venue=self.venue) from exc
        except httpx.TransportError as exc:
            raise TemporaryVenueError(
                f"{self.venue} {where} connection failed on {method}: {type(exc).__name__}; "
                "retrying.", venue=self.venue) from exc
        result = check_rpc_response(resp.status_code, resp.content, resp.headers,
                                    venue=self.venue, where=where, method=method)
        if parse is None:
            return result  # type: ignore[no-any-return]
        try:
            return parse(result)
        except SchemaError as exc:
            raise TemporaryVenueError(
                f"{self.venue} {where} answered {method} in an unexpected shape ({exc}); "
                "trying another endpoint.", venue=self.venue, payload=exc.payload) from exc

    async def _attempt(self, method: str, params: Sequence[Any] | None,
                       parse: Callable[[Any], T] | None) -> T:
        last: TemporaryVenueError | None = None
        for state in self._order():
            try:
                out = await self._post_once(state, method, params, parse)
            except TemporaryVenueError as exc:
                hint = exc.retry_after_s if isinstance(exc, RateLimited) else None
                state.down_until = self._clock() + max(self.cooldown_s, hint or 0.0)
                log.info("%s %s failed on %s (%s); failing over", self.venue, method,
                         safe_url(state.endpoint.url), type(exc).__name__)
                last = exc
                continue
            state.down_until = 0.0
            return out
        raise last if last is not None else TemporaryVenueError(
            f"{self.venue} has no endpoint to try for {method}.", venue=self.venue)

    async def call(
        self,
        method: str,
        params: Sequence[Any] | None = None,
        *,
        parse: Callable[[Any], T] | None = None,
        policy: RetryPolicy | None = None,
    ) -> T:
        """Call ``method`` and return its parsed ``result``.

        Args:
            method: JSON-RPC method name.
            params: positional params.
            parse: applied to ``result`` per endpoint; a ``SchemaError`` from it counts as
                that endpoint's failure (failover), never as the chain's answer.
            policy: retry limits for this call (default: the client's).

        Raises:
            TemporaryVenueError: every endpoint kept failing through all attempts.
            VenueError / TxError subclasses: an answer that retrying cannot change.
        """
        return await retry(lambda: self._attempt(method, params, parse),
                           policy=policy or self.policy, what=f"{self.venue} {method}",
                           sleep=self._sleep)

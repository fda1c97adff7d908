"""The one HTTP shell every data source uses: error mapping, rate limit, retry.

Third-party exceptions are translated once, here, into workbench errors (httpx
``map_exceptions`` style), so sources and callers only ever see:

========================================  ======================================
source failure                            workbench error
========================================  ======================================
``httpx.TimeoutException``                ``TemporaryVenueError`` (retried)
``httpx.TransportError`` (connect, read)  ``TemporaryVenueError`` (retried)
HTTP 429, JSON-RPC error code 429         ``RateLimited`` (retried, honours Retry-After)
HTTP 5xx, JSON-RPC -32005 (node behind)   ``TemporaryVenueError`` (retried)
other HTTP 4xx, other JSON-RPC errors     ``VenueError`` (not retried)
body that is not JSON / wrong shape       ``SchemaError`` (not retried)
========================================  ======================================

Retry lives only in :func:`retry`, which catches ``TemporaryVenueError`` and nothing else.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from workbench.errors import (
    RateLimited,
    SchemaError,
    TemporaryVenueError,
    VenueError,
)

__all__ = [
    "EXCEPTION_MAP",
    "RateLimiter",
    "RetryPolicy",
    "check_response",
    "request_json",
    "retry",
]

log = logging.getLogger("workbench.data")
T = TypeVar("T")

EXCEPTION_MAP: dict[type[Exception], type[Exception]] = {
    httpx.TimeoutException: TemporaryVenueError,
    httpx.TransportError: TemporaryVenueError,
    json.JSONDecodeError: SchemaError,
    UnicodeDecodeError: SchemaError,
}
"""Third-party exception -> workbench error raised from it (most specific first)."""

_JSONRPC_RATE_LIMIT = {429, -32429}
_JSONRPC_TEMPORARY = {-32005, -32004, -32014, -32016}  # node behind, block not available...


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    """Named retry limits.

    Attributes:
        max_attempts: attempts in total, the first included.
        base_delay_s: delay before the second attempt; doubles each time.
        max_delay_s: cap on one delay.
        jitter: +- fraction of random jitter on each delay, so clients do not retry in step.
    """

    max_attempts: int = 5
    base_delay_s: float = 0.5
    max_delay_s: float = 30.0
    jitter: float = 0.25

    def delay_s(self, attempt: int, hint_s: float | None = None) -> float:
        """Delay after failed ``attempt`` (1-based); a server's Retry-After wins if longer."""
        raw = min(self.max_delay_s, self.base_delay_s * 2 ** (attempt - 1))
        raw *= 1 + random.uniform(-self.jitter, self.jitter)
        return max(raw, min(hint_s or 0.0, self.max_delay_s))


async def retry(
    call: Callable[[], Awaitable[T]],
    *,
    policy: RetryPolicy | None = None,
    what: str = "request",
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> T:
    """Run ``call`` until it succeeds, retrying only ``TemporaryVenueError`` with backoff.

    Args:
        call: a zero-argument coroutine factory (called afresh for each attempt).
        policy: limits; defaults to ``RetryPolicy()``.
        what: a label for the per-attempt log line.
        sleep: injectable for tests.

    Raises:
        TemporaryVenueError: the last error after ``max_attempts``.
        Exception: anything else, at once.
    """
    pol = policy or RetryPolicy()
    attempt = 1
    while True:
        try:
            return await call()
        except TemporaryVenueError as exc:
            if attempt >= pol.max_attempts:
                log.warning("%s failed after %d attempts: %s", what, attempt, exc)
                raise
            hint = exc.retry_after_s if isinstance(exc, RateLimited) else None
            delay = pol.delay_s(attempt, hint)
            log.info("%s attempt %d/%d failed (%s); retrying in %.2fs", what, attempt,
                     pol.max_attempts, type(exc).__name__, delay)
            await sleep(delay)
            attempt += 1


class RateLimiter:
    """At most ``rate_per_s`` calls per second per source (spacing, not bursts).

    One instance per source; concurrent callers queue on its lock.
    """

    def __init__(self, rate_per_s: float, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        if rate_per_s <= 0:
            raise ValueError(f"rate_per_s={rate_per_s} must be > 0")
        self.interval_s = 1.0 / rate_per_s
        self._clock = clock
        self._sleep = sleep
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        """Block until this caller may send."""
        async with self._lock:
            now = self._clock()
            if self._next > now:
                await self._sleep(self._next - now)
                now = self._next
            self._next = now + self.interval_s


def _retry_after(resp: httpx.Response) -> float | None:
    value = resp.headers.get("retry-after")
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None


def _short(text: str, n: int = 300) -> str:
    return text if len(text) <= n else text[:n] + "..."


def check_response(resp: httpx.Response, *, venue: str) -> Any:
    """Map an HTTP response to its JSON body or the matching workbench error.

    Raises:
        RateLimited: HTTP 429 or a JSON-RPC 429 error object.
        TemporaryVenueError: HTTP 5xx or a JSON-RPC "node behind"-type error.
        VenueError: other HTTP errors and JSON-RPC errors.
        SchemaError: the body is not JSON.
    """
    status = resp.status_code
    url = str(resp.request.url) if resp.request is not None else "?"
    if status == 429:
        raise RateLimited(
            f"{venue} rate-limited {url} (HTTP 429); backing off. Lower "
            "data.requests_per_s or use a paid endpoint.",
            venue=venue, payload=_short(resp.text), retry_after_s=_retry_after(resp),
        )
    if status >= 500:
        raise TemporaryVenueError(
            f"{venue} returned HTTP {status} for {url}; retrying later.",
            venue=venue, payload=_short(resp.text),
        )
    if status >= 400:
        raise VenueError(
            f"{venue} refused {url} with HTTP {status}: {_short(resp.text, 200)}",
            venue=venue, payload=_short(resp.text),
        )
    try:
        body = json.loads(resp.content)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SchemaError(
            f"{venue} sent a body that is not JSON for {url} ({exc}); got "
            f"{_short(resp.text, 80)!r}.", source=venue, payload=_short(resp.text),
        ) from exc
    if isinstance(body, dict) and body.get("jsonrpc") and isinstance(body.get("error"), dict):
        err = body["error"]
        code = err.get("code")
        msg = f"{venue} JSON-RPC error {code}: {err.get('message')}"
        rid = str(body.get("id")) if body.get("id") is not None else None
        if code in _JSONRPC_RATE_LIMIT:
            raise RateLimited(msg, venue=venue, request_id=rid, payload=err,
                              retry_after_s=_retry_after(resp))
        if code in _JSONRPC_TEMPORARY:
            raise TemporaryVenueError(msg, venue=venue, request_id=rid, payload=err)
        raise VenueError(msg, venue=venue, request_id=rid, payload=err)
    return body


async def request_json(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    venue: str,
    limiter: RateLimiter | None = None,
    params: Any = None,
    json_body: Any = None,
    headers: Mapping[str, str] | None = None,
) -> Any:
    """One HTTP request, rate-limited, with transport errors mapped (no retry here)."""
    if limiter is not None:
        await limiter.wait()
    try:
        resp = await client.request(method, url, params=params, json=json_body, headers=headers)
    except httpx.TimeoutException as exc:
        raise TemporaryVenueError(f"{venue} timed out on {url}; retrying later.",
                                  venue=venue) from exc
    except httpx.TransportError as exc:
        raise TemporaryVenueError(f"{venue} connection failed on {url}: {exc}",
                                  venue=venue) from exc
    return check_response(resp, venue=venue)

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

Retry lives only in :func:`workbench.retry.retry` (re-exported here), which catches
``TemporaryVenueError`` and nothing else.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any, TypeVar

import httpx

from workbench.errors import (
    RateLimited,
    SchemaError,
    TemporaryVenueError,
    VenueError,
)
from workbench.retry import RateLimiter, RetryPolicy, retry

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

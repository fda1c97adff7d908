"""The one retry helper and rate limiter, for every client that talks to the network.

Data sources (``workbench.data.http``), the RPC and websocket clients (``workbench.chain``) and
the Jito client all retry through :func:`retry` and space their calls with :class:`RateLimiter`.

Retry lives only in :func:`retry`, which catches :class:`~workbench.errors.TemporaryVenueError`
(and so ``RateLimited``) and nothing else: a slippage refusal or an expired blockhash is an
answer, not a fault, and retrying it would only waste the blockhash's remaining life.

Delays double from ``base_delay_s`` up to ``max_delay_s``, with +-``jitter`` so many clients
backing off from one 429 do not come back in step; a server's ``Retry-After`` wins when longer.
Worked numbers for the defaults (0.25 s base, x2, 25 % jitter): attempts 2..5 wait about
0.25, 0.5, 1 and 2 s, so a call gives up after ~3.75 s in total, well inside the ~60 s a
blockhash lives.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from workbench.errors import RateLimited, TemporaryVenueError

__all__ = ["RateLimiter", "RetryPolicy", "retry"]

log = logging.getLogger("workbench.retry")
T = TypeVar("T")


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    """Named retry limits.

    Attributes:
        max_attempts: attempts in total, the first included.
        base_delay_s: delay before the second attempt; doubles each time.
        max_delay_s: cap on one delay.
        jitter: +- fraction of random jitter on each delay.
    """

    max_attempts: int = 5
    base_delay_s: float = 0.25
    max_delay_s: float = 8.0
    jitter: float = 0.25

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts={self.max_attempts} must be >= 1")
        if not 0 <= self.jitter < 1:
            raise ValueError(f"jitter={self.jitter} must be in [0, 1)")

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
            log.info("%s attempt %d/%d failed (%s: %s); retrying in %.2fs", what, attempt,
                     pol.max_attempts, type(exc).__name__, exc, delay)
            await sleep(delay)
            attempt += 1


class RateLimiter:
    """At most ``rate_per_s`` calls per second (even spacing, no bursts); one per endpoint.

    Concurrent callers queue on its lock, so the limit holds across tasks.
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

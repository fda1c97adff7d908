"""Notifications: webhook (POST JSON) and Telegram (``sendMessage``), rate-limited.

Alerts are queued and sent by one background task so the trading path never waits on HTTP.
At most ``max_per_minute`` alerts go out in any sliding minute; the rest are counted and the
next alert that goes out says how many were suppressed, so a storm (a flapping feed, a burst
of rejections) reaches the user as one line, not a hundred. Delivery failures are logged and
counted, never raised: a dead webhook must not stop trading.

Telegram: ``POST {telegram_api_url}/bot<token>/sendMessage`` with ``chat_id`` and ``text``
(https://core.telegram.org/bots/api#sendmessage); a reply with ``"ok": false`` is a failure.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

__all__ = ["Alert", "Alerter"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class Alert:
    """One notification.

    Attributes:
        kind: ``fill``, ``breach``, ``breaker``, ``task_failed``, ``stale_feed``, ``job_failed``.
        text: one line for a human.
        fields: structured context for the webhook.
        ts_ns: when it was raised.
    """

    kind: str
    text: str
    fields: dict[str, Any] = field(default_factory=dict)
    ts_ns: int = field(default_factory=time.time_ns)


class Alerter:
    """Sends alerts through the configured channels.

    Args:
        settings: ``AlertSettings`` (webhook_url, telegram_*, max_per_minute).
        client: an ``httpx.AsyncClient`` (tests pass one; default: a new one, 5 s timeout).
        clock: monotonic seconds, for the rate limit.
    """

    def __init__(self, settings: Any, *, client: httpx.AsyncClient | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.webhook_url = settings.webhook_url
        token = settings.telegram_bot_token
        self._tg_token = token.get_secret_value() if token is not None else ""
        self.tg_chat = settings.telegram_chat_id
        self.tg_api = settings.telegram_api_url.rstrip("/")
        self.max_per_minute = settings.max_per_minute
        self._client = client
        self._own_client = client is None
        self._clock = clock
        self._sent_at: collections.deque[float] = collections.deque()
        self._queue: asyncio.Queue[Alert] = asyncio.Queue(1000)
        self.suppressed = 0
        self.sent = 0
        self.failed = 0
        self.on_outcome: Callable[[str], Any] | None = None

    @property
    def enabled(self) -> bool:
        """True when at least one channel is configured."""
        return bool(self.webhook_url or (self._tg_token and self.tg_chat))

    def notify(self, kind: str, text: str, **fields: Any) -> None:
        """Queue an alert (never blocks; drops when the queue is full)."""
        if not self.enabled:
            return
        try:
            self._queue.put_nowait(Alert(kind=kind, text=text, fields=fields))
        except asyncio.QueueFull:
            self.suppressed += 1

    def _allow(self) -> bool:
        now = self._clock()
        while self._sent_at and now - self._sent_at[0] >= 60.0:
            self._sent_at.popleft()
        if len(self._sent_at) >= self.max_per_minute:
            return False
        self._sent_at.append(now)
        return True

    async def run(self) -> None:
        """Deliver queued alerts until cancelled."""
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=5.0)
        try:
            while True:
                alert = await self._queue.get()
                await self.deliver(alert)
        finally:
            if self._own_client and self._client is not None:
                await self._client.aclose()
                self._client = None

    async def deliver(self, alert: Alert) -> bool:
        """Send one alert now, subject to the rate limit; True when any channel took it."""
        if not self._allow():
            self.suppressed += 1
            self._outcome("suppressed")
            return False
        text = alert.text
        if self.suppressed:
            text += f" (+{self.suppressed} alerts suppressed by the rate limit)"
            self.suppressed = 0
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=5.0)
        ok = False
        if self.webhook_url:
            ok |= await self._post(self.webhook_url, {"kind": alert.kind, "text": text,
                                                      "ts_ns": alert.ts_ns, **alert.fields},
                                   "webhook")
        if self._tg_token and self.tg_chat:
            ok |= await self._post(f"{self.tg_api}/bot{self._tg_token}/sendMessage",
                                   {"chat_id": self.tg_chat, "text": f"[{alert.kind}] {text}",
                                    "disable_web_page_preview": True}, "telegram")
        if ok:
            self.sent += 1
        return ok

    async def _post(self, url: str, payload: dict[str, Any], channel: str) -> bool:
        assert self._client is not None
        try:
            resp = await self._client.post(url, json=payload)
        except httpx.HTTPError as exc:
            self.failed += 1
            self._outcome("failed")
            log.warning("alert via %s failed: %s", channel, type(exc).__name__)
            return False
        good = resp.status_code < 300
        if good and channel == "telegram":
            try:
                good = bool(resp.json().get("ok"))
            except ValueError:
                good = False
        if not good:
            self.failed += 1
            self._outcome("failed")
            log.warning("alert via %s refused: HTTP %s", channel, resp.status_code)
            return False
        self._outcome("sent")
        return True

    def _outcome(self, what: str) -> None:
        if self.on_outcome is not None:
            self.on_outcome(what)

    async def flush(self, timeout_s: float = 2.0) -> None:
        """Deliver what is still queued (at shutdown), for at most ``timeout_s``."""
        if not self.enabled:
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while not self._queue.empty() and loop.time() < deadline:
            alert = self._queue.get_nowait()
            try:
                await asyncio.wait_for(self.deliver(alert), max(0.01, deadline - loop.time()))
            except TimeoutError:
                return

    async def close(self) -> None:
        """Close the HTTP client this alerter created."""
        if self._own_client and self._client is not None:
            await self._client.aclose()
            self._client = None

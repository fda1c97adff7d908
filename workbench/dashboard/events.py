"""Live engine events from Redis Streams: the dashboard refreshes the moment the engine acts.

The engine mirrors its event bus to the Redis stream ``workbench:events`` when
``engine.redis_url`` is set (``workbench.live.bus.RedisForwarder``): one entry per event with
the fields ``topic`` (``fill``, ``order``, ``strategy``, ``breaker``, ``command``, ``task``,
``bar``, ``recovery``), ``ts`` (ns, text) and ``data`` (JSON). The engine writes the store
first and publishes after, so an event means the store already holds what it announces.

One :class:`EventFeed` per dashboard process follows the stream from a daemon thread with a
blocking ``XREAD`` and calls its subscribers (one per browser session) with each batch; a
session then re-reads the store at once instead of at its next poll. The feed is an
accelerator, not the source of truth: sessions keep polling the store, so a Redis outage
(the feed retries with backoff and says so in the status bar) only costs latency.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "EVENTS_STREAM",
    "REFRESH_TOPICS",
    "EventFeed",
    "StreamEvent",
    "parse_entry",
    "redact_url",
    "start_event_feed",
]

log = logging.getLogger(__name__)

#: The engine's event stream (``workbench.live.bus.EVENTS_STREAM``; a test pins the two
#: together, as the dashboard may not import the engine).
EVENTS_STREAM = "workbench:events"

#: Topics after which the pages' data has changed; ``bar`` events alone do not trigger a
#: refresh (the equity they move is persisted every few bars and polled).
REFRESH_TOPICS = frozenset({"fill", "order", "strategy", "breaker", "command", "task",
                            "recovery"})


@dataclass(frozen=True, slots=True, kw_only=True)
class StreamEvent:
    """One entry of the engine's event stream.

    Attributes:
        id: the Redis stream entry id (``<ms>-<seq>``).
        topic: what happened (``fill``, ``order`` ...).
        ts_ns: when the engine published it, ns (0 when missing or malformed).
        data: the payload; ``{"raw": text}`` when it is not a JSON object.
    """

    id: str
    topic: str
    ts_ns: int
    data: Mapping[str, Any] = field(default_factory=dict)


def redact_url(url: str) -> str:
    """``url`` without its password (``redis://:secret@host`` -> ``redis://:***@host``)."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def parse_entry(entry_id: Any, fields: Mapping[Any, Any]) -> StreamEvent:
    """A stream entry (as redis-py returns it, bytes or text) as a :class:`StreamEvent`.

    Malformed entries are kept, not dropped: a bad ``ts`` becomes 0, a non-object ``data``
    becomes ``{"raw": text}``, so the System page can still show what arrived.
    """
    values = {_text(k): _text(v) for k, v in fields.items()}
    try:
        ts_ns = int(values.get("ts", "0"))
    except ValueError:
        ts_ns = 0
    raw = values.get("data", "")
    try:
        data = json.loads(raw) if raw else {}
    except json.JSONDecodeError:
        data = {"raw": raw}
    if not isinstance(data, dict):
        data = {"raw": raw}
    return StreamEvent(id=_text(entry_id), topic=values.get("topic", ""), ts_ns=ts_ns, data=data)


Subscriber = Callable[[Sequence[StreamEvent]], None]


class EventFeed:
    """Follows a Redis stream from a daemon thread and hands each batch to subscribers.

    Args:
        redis_url: ``redis://host:port/db``.
        stream: the stream key.
        block_ms: how long one ``XREAD`` waits for entries (also how fast :meth:`stop` acts).
        keep: how many recent events :attr:`recent` holds.
        max_backoff_s: longest wait between reconnection attempts.

    Attributes:
        recent: the newest events, oldest first (filled with the stream's tail at connect).
        is_connected: the last Redis call succeeded.
        last_error: why the last Redis call failed, empty when it did not.
        received: events read since start.
    """

    def __init__(self, redis_url: str, *, stream: str = EVENTS_STREAM, block_ms: int = 1000,
                 keep: int = 200, max_backoff_s: float = 10.0) -> None:
        self.redis_url = redis_url
        self.stream = stream
        self.block_ms = block_ms
        self.max_backoff_s = max_backoff_s
        self.recent: deque[StreamEvent] = deque(maxlen=keep)
        self.is_connected = False
        self.last_error = ""
        self.received = 0
        self._subs: list[Subscriber] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def subscribe(self, callback: Subscriber) -> None:
        """Call ``callback(events)`` from the feed's thread after every batch read."""
        with self._lock:
            self._subs.append(callback)

    def unsubscribe(self, callback: Subscriber) -> None:
        """Stop calling ``callback`` (unknown callbacks are ignored)."""
        with self._lock:
            self._subs = [s for s in self._subs if s is not callback]

    @property
    def subscribers(self) -> int:
        """How many sessions follow the feed."""
        return len(self._subs)

    def describe(self) -> str:
        """One line for the status bar."""
        if self.is_connected:
            return f"redis stream {self.stream}"
        return f"store polling (redis: {self.last_error or 'connecting'})"

    def start(self) -> EventFeed:
        """Start the reader thread (once)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="workbench-dashboard-events",
                                            daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop reading; returns once the thread ended (or ``timeout_s`` passed)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout_s)

    def _notify(self, events: Sequence[StreamEvent]) -> None:
        with self._lock:
            subs = list(self._subs)
        for callback in subs:
            try:
                callback(events)
            except Exception as exc:  # one broken session must not stop the others
                log.warning("dashboard event subscriber failed: %s", exc)

    def _run(self) -> None:
        import redis

        backoff = 0.5
        last_id: str | None = None
        while not self._stop.is_set():
            client = redis.Redis.from_url(self.redis_url, socket_connect_timeout=2.0,
                                          socket_timeout=self.block_ms / 1000 + 5.0)
            try:
                if last_id is None:
                    tail = client.xrevrange(self.stream, count=self.recent.maxlen or 1)
                    self.recent.extend(parse_entry(i, f) for i, f in reversed(tail))
                    last_id = self.recent[-1].id if self.recent else "0-0"
                self.is_connected, self.last_error, backoff = True, "", 0.5
                while not self._stop.is_set():
                    resp = client.xread({self.stream: last_id}, count=500, block=self.block_ms)
                    for _stream, entries in resp or []:
                        events = [parse_entry(i, f) for i, f in entries]
                        if not events:
                            continue
                        last_id = events[-1].id
                        self.recent.extend(events)
                        self.received += len(events)
                        self._notify(events)
            except redis.RedisError as exc:
                self.is_connected = False
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.warning("dashboard event feed %s on %s: %s; retrying in %.1f s",
                            self.stream, redact_url(self.redis_url), self.last_error, backoff)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, self.max_backoff_s)
            finally:
                client.close()
        self.is_connected = False


def start_event_feed(redis_url: str, *, stream: str = EVENTS_STREAM) -> EventFeed | None:
    """A started feed for ``redis_url``, or None when Redis is not configured (empty URL)."""
    if not redis_url:
        return None
    return EventFeed(redis_url, stream=stream).start()


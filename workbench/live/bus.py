"""The event bus: in-process fan-out, mirrored to Redis Streams when configured.

Events are small JSON-ready dicts under a topic (``fill``, ``order``, ``bar``, ``breaker``,
``strategy``, ``task``, ``command``). Publishing never blocks the trading path: each subscriber
has a bounded queue and a slow one loses its oldest events (counted in ``dropped``), as a
dashboard that lags should not stall the engine. With Redis, a forwarder task appends every
event to the stream ``workbench:events`` (``XADD ... MAXLEN ~ 10000``) so dashboards in other
processes can ``XREAD`` fills and state changes live.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

__all__ = ["EVENTS_STREAM", "Event", "EventBus", "RedisForwarder", "to_json"]

log = logging.getLogger(__name__)

EVENTS_STREAM = "workbench:events"


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """One published event.

    Attributes:
        topic: what kind of event (``fill``, ``order``, ``bar`` ...).
        data: JSON-ready payload.
        ts_ns: wall time it was published, ns.
    """

    topic: str
    data: Mapping[str, Any]
    ts_ns: int = field(default_factory=time.time_ns)


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def to_json(data: Mapping[str, Any]) -> str:
    """Serialise a payload (Decimals as strings, so no base unit is lost)."""
    return json.dumps(data, default=_default, separators=(",", ":"))


class EventBus:
    """In-process publish/subscribe over bounded asyncio queues.

    Args:
        maxsize: queue length per subscriber before the oldest events are dropped.
    """

    def __init__(self, maxsize: int = 10_000) -> None:
        self.maxsize = maxsize
        self._subs: list[tuple[frozenset[str] | None, asyncio.Queue[Event]]] = []
        self.published = 0
        self.dropped = 0

    def subscribe(self, *topics: str) -> asyncio.Queue[Event]:
        """A queue receiving events of ``topics`` (all topics when none are given)."""
        queue: asyncio.Queue[Event] = asyncio.Queue(self.maxsize)
        self._subs.append((frozenset(topics) or None, queue))
        return queue

    def unsubscribe(self, queue: asyncio.Queue[Event]) -> None:
        """Stop delivering to ``queue``."""
        self._subs = [(t, q) for t, q in self._subs if q is not queue]

    def publish(self, topic: str, data: Mapping[str, Any]) -> Event:
        """Deliver an event to every matching subscriber without blocking."""
        event = Event(topic=topic, data=data)
        self.published += 1
        for topics, queue in self._subs:
            if topics is not None and topic not in topics:
                continue
            if queue.full():
                queue.get_nowait()
                self.dropped += 1
            queue.put_nowait(event)
        return event


class RedisForwarder:
    """Appends every bus event to a Redis Stream (run :meth:`run` as a supervised task).

    Args:
        bus: the in-process bus to mirror.
        redis_url: ``redis://host:port/db``.
        stream: stream key.
        maxlen: approximate stream length kept.
    """

    def __init__(self, bus: EventBus, redis_url: str, *, stream: str = EVENTS_STREAM,
                 maxlen: int = 10_000) -> None:
        self.bus = bus
        self.redis_url = redis_url
        self.stream = stream
        self.maxlen = maxlen
        self.forwarded = 0
        self._queue = bus.subscribe()

    async def run(self) -> None:
        """Forward events until cancelled; a Redis error propagates (the supervisor restarts)."""
        import redis.asyncio as aioredis

        client = aioredis.from_url(self.redis_url)
        try:
            while True:
                event = await self._queue.get()
                batch = [event]
                while not self._queue.empty() and len(batch) < 500:
                    batch.append(self._queue.get_nowait())
                async with client.pipeline(transaction=False) as pipe:
                    for ev in batch:
                        pipe.xadd(self.stream, {"topic": ev.topic, "ts": str(ev.ts_ns),
                                                "data": to_json(ev.data)},
                                  maxlen=self.maxlen, approximate=True)
                    await pipe.execute()
                self.forwarded += len(batch)
        finally:
            await client.aclose()

"""Live engine events from Redis Streams: parsing, the feed against the real Redis at
127.0.0.1:6379 (a unique stream per test, deleted after), the engine's forwarder as the
producer, and the fallback when Redis is down."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.dashboard.conftest import wait_until
from workbench.dashboard import events
from workbench.dashboard.events import EventFeed, StreamEvent, parse_entry

REDIS_URL = "redis://127.0.0.1:6379/0"


def test_stream_name_is_the_engines() -> None:
    """The dashboard follows the stream the engine's forwarder writes."""
    from workbench.live.bus import EVENTS_STREAM

    assert events.EVENTS_STREAM == EVENTS_STREAM


def test_parse_entry_reads_bytes_and_keeps_malformed_entries() -> None:
    """Entries as redis-py returns them (bytes) parse into topic, ts and the JSON payload;
    a bad ts becomes 0 and a non-object payload is kept as raw text."""
    ev = parse_entry(b"1700000000000-0", {b"topic": b"fill", b"ts": b"1700000000000000001",
                                          b"data": b'{"signature": "5x", "base_amount": "0.1"}'})
    assert ev == StreamEvent(id="1700000000000-0", topic="fill", ts_ns=1700000000000000001,
                             data={"signature": "5x", "base_amount": "0.1"})
    bad = parse_entry("1-1", {"topic": "order", "ts": "soon", "data": "[1, 2"})
    assert (bad.topic, bad.ts_ns, bad.data) == ("order", 0, {"raw": "[1, 2"})
    listed = parse_entry("1-2", {"topic": "bar", "data": "[1, 2]"})
    assert listed.data == {"raw": "[1, 2]"}


def test_logged_urls_hide_the_password() -> None:
    """The feed logs its Redis URL on errors; a password in it is masked."""
    assert events.redact_url("redis://:s3cret@cache:6379/0") == "redis://:***@cache:6379/0"
    assert events.redact_url("redis://bob:s3cret@cache/1") == "redis://bob:***@cache/1"
    assert events.redact_url(REDIS_URL) == REDIS_URL


@pytest.fixture
def redis_stream() -> Iterator[tuple[Any, str]]:
    """A client of the local Redis and a stream name nobody else uses."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError as exc:
        print(f"SKIP redis tests: no Redis at {REDIS_URL} ({exc})")
        pytest.skip(f"no Redis at {REDIS_URL}: {exc}")
    stream = f"workbench:events:test-{uuid.uuid4().hex}"
    yield client, stream
    client.delete(stream)
    client.close()


@pytest.mark.integration
def test_feed_reads_the_tail_then_new_events(redis_stream: tuple[Any, str]) -> None:
    """On connect the feed holds the stream's tail; each new entry reaches the subscribers
    once, in order, within a blocking read."""
    client, stream = redis_stream
    client.xadd(stream, {"topic": "bar", "ts": "1", "data": '{"close": "100"}'})
    feed = EventFeed(REDIS_URL, stream=stream, block_ms=200)
    seen: list[StreamEvent] = []
    feed.subscribe(seen.extend)
    feed.start()
    try:
        wait_until(lambda: feed.is_connected, timeout_s=5)
        assert [e.topic for e in feed.recent] == ["bar"]
        t0 = time.monotonic()
        client.xadd(stream, {"topic": "fill", "ts": str(time.time_ns()),
                             "data": '{"signature": "sig-1"}'})
        client.xadd(stream, {"topic": "order", "ts": str(time.time_ns()),
                             "data": '{"client_order_id": "o-1"}'})
        wait_until(lambda: len(seen) >= 2, timeout_s=2)
        print(f"events delivered after {(time.monotonic() - t0) * 1000:.0f} ms")
        assert [(e.topic, dict(e.data)) for e in seen] == [
            ("fill", {"signature": "sig-1"}), ("order", {"client_order_id": "o-1"})]
        assert feed.received == 2
        assert feed.describe() == f"redis stream {stream}"
    finally:
        feed.stop()
    assert not feed.is_connected


@pytest.mark.integration
def test_engine_forwarder_events_parse(redis_stream: tuple[Any, str]) -> None:
    """What the engine's RedisForwarder writes for a fill is what the feed understands.

    The forwarder runs on its own event loop in a thread (the browser tests' Playwright owns
    the main thread's loop when the whole folder runs)."""
    import threading
    from decimal import Decimal

    from workbench.live.bus import EventBus, RedisForwarder

    _client, stream = redis_stream
    feed = EventFeed(REDIS_URL, stream=stream, block_ms=200)
    seen: list[StreamEvent] = []
    feed.subscribe(seen.extend)
    feed.start()
    done = threading.Event()

    async def engine_side() -> None:
        bus = EventBus()
        task = asyncio.create_task(RedisForwarder(bus, REDIS_URL, stream=stream).run())
        bus.publish("fill", {"client_order_id": "grid-1", "base_amount": Decimal("0.25"),
                             "signature": "3sig"})
        await asyncio.to_thread(done.wait, 10)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    thread = threading.Thread(target=asyncio.run, args=(engine_side(),), daemon=True)
    try:
        wait_until(lambda: feed.is_connected, timeout_s=5)
        thread.start()
        wait_until(lambda: seen, timeout_s=3)
    finally:
        done.set()
        thread.join(timeout=5)
        feed.stop()
    assert seen[0].topic == "fill"
    assert seen[0].data == {"client_order_id": "grid-1", "base_amount": "0.25",
                            "signature": "3sig"}
    assert seen[0].ts_ns > 0


@pytest.mark.integration
def test_feed_without_redis_says_so_and_stops() -> None:
    """With nothing listening, the feed reports the error (the status bar shows store
    polling) and stops promptly."""
    feed = EventFeed("redis://127.0.0.1:1/0", block_ms=100, max_backoff_s=0.2).start()
    try:
        wait_until(lambda: feed.last_error, timeout_s=5)
        assert not feed.is_connected
        assert feed.describe().startswith("store polling (redis: ConnectionError")
    finally:
        t0 = time.monotonic()
        feed.stop()
    assert time.monotonic() - t0 < 3
    assert events.start_event_feed("") is None

"""The dashboard with Redis configured: an engine event on the stream puts a new fill on
screen at once, with store polling slowed so far that only the event can explain it."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from tests.dashboard.conftest import Browser, seeded_store
from workbench.config import Settings
from workbench.dashboard import serve_dashboard
from workbench.dashboard.demo import demo_fill
from workbench.domain import Order, OrderStatus, Side
from workbench.store import ledger

pytestmark = pytest.mark.integration

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError as exc:
        print(f"SKIP redis browser test: no Redis at {REDIS_URL} ({exc})")
        pytest.skip(f"no Redis at {REDIS_URL}: {exc}")
    stream = f"workbench:events:test-{uuid.uuid4().hex}"
    folder = tmp_path_factory.mktemp("dash-redis")
    store, seed, url = seeded_store(folder)
    settings = Settings(database={"url": url}, data={"dir": folder},
                        engine={"redis_url": REDIS_URL})
    # a poll every 60 s: within this test only an event can trigger a refresh
    server = serve_dashboard(settings, 0, threaded=True, refresh_ms=60_000,
                             events_stream=stream)
    yield {"store": store, "seed": seed, "url": server.url, "stream": stream,
           "redis": client}
    server.stop()
    client.delete(stream)
    client.close()


def test_fill_event_puts_the_fill_on_screen(browser: Browser, served: dict[str, Any]) -> None:
    """The engine's order of work (store the fill, then publish it) shows the fill within
    a second; the status bar says updates come from the Redis stream."""
    store, client = served["store"], served["redis"]
    browser.errors.clear()
    page = browser.page()
    page.goto(f"{served['url']}?page=orders")
    page.wait_for_selector(".wb-table-fills .tabulator-row", timeout=30_000)
    assert f"redis stream {served['stream']}" in page.locator(
        '[data-testid="status-live"]').inner_text()
    oid = f"evt-{time.time_ns()}"
    ledger.save_order(store, Order(client_order_id=oid, strategy="grid-sol", symbol="SOL/USDT",
                                   side=Side.BUY, amount=Decimal("0.5"), price=Decimal("99")),
                      status=OrderStatus.SUBMITTED)
    fill = demo_fill(oid, side=Side.BUY, base=Decimal("0.5"), price=Decimal("99"),
                     ts_ns=time.time_ns())
    ledger.save_fill(store, fill, strategy="grid-sol")
    start = time.monotonic()
    client.xadd(served["stream"], {"topic": "fill", "ts": str(time.time_ns()),
                                   "data": f'{{"signature": "{fill.signature}"}}'})
    page.wait_for_selector(f".wb-table-fills >> text={fill.signature}", timeout=1000)
    print(f"fill on screen {(time.monotonic() - start) * 1000:.0f} ms after its event")
    page.goto(f"{served['url']}?page=system")
    page.wait_for_selector(".wb-table-events >> text=fill", timeout=10_000)
    assert browser.errors == []
    page.context.close()

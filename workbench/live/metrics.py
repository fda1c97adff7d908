"""Prometheus metrics and a tiny HTTP server for ``/metrics`` and ``/health``.

Each engine owns a :class:`EngineMetrics` with its own ``CollectorRegistry`` (several engines in
one test process do not collide). The server is ``asyncio.start_server`` speaking just enough
HTTP/1.1 for Prometheus and curl: ``GET /metrics`` (text exposition format), ``GET /health``
(JSON, status 200 when healthy, 503 otherwise), anything else 404.

Stages timed (``wb_stage_seconds{stage=...}``): ``bar`` (whole bar), ``strategy``, ``risk``,
``tick_to_order`` (bar received -> order accepted by the gate, execution excluded), the
executor's ``route``/``build``/``sign``/``simulate``/``persist``/``confirm``/``parse``, and
``execute`` (whole execution).
"""

from __future__ import annotations

import asyncio
import collections
import json
import logging
from collections.abc import Callable
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

__all__ = ["EngineMetrics", "MetricsServer"]

log = logging.getLogger(__name__)

_BUCKETS = (0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
            0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class EngineMetrics:
    """The engine's Prometheus series."""

    def __init__(self) -> None:
        r = self.registry = CollectorRegistry()
        self.stage = Histogram("wb_stage_seconds", "Latency per pipeline stage", ["stage"],
                               buckets=_BUCKETS, registry=r)
        self.orders = Counter("wb_orders_total", "Orders by strategy and final status",
                              ["strategy", "status"], registry=r)
        self.fills = Counter("wb_fills_total", "Fills by strategy", ["strategy"], registry=r)
        self.rejections = Counter("wb_rejections_total", "Orders stopped, by rule", ["rule"],
                                  registry=r)
        self.bars = Counter("wb_bars_total", "Bars processed", ["symbol"], registry=r)
        self.equity = Gauge("wb_equity_usd", "Account equity, USD", registry=r)
        self.pnl = Gauge("wb_pnl_usd", "PnL, USD", ["kind"], registry=r)
        self.feed_lag = Gauge("wb_feed_lag_seconds", "Seconds since the feed's last update",
                              ["feed"], registry=r)
        self.breaker = Gauge("wb_breaker_state", "0 active, 1 reducing, 2 halted", registry=r)
        self.restarts = Counter("wb_task_restarts_total", "Supervised task restarts", ["task"],
                                registry=r)
        self.commands = Counter("wb_commands_total", "Control commands applied", ["command",
                                                                                  "ok"],
                                registry=r)
        self.alerts = Counter("wb_alerts_total", "Alerts by outcome", ["outcome"], registry=r)

        self.window: dict[str, collections.deque[int]] = {}
        self.counts: dict[str, int] = {}

    def observe_ns(self, stage: str, ns: int) -> None:
        """Record one stage latency given in nanoseconds."""
        self.stage.labels(stage).observe(ns / 1e9)
        win = self.window.get(stage)
        if win is None:
            win = self.window[stage] = collections.deque(maxlen=5000)
        win.append(ns)
        self.counts[stage] = self.counts.get(stage, 0) + 1

    def latency_summary(self) -> dict[str, dict[str, Any]]:
        """Per stage over the last 5,000 observations: count, p50_ms, p99_ms, max_ms, buckets.

        Percentiles are exact over the window (nearest rank), not bucket estimates.
        """
        out: dict[str, dict[str, Any]] = {}
        for stage, win in self.window.items():
            values = sorted(win)
            if not values:
                continue
            n = len(values)
            buckets: dict[str, int] = {}
            for v in values:
                for le in _BUCKETS:
                    if v <= le * 1e9:
                        key = f"{le * 1e3:g}"
                        buckets[key] = buckets.get(key, 0) + 1
                        break
            out[stage] = {"count": self.counts.get(stage, n),
                          "p50_ms": values[(n - 1) // 2] / 1e6,
                          "p99_ms": values[min(n - 1, int(n * 0.99))] / 1e6,
                          "max_ms": values[-1] / 1e6, "buckets": buckets}
        return out

    def render(self) -> bytes:
        """The text exposition of every series."""
        return generate_latest(self.registry)


class MetricsServer:
    """Serves ``/metrics`` and ``/health`` on ``host:port`` (port 0 picks a free one).

    Args:
        metrics: what ``/metrics`` renders.
        health: ``() -> dict`` with at least ``{"status": "ok" | ...}``.
    """

    def __init__(self, metrics: EngineMetrics, health: Callable[[], dict[str, Any]], *,
                 host: str = "127.0.0.1", port: int = 9108) -> None:
        self.metrics = metrics
        self.health = health
        self.host = host
        self.port = port
        self._server: asyncio.base_events.Server | None = None

    async def start(self) -> int:
        """Bind and serve in the background; returns the bound port."""
        self._server = await asyncio.start_server(self._handle, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        """Stop serving."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    @property
    def url(self) -> str:
        """Base URL."""
        return f"http://{self.host}:{self.port}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=5)
            parts = head.split(b"\r\n", 1)[0].decode("latin-1").split()
            method, path = (parts[0], parts[1]) if len(parts) >= 2 else ("", "")
            path = path.split("?", 1)[0]
            if method not in ("GET", "HEAD"):
                status, ctype, body = "405 Method Not Allowed", "text/plain", b"GET only\n"
            elif path == "/metrics":
                status, ctype, body = "200 OK", CONTENT_TYPE_LATEST, self.metrics.render()
            elif path == "/health":
                data = self.health()
                ok = data.get("status") == "ok"
                status = "200 OK" if ok else "503 Service Unavailable"
                ctype, body = "application/json", json.dumps(data, default=str).encode()
            else:
                status, ctype, body = "404 Not Found", "text/plain", b"try /metrics or /health\n"
            writer.write(f"HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: "
                         f"{len(body)}\r\nConnection: close\r\n\r\n".encode())
            if method != "HEAD":
                writer.write(body)
            await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError, ConnectionError):
            pass
        except Exception:  # one bad request must not stop the server
            log.exception("metrics server: request failed")
        finally:
            writer.close()

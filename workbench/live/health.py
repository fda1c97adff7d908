"""The ``/health`` document: feeds, chain, store, breaker, strategies, tasks.

``status`` is ``ok`` when the store answers, the chain answers, no supervised task has given
up and the feed is not stale; ``degraded`` when the breaker is tripped or a strategy errored;
``down`` otherwise. The same document is written to ``engine_state['health']`` on every
heartbeat for the dashboard.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import text

__all__ = ["build_health"]


def build_health(engine: Any) -> dict[str, Any]:
    """Health of a running :class:`~workbench.live.engine.Engine` as JSON-ready dict."""
    now = time.time_ns()
    problems: list[str] = []
    degraded: list[str] = []
    try:
        with engine.store.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        store = {"ok": True, "url": engine.store.url}
    except Exception as exc:  # health must report, not raise
        store = {"ok": False, "url": engine.store.url, "error": f"{type(exc).__name__}: {exc}"}
        problems.append("store")
    chain: dict[str, Any] = {"ok": False, "name": None}
    market = engine.market
    if market is not None:
        try:
            if hasattr(market, "status"):  # live: the last balance read over RPC
                chain = market.status()
            else:
                chain = {"ok": True, "name": market.chain.name,
                         "block_height": market.chain.height, "owner": str(market.owner)}
        except Exception as exc:  # health must report, not raise
            chain = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    if not chain["ok"]:
        problems.append("chain")
    lag = None if engine.last_feed_ns is None else (now - engine.last_feed_ns) / 1e9
    stale_after = engine.breaker.config.stale_after_s
    stale = lag is not None and lag > stale_after and not engine.feed_done
    feeds = {engine.config.symbol: {"last_bar_ts": engine._bar_ts or None, "lag_s": lag,
                                    "stale": stale, "finished": engine.feed_done,
                                    "bars": engine.bars_done}}
    if stale:
        problems.append("feed")
    breaker = engine.breaker_dict()
    if breaker["trading_state"] != "active":
        degraded.append("breaker")
    strategies = {n: {"enabled": s.enabled, "status": s.status}
                  for n, s in engine.slots.items()}
    if any(s["status"].startswith("error") for s in strategies.values()):
        degraded.append("strategy")
    tasks = engine.supervisor.snapshot()
    if any(t["state"] == "failed" for t in tasks.values()):
        problems.append("tasks")
    status = "down" if problems else ("degraded" if degraded else "ok")
    return {"status": status, "problems": problems + degraded, "ts": now, "mode": engine.mode,
            "feeds": feeds, "chain": chain, "store": store, "breaker": breaker,
            "strategies": strategies, "tasks": tasks}

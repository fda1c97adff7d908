"""Control plane: store and Redis commands applied within a second, audited; bus on Redis."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest

from workbench.errors import ConfigError
from workbench.live import CONTROL_STREAM, EVENTS_STREAM, Engine, submit
from workbench.live.control import normalise
from workbench.store import ledger

from .conftest import fast_config, make_settings, wait_until

REDIS_URL = "redis://127.0.0.1:6379/0"


async def _applied(store, cid: int, timeout_s: float = 1.0) -> tuple[str, str, float]:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout_s:
        cmds = ledger.load_commands(store)
        row = cmds[cmds["id"] == cid]
        if len(row) and row["status"].iloc[0] in ("applied", "failed"):
            return row["status"].iloc[0], row["result"].iloc[0], time.monotonic() - t0
        await asyncio.sleep(0.02)
    raise AssertionError(f"command {cid} not applied within {timeout_s}s")


def test_command_names_and_aliases():
    """Dashboard aliases map to the engine's commands; unknown ones are named in the error."""
    assert normalise("stop_strategy") == "stop"
    assert normalise("set-limit") == "set_limit"
    with pytest.raises(ConfigError, match="Unknown control command 'explode'"):
        normalise("explode")


@pytest.mark.integration
async def test_store_commands_apply_within_a_second_and_are_audited(tmp_path, sol_bars):
    """stop, set_param, set_limit, kill, reset_breaker from the store: applied < 1 s, audited."""
    eng = Engine(make_settings(tmp_path), config=fast_config(
        sol_bars, speed=3000.0, stop_at_end=False, serve_metrics=True, poll_s=0.05))
    task = asyncio.create_task(eng.run())
    await wait_until(lambda: eng.metrics.counts.get("tick_to_order"))
    store = eng.store
    cid = submit(store, actor="ana", command="stop_strategy", args={"strategy": "grid"})
    status, result, took = await _applied(store, cid)
    assert (status, result) == ("applied", "grid stopped") and took < 1.0
    assert not eng.slots["grid"].enabled
    cid = submit(store, actor="ana", command="set_param",
                 args={"strategy": "grid", "params": {"n_levels": "9"}})
    assert (await _applied(store, cid))[0] == "applied"
    assert eng.slots["grid"].strategy.params.n_levels == 9
    cid = submit(store, actor="bo", command="set_limit",
                 args={"name": "max_order_notional", "value": "250"})
    status, result, _ = await _applied(store, cid)
    assert (status, result) == ("applied", "max_order_notional: 1000 -> 250")
    assert str(eng.gate.limits.max_order_notional) == "250"
    cid = submit(store, actor="bo", command="set_param",
                 args={"strategy": "grid", "params": {"n_levels": "1"}})
    status, result, _ = await _applied(store, cid)
    assert status == "failed" and "n_levels=1 must be >= 2" in result
    cid = submit(store, actor="cy", command="kill", args={"flatten": False})
    assert (await _applied(store, cid))[0] == "applied"
    assert eng.breaker_dict()["trading_state"] == "halted"
    assert not any(s.enabled for s in eng.slots.values())
    cid = submit(store, actor="cy", command="reset_breaker")
    assert (await _applied(store, cid))[0] == "applied"
    assert eng.breaker_dict()["trading_state"] == "active"
    # /metrics and /health are served while running
    async with httpx.AsyncClient() as client:
        metrics = (await client.get(f"{eng.metrics_server.url}/metrics")).text
        health = (await client.get(f"{eng.metrics_server.url}/health")).json()
        missing = await client.get(f"{eng.metrics_server.url}/nope")
    assert 'wb_commands_total{command="kill",ok="true"} 1.0' in metrics
    assert "wb_stage_seconds_bucket" in metrics and 'stage="tick_to_order"' in metrics
    assert "wb_feed_lag_seconds" in metrics and "wb_equity_usd" in metrics
    assert health["store"]["ok"] and health["chain"]["ok"]
    assert set(health) >= {"feeds", "chain", "store", "breaker", "strategies", "tasks"}
    assert missing.status_code == 404
    eng.stop("test")
    await task
    audit = ledger.load_audit(store)
    actors = set(zip(audit["actor"], audit["action"], strict=True))
    assert {("ana", "command:stop"), ("bo", "command:set_limit"), ("cy", "command:kill"),
            ("bo", "limit_changed")} <= actors
    # a restart keeps the limit change and the breaker state published last
    limits = ledger.get_state(store, "limits_overrides")
    assert limits is not None and limits["max_order_notional"] == "250"


@pytest.mark.integration
async def test_redis_commands_and_event_stream(tmp_path, sol_bars):
    """With Redis, a command applies via the stream and fills appear on workbench:events."""
    import redis.asyncio as aioredis

    client = aioredis.from_url(REDIS_URL)
    try:
        await client.ping()
    except Exception as exc:  # report why, do not pass silently
        print(f"SKIP Redis at {REDIS_URL}: {exc}")
        pytest.skip(f"Redis at {REDIS_URL} unreachable: {exc}")
    await client.delete(EVENTS_STREAM, CONTROL_STREAM)
    eng = Engine(make_settings(tmp_path, redis_url=REDIS_URL), config=fast_config(
        sol_bars, speed=3000.0, stop_at_end=False, poll_s=5.0))
    task = asyncio.create_task(eng.run())
    try:
        await wait_until(lambda: eng.bars_done >= 30)
        await asyncio.sleep(0.3)  # the Redis reader is listening from "$"
        t0 = time.monotonic()
        cid = await asyncio.to_thread(submit, eng.store, actor="dee", command="stop",
                                      args={"name": "arbitrage"}, redis_url=REDIS_URL)
        # the store poll is 5 s here, so applying within a second proves the Redis path
        status, result, _ = await _applied(eng.store, cid, timeout_s=1.0)
        assert (status, result) == ("applied", "arbitrage stopped")
        assert time.monotonic() - t0 < 1.0
        entries = await client.xrange(EVENTS_STREAM)
        topics = [e[1][b"topic"].decode() for e in entries]
        assert "fill" in topics and "bar" in topics and "command" in topics
        fill = next(json.loads(e[1][b"data"]) for e in entries if e[1][b"topic"] == b"fill")
        assert fill["signature"] and fill["client_order_id"].startswith(("grid-", "arbitrage-"))
    finally:
        eng.stop("test")
        await task
        await client.delete(EVENTS_STREAM, CONTROL_STREAM)
        await client.aclose()

"""Alerts over a webhook and Telegram's sendMessage, against a local HTTP server; rate limit."""

from __future__ import annotations

import asyncio

import pytest

from workbench.config import AlertSettings
from workbench.live import Alert, Alerter, Engine

from .conftest import fast_config, make_settings
from .loopback import Loopback


class _Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.mark.integration
async def test_webhook_and_telegram_receive_alerts_and_storms_are_rate_limited():
    """Both channels get the alert; past max_per_minute alerts are held back and counted."""
    server = Loopback()
    url = await server.start()
    clock = _Clock()
    alerter = Alerter(AlertSettings(webhook_url=f"{url}/hook", telegram_bot_token="123:abc",
                                    telegram_chat_id="42", telegram_api_url=url,
                                    max_per_minute=3), clock=clock)
    try:
        for i in range(5):
            await alerter.deliver(Alert(kind="fill", text=f"fill {i}", fields={"n": i}))
        assert alerter.sent == 3 and alerter.suppressed == 2
        hooks = [p for path, p in server.requests if path == "/hook"]
        tg = [(path, p) for path, p in server.requests if path.endswith("/sendMessage")]
        assert [h["text"] for h in hooks] == ["fill 0", "fill 1", "fill 2"]
        assert hooks[0]["kind"] == "fill" and hooks[0]["n"] == 0
        assert tg[0] == ("/bot123:abc/sendMessage", {"chat_id": "42", "text": "[fill] fill 0",
                                                    "disable_web_page_preview": True})
        clock.t += 61  # a minute later the next alert goes out and reports the suppressed two
        await alerter.deliver(Alert(kind="breaker", text="halted"))
        assert server.requests[-2][1]["text"] == "halted (+2 alerts suppressed by the rate limit)"
    finally:
        await alerter.close()
        await server.stop()


@pytest.mark.integration
async def test_failing_channels_are_counted_not_raised():
    """HTTP 500 from the webhook and ok=false from Telegram are failures, not exceptions."""
    server = Loopback(status=200, body={"ok": False, "description": "chat not found"})
    url = await server.start()
    alerter = Alerter(AlertSettings(telegram_bot_token="1:x", telegram_chat_id="9",
                                    telegram_api_url=url, max_per_minute=10))
    bad = Loopback(status=500)
    bad_url = await bad.start()
    hook = Alerter(AlertSettings(webhook_url=bad_url, max_per_minute=10))
    dead = Alerter(AlertSettings(webhook_url="http://127.0.0.1:9/none", max_per_minute=10))
    try:
        assert await alerter.deliver(Alert(kind="x", text="t")) is False
        assert await hook.deliver(Alert(kind="x", text="t")) is False
        assert await dead.deliver(Alert(kind="x", text="t")) is False
        assert alerter.failed == hook.failed == dead.failed == 1
    finally:
        for a in (alerter, hook, dead):
            await a.close()
        await server.stop()
        await bad.stop()


@pytest.mark.integration
async def test_engine_sends_fill_alerts_through_the_webhook(tmp_path, sol_bars):
    """A running engine reports fills on the configured webhook."""
    server = Loopback()
    url = await server.start()
    settings = make_settings(tmp_path).model_copy(update={"alerts": AlertSettings(
        webhook_url=f"{url}/wb", max_per_minute=5)})
    eng = Engine(settings, config=fast_config(sol_bars.iloc[:60]))
    await eng.run()
    for _ in range(50):
        if server.requests:
            break
        await asyncio.sleep(0.02)
    await server.stop()
    kinds = [p["kind"] for _, p in server.requests]
    assert "fill" in kinds
    assert len(server.requests) <= 5  # rate-limited
    first = next(p for _, p in server.requests if p["kind"] == "fill")
    assert first["signature"] and first["client_order_id"]

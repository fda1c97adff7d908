"""Supervised tasks restart with growing backoff and every crash is reported."""

from __future__ import annotations

import asyncio

from workbench.live import Supervisor


async def test_crashing_task_restarts_with_backoff_and_is_reported():
    """A task failing twice then finishing is restarted twice with doubling delays."""
    reports = []
    runs = []

    async def flaky() -> None:
        runs.append(len(runs))
        if len(runs) <= 2:
            raise ConnectionError(f"feed dropped #{len(runs)}")

    sup = Supervisor(on_crash=lambda *a: reports.append(a), initial_backoff_s=0.01)
    task = sup.spawn("feed", flaky)
    await task
    assert len(runs) == 3
    assert [(name, str(exc), n, backoff) for name, exc, n, backoff in reports] == [
        ("feed", "feed dropped #1", 1, 0.01), ("feed", "feed dropped #2", 2, 0.02)]
    assert sup.snapshot()["feed"] == {"state": "finished", "restarts": 2,
                                      "last_error": "ConnectionError: feed dropped #2"}


async def test_task_gives_up_after_max_restarts_and_stop_cancels_others():
    """max_restarts bounds the retries; stop() cancels running tasks."""
    async def always() -> None:
        raise RuntimeError("no")

    async def forever() -> None:
        await asyncio.sleep(3600)

    sup = Supervisor(initial_backoff_s=0.001, max_restarts=3)
    await sup.spawn("bad", always)
    sup.spawn("loop", forever)
    assert sup.status["bad"].state == "failed" and sup.status["bad"].restarts == 3
    await sup.stop()
    assert sup.status["loop"].state == "cancelled"

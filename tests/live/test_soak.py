"""Soak: simulated days of five-minute bars at accelerated replay; memory stays flat."""

from __future__ import annotations

import gc
import resource

import pytest

from workbench.live import Engine
from workbench.samples import load_sample

from .conftest import fast_config, make_settings

DAY = 288


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * resource.getpagesize() / 2**20


@pytest.mark.integration
async def test_simulated_day_keeps_memory_flat(tmp_path):
    """After a warm-up day, one more simulated day grows RSS by less than 10 MB."""
    bars = load_sample("SOL/USDT", "5m", bars=2 * DAY)
    rss: dict[int, float] = {}
    holder: list[Engine] = []

    def probe(point: str, _coid: str) -> None:
        if point == "bar_done" and holder[0].bars_done in (DAY, 2 * DAY):
            gc.collect()
            rss[holder[0].bars_done] = _rss_mb()

    eng = Engine(make_settings(tmp_path), config=fast_config(bars, persist_every_bars=4),
                 probe=probe)
    holder.append(eng)
    await eng.run()
    start, end = rss[DAY], rss[2 * DAY]
    print(f"\nsoak: simulated day {DAY} bars, {eng.metrics.counts.get('execute', 0)} executions "
          f"in 2 days: RSS after day 1 {start:.1f} MB, after day 2 {end:.1f} MB, growth "
          f"{end - start:+.1f} MB")
    assert eng.bars_done == 2 * DAY
    assert end - start < 10.0

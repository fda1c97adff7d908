"""Fixtures for the live engine: settings in a temporary data dir, small replays of real bars."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from workbench.config import Settings
from workbench.live import DEFAULT_POOLS, EngineConfig, StrategySeed
from workbench.samples import load_sample

GRID_SEED = StrategySeed(name="grid", kind="grid", symbol="SOL/USDT", params={
    "lower": 100.0, "upper": 105.0, "n_levels": 26, "size_per_level": "1",
    "max_inventory_levels": 5, "out_of_range": "shift"})
ARB_SEED = StrategySeed(name="arbitrage", kind="arbitrage", symbol="SOL/USDT", params={
    "venues": [p.name for p in DEFAULT_POOLS], "fee_bps": [25.0, 25.0],
    "max_depth_frac": 0.002, "min_profit_quote": 0.01})


@pytest.fixture(scope="session")
def sol_bars() -> pd.DataFrame:
    """The first 400 shipped SOL/USDT 5m bars (real Binance data)."""
    return load_sample("SOL/USDT", "5m", bars=400)


def make_settings(data_dir: Path, **engine: Any) -> Settings:
    """Paper settings writing into ``data_dir``."""
    return Settings(data={"dir": data_dir}, engine={"metrics_port": 0, "heartbeat_s": 0.2,
                                                    **engine})


def fast_config(bars: pd.DataFrame, **kw: Any) -> EngineConfig:
    """A flat-out replay that stops at the end, no signal handlers."""
    values: dict[str, Any] = {"bars": bars, "speed": 0.0, "stop_at_end": True,
                              "handle_signals": False, "seeds": (GRID_SEED, ARB_SEED),
                              "serve_metrics": False}
    values.update(kw)
    return EngineConfig(**values)


async def wait_until(predicate: Any, timeout_s: float = 30.0) -> None:
    """Poll ``predicate`` (engine state changes without an event to await)."""
    import asyncio
    import time

    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout_s}s")
        await asyncio.sleep(0.02)

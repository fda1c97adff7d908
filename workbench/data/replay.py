"""Replay stored data as if live: an async iterator of bars or ticks at a chosen speed.

``speed`` is a multiple of real time: 60 plays an hour of 1m bars in a minute, 1 plays in real
time, 0 plays as fast as possible (tests and backtests). Waits come from the data's own
timestamps, so gaps in the data are gaps in the replay.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal

import numpy as np
import pandas as pd

from workbench.domain import Bar
from workbench.errors import DataError

__all__ = ["replay_bars", "replay_rows"]


async def replay_rows(
    frame: pd.DataFrame,
    *,
    speed: float = 0.0,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> AsyncIterator[tuple[pd.Timestamp, dict[str, float]]]:
    """Yield ``(timestamp, {column: value})`` for each row of a time-indexed frame.

    Raises:
        DataError: negative speed, or an index that is not a sorted DatetimeIndex.
    """
    if speed < 0:
        raise DataError(f"Replay speed={speed} must be >= 0 (0 = as fast as possible).")
    if not isinstance(frame.index, pd.DatetimeIndex) or not frame.index.is_monotonic_increasing:
        raise DataError("Replay needs a frame with a sorted DatetimeIndex.")
    ts = frame.index.as_unit("ns").asi8
    cols = list(frame.columns)
    values = [frame[c].to_numpy() for c in cols]
    prev = None
    for i in range(len(frame)):
        if speed > 0 and prev is not None:
            await sleep((ts[i] - prev) / 1e9 / speed)
        elif speed == 0 and i % 1024 == 1023:
            await asyncio.sleep(0)  # let other tasks run during a fast replay
        prev = ts[i]
        yield frame.index[i], {c: v[i].item() if isinstance(v[i], np.generic) else v[i]
                               for c, v in zip(cols, values, strict=True)}


async def replay_bars(
    bars: pd.DataFrame,
    *,
    symbol: str,
    timeframe: str,
    speed: float = 0.0,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> AsyncIterator[Bar]:
    """Yield stored OHLCV rows as domain ``Bar`` values (prices as exact Decimals of the floats).

    Rows with NaN prices (gaps) are skipped: a live feed would not have sent them.
    """
    async for ts, row in replay_rows(bars, speed=speed, sleep=sleep):
        if any(row[k] != row[k] for k in ("open", "high", "low", "close")):
            continue
        yield Bar(
            symbol=symbol,
            timeframe=timeframe,
            ts_event=int(ts.value),
            open=Decimal(repr(row["open"])),
            high=Decimal(repr(row["high"])),
            low=Decimal(repr(row["low"])),
            close=Decimal(repr(row["close"])),
            volume=Decimal(repr(row.get("volume", 0.0))),
        )

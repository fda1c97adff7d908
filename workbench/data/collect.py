"""Collectors: async backfills and live polling into the Parquet lake.

Every collector is resumable and idempotent: it starts after the newest stored timestamp of
its series (so a killed backfill picks up where it stopped), and the lake merges on the
timestamp (so re-running stores no duplicates). Rows go through the quality gate first;
rejected rows are counted and logged, never written. Several collectors run concurrently with
:func:`run_concurrently`, each source behind its own client-side rate limit.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from tqdm.auto import tqdm

from workbench.data.quality import check_bars, check_ticks
from workbench.domain import timeframe_seconds
from workbench.store.lake import Lake, LakeKey

__all__ = [
    "CollectResult",
    "backfill_ohlcv",
    "collect_ticks",
    "run_concurrently",
]

log = logging.getLogger("workbench.data.collect")

FetchBars = Callable[[int, int], Awaitable[pd.DataFrame]]
"""(start_s, end_s) -> OHLCV frame, e.g. ``partial(client.fetch_ohlcv, mint, timeframe)``."""


@dataclass(slots=True, kw_only=True)
class CollectResult:
    """What a collector did.

    Attributes:
        key: the series written.
        written: new rows stored.
        rejected: rows the quality gate dropped, by reason.
        resumed_from: the stored timestamp the run continued after, if any.
    """

    key: LakeKey
    written: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    resumed_from: pd.Timestamp | None = None

    def _add_rejected(self, counts: dict[str, int]) -> None:
        for k, v in counts.items():
            if v:
                self.rejected[k] = self.rejected.get(k, 0) + v


async def backfill_ohlcv(
    fetch: FetchBars,
    lake: Lake,
    key: LakeKey,
    *,
    start: pd.Timestamp | str,
    end: pd.Timestamp | str,
    bars_per_request: int = 1000,
    progress: bool = True,
) -> CollectResult:
    """Fetch bars for ``[start, end)`` window by window and store them, resuming if possible.

    Args:
        fetch: coroutine function (start_s, end_s inclusive) -> OHLCV frame.
        lake: where to store.
        key: the series (its timeframe sets the window size).
        start / end: UTC range wanted.
        bars_per_request: window length in bars.
        progress: show a tqdm bar (terminal or notebook).
    """
    step_s = timeframe_seconds(key.timeframe)
    lo = _utc(start)
    hi = _utc(end)
    result = CollectResult(key=key)
    last = lake.last_timestamp(key)
    if last is not None and last >= lo:
        result.resumed_from = last
        lo = last + pd.Timedelta(seconds=step_s)
    start_s, end_s = int(lo.timestamp()), int(hi.timestamp())
    window = step_s * bars_per_request
    total = max(0, -(-(end_s - start_s) // window))
    with tqdm(total=total, desc=f"{key.source} {key.symbol} {key.timeframe}", unit="req",
              disable=not progress, leave=False) as bar:
        t = start_s
        while t < end_s:
            frame = await fetch(t, min(end_s, t + window) - 1)
            frame = frame[(frame.index >= lo) & (frame.index < hi)]
            report = check_bars(frame)
            result._add_rejected(report.rejected)
            result.written += lake.write(report.accepted, key)
            t += window
            bar.update(1)
    log.info("backfill %s: %d new rows, rejected %s, resumed from %s", key, result.written,
             result.rejected, result.resumed_from)
    return result


async def collect_ticks(
    poll: Callable[[], Awaitable[pd.DataFrame]],
    lake: Lake,
    key: LakeKey,
    *,
    interval_s: float,
    stop: asyncio.Event,
    max_jump_pct: float = 20.0,
    max_polls: int | None = None,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
) -> CollectResult:
    """Poll a price source until ``stop`` is set, storing gated ticks.

    Args:
        poll: coroutine returning a UTC-indexed frame with a ``price`` column (new ticks).
        lake: where to store (``key.timeframe`` is usually ``"tick"``).
        key: the series.
        interval_s: seconds between polls.
        stop: set it to end the loop (Ctrl-C handler, engine shutdown).
        max_jump_pct: outlier threshold of the gate.
        max_polls: stop after this many polls (tests, one-shot jobs).
        sleep: injectable for tests.
    """
    from workbench.errors import TemporaryVenueError

    result = CollectResult(key=key, resumed_from=lake.last_timestamp(key))
    last = result.resumed_from
    polls = 0
    while not stop.is_set() and (max_polls is None or polls < max_polls):
        polls += 1
        try:
            frame = await poll()
        except TemporaryVenueError as exc:  # the client already retried; skip this poll
            log.warning("collect %s: poll failed after retries: %s", key, exc)
            frame = None
        if frame is not None and len(frame):
            if last is not None:
                frame = frame[frame.index > last]
            report = check_ticks(frame, max_jump_pct=max_jump_pct, now_ns=time.time_ns())
            result._add_rejected(report.rejected)
            if len(report.accepted):
                result.written += lake.write(report.accepted, key)
                last = report.accepted.index.max()
        if stop.is_set() or (max_polls is not None and polls >= max_polls):
            break
        await sleep(interval_s)
    return result


async def run_concurrently(jobs: Sequence[Awaitable[CollectResult]]) -> list[CollectResult]:
    """Run collectors for several sources at once; one failing does not cancel the others.

    Raises:
        ExceptionGroup: when any job failed, after all finished (carries each error).
    """
    results = await asyncio.gather(*jobs, return_exceptions=True)
    errors = [r for r in results if isinstance(r, BaseException)]
    if errors:
        raise ExceptionGroup("some collectors failed", [e for e in errors
                                                        if isinstance(e, Exception)])
    return [r for r in results if isinstance(r, CollectResult)]


def _utc(value: pd.Timestamp | str) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")

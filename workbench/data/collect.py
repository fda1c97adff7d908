"""Collectors: async backfills and live polling into the Parquet lake and the SQL store.

Sinks. A collector writes to the Parquet lake (``"lake"``), to the ledger store's ``candles``
table (``"store"``, via :func:`workbench.store.save_candles`, which uses ``COPY`` on PostgreSQL),
or both: ``sinks=("lake", "store")``. Left as None, the sinks are the targets given (a lake, a
store, or both).

Every collector is resumable and idempotent: it starts after the newest timestamp stored in
*every* sink (the earliest of their newest rows, so a sink added later is filled from the
start while the other stores nothing twice), and both sinks merge on the timestamp. Rows go
through the quality gate first; rejected rows are counted and logged, never written. Several
collectors run concurrently with :func:`run_concurrently`, each source behind its own
client-side rate limit.

Ticks are not candles: polled ticks go to the lake as they come, while the store receives the
*closed* bars of ``store_timeframe`` built from them (volume 0; a price feed has none). A bar
is written only once a later tick shows it closed and only when the collector saw its whole
period, so a restart leaves a gap in the store rather than a bar built from half the ticks.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from workbench.data.candles import build_candles
from workbench.data.pool_stream import PoolStream, PoolTick, PoolWatch, stream_pool
from workbench.data.quality import TickGate, check_bars
from workbench.domain import timeframe_seconds
from workbench.errors import DataError
from workbench.store.candles import last_candle_ts, save_candles
from workbench.store.db import Store
from workbench.store.lake import Lake, LakeKey

__all__ = [
    "SINKS",
    "ClosedBars",
    "CollectResult",
    "PoolStream",
    "PoolTick",
    "PoolWatch",
    "backfill_ohlcv",
    "collect_ticks",
    "run_concurrently",
    "stream_pool",
]

log = logging.getLogger("workbench.data.collect")

SINKS = ("lake", "store")
"""Where collectors can write: the Parquet lake and the ledger store's candles table."""

FetchBars = Callable[[int, int], Awaitable[pd.DataFrame]]
"""(start_s, end_s) -> OHLCV frame, e.g. ``partial(client.fetch_ohlcv, mint, timeframe)``."""


@dataclass(slots=True, kw_only=True)
class CollectResult:
    """What a collector did.

    Attributes:
        key: the series written.
        written: new rows in the first sink of the run (the lake when it is one).
        written_by_sink: new rows per sink, e.g. ``{"lake": 10, "store": 10}``; for ticks the
            store counts closed bars, not ticks.
        rejected: rows the quality gate dropped, by reason.
        resumed_from: the stored timestamp the run continued after, if any.
    """

    key: LakeKey
    written: int = 0
    written_by_sink: dict[str, int] = field(default_factory=dict)
    rejected: dict[str, int] = field(default_factory=dict)
    resumed_from: pd.Timestamp | None = None

    def _add_written(self, sink: str, n: int, sinks: Sequence[str]) -> None:
        self.written_by_sink[sink] = self.written_by_sink.get(sink, 0) + n
        if sink == sinks[0]:
            self.written += n

    def _add_rejected(self, counts: dict[str, int]) -> None:
        for k, v in counts.items():
            if v:
                self.rejected[k] = self.rejected.get(k, 0) + v


def _resolve_sinks(
    sinks: Sequence[str] | None, lake: Lake | None, store: Store | None
) -> tuple[str, ...]:
    """Check the sinks against the targets given; None means every target given."""
    if sinks is None:
        chosen = tuple(name for name, target in (("lake", lake), ("store", store))
                       if target is not None)
    else:
        chosen = tuple(dict.fromkeys(sinks))
    unknown = [s for s in chosen if s not in SINKS]
    if unknown:
        raise DataError(f"Unknown sink(s) {unknown}; choose from {list(SINKS)}.")
    if not chosen:
        raise DataError("A collector needs a sink: pass a lake, a store, or both "
                        "(sinks=('lake', 'store')).")
    if "lake" in chosen and lake is None:
        raise DataError("sinks include 'lake' but no lake was given; pass lake=Lake(root).")
    if "store" in chosen and store is None:
        raise DataError("sinks include 'store' but no store was given; pass "
                        "store=open_store(settings) (or drop 'store' from sinks).")
    return chosen


def _last_in_all(
    sinks: Sequence[str], lake: Lake | None, store: Store | None, key: LakeKey
) -> pd.Timestamp | None:
    """The newest timestamp every sink already holds (None if any sink is empty)."""
    lasts = []
    for sink in sinks:
        if sink == "lake":
            assert lake is not None
            lasts.append(lake.last_timestamp(key))
        else:
            assert store is not None
            lasts.append(last_candle_ts(store, source=key.source, symbol=key.symbol,
                                        timeframe=key.timeframe))
    if any(t is None for t in lasts):
        return None
    return min(t for t in lasts if t is not None)


def _write_bars(
    frame: pd.DataFrame, key: LakeKey, sinks: Sequence[str], lake: Lake | None,
    store: Store | None, result: CollectResult,
) -> None:
    for sink in sinks:
        if sink == "lake":
            assert lake is not None
            result._add_written("lake", lake.write(frame, key), sinks)
        else:
            assert store is not None
            n = save_candles(store, frame, source=key.source, symbol=key.symbol,
                             timeframe=key.timeframe) if len(frame) else 0
            result._add_written("store", n, sinks)


async def backfill_ohlcv(
    fetch: FetchBars,
    lake: Lake | None,
    key: LakeKey,
    *,
    start: pd.Timestamp | str,
    end: pd.Timestamp | str,
    bars_per_request: int = 1000,
    progress: bool = True,
    store: Store | None = None,
    sinks: Sequence[str] | None = None,
) -> CollectResult:
    """Fetch bars for ``[start, end)`` window by window and store them, resuming if possible.

    Args:
        fetch: coroutine function (start_s, end_s inclusive) -> OHLCV frame.
        lake: the Parquet lake (None when writing to the store only).
        key: the series (its timeframe sets the window size; the store uses the same source,
            symbol and timeframe).
        start / end: UTC range wanted.
        bars_per_request: window length in bars.
        progress: show a tqdm bar (terminal or notebook).
        store: the ledger store, for the ``"store"`` sink.
        sinks: ``("lake",)``, ``("store",)`` or ``("lake", "store")``; None means every target
            given.

    Raises:
        DataError: a sink without its target, or an unknown sink.
    """
    chosen = _resolve_sinks(sinks, lake, store)
    step_s = timeframe_seconds(key.timeframe)
    lo = _utc(start)
    hi = _utc(end)
    result = CollectResult(key=key)
    last = _last_in_all(chosen, lake, store, key)
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
            _write_bars(report.accepted, key, chosen, lake, store, result)
            t += window
            bar.update(1)
    log.info("backfill %s: %d new rows, rejected %s, resumed from %s", key, result.written,
             result.rejected, result.resumed_from)
    return result


class ClosedBars:
    """Turns a live tick stream into the bars that have closed and were fully observed.

    Ticks are buffered; when a tick of a later bar arrives, the bars before it are closed and
    released. Bars that opened before ``observed_from_ns`` are dropped: the collector did not
    see their first ticks, and a bar from half its ticks would be a made-up price.

    Args:
        timeframe: bar length, e.g. ``"1m"``.
        observed_from_ns: when collection started (UTC ns).
    """

    def __init__(self, timeframe: str, observed_from_ns: int) -> None:
        self.timeframe = timeframe
        self._step = timeframe_seconds(timeframe) * 1_000_000_000
        # the first bar whose whole period lies after the start
        self._first_open = -(-observed_from_ns // self._step) * self._step
        self._ts: list[int] = []
        self._px: list[float] = []

    def add(self, ticks: pd.DataFrame) -> pd.DataFrame:
        """Buffer gated ``ticks`` (``price`` column); return the bars closed by them."""
        if len(ticks):
            self._ts.extend(ticks.index.as_unit("ns").asi8.tolist())
            self._px.extend(ticks["price"].to_numpy(dtype=float).tolist())
        if not self._ts:
            return build_candles(np.empty(0, np.int64), np.empty(0), None, self.timeframe)
        ts = np.asarray(self._ts, dtype=np.int64)
        px = np.asarray(self._px, dtype=np.float64)
        current = int(ts.max()) // self._step * self._step
        closed = ts < current
        bars = build_candles(ts[closed], px[closed], None, self.timeframe)
        self._ts, self._px = ts[~closed].tolist(), px[~closed].tolist()
        return bars[bars.index.as_unit("ns").asi8 >= self._first_open]


async def collect_ticks(
    poll: Callable[[], Awaitable[pd.DataFrame]],
    lake: Lake | None,
    key: LakeKey,
    *,
    interval_s: float,
    stop: asyncio.Event,
    max_jump_pct: float = 20.0,
    max_polls: int | None = None,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    store: Store | None = None,
    sinks: Sequence[str] | None = None,
    store_timeframe: str = "1m",
    clock_ns: Callable[[], int] = time.time_ns,
) -> CollectResult:
    """Poll a price source until ``stop`` is set, storing gated ticks.

    Args:
        poll: coroutine returning a UTC-indexed frame with a ``price`` column (new ticks).
        lake: the lake for the ticks (``key.timeframe`` is usually ``"tick"``); None when
            writing to the store only.
        key: the series.
        interval_s: seconds between polls.
        stop: set it to end the loop (Ctrl-C handler, engine shutdown).
        max_jump_pct: outlier threshold of the gate (judged across polls).
        max_polls: stop after this many polls (tests, one-shot jobs).
        sleep: injectable for tests.
        store: the ledger store, for the ``"store"`` sink (closed ``store_timeframe`` bars).
        sinks: ``("lake",)``, ``("store",)`` or both; None means every target given.
        store_timeframe: bar length written to the store.
        clock_ns: "now" in UTC ns (staleness, and which bars were fully observed).

    Raises:
        DataError: a sink without its target, or an unknown sink.
    """
    from workbench.errors import TemporaryVenueError

    chosen = _resolve_sinks(sinks, lake, store)
    resumed = lake.last_timestamp(key) if "lake" in chosen and lake is not None else None
    result = CollectResult(key=key, resumed_from=resumed)
    emit = _tick_writer(key, chosen, lake, store, result, store_timeframe, clock_ns())
    gate = TickGate(max_jump_pct=max_jump_pct)
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
            report = gate.check(frame, now_ns=clock_ns())
            result._add_rejected(report.rejected)
            if len(report.accepted):
                emit(report.accepted)
                last = report.accepted.index.max()
        if stop.is_set() or (max_polls is not None and polls >= max_polls):
            break
        await sleep(interval_s)
    return result


def _tick_writer(
    key: LakeKey, sinks: Sequence[str], lake: Lake | None, store: Store | None,
    result: CollectResult, store_timeframe: str, start_ns: int,
) -> Callable[[pd.DataFrame], None]:
    """A function writing accepted ticks to the lake and closed bars to the store."""
    bars = ClosedBars(store_timeframe, start_ns) if "store" in sinks else None

    def emit(ticks: pd.DataFrame) -> None:
        for sink in sinks:
            if sink == "lake":
                assert lake is not None
                result._add_written("lake", lake.write(ticks, key), sinks)
            else:
                assert store is not None and bars is not None
                closed = bars.add(ticks)
                n = save_candles(store, closed, source=key.source, symbol=key.symbol,
                                 timeframe=store_timeframe) if len(closed) else 0
                result._add_written("store", n, sinks)

    return emit


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

"""The collect-data job's file step: OHLCV files into the Parquet lake and the ledger store.

Offline sources (the shipped samples, exported files) go through the same quality gate as the
network collectors (:mod:`workbench.data.collect`, used by the job for Birdeye and Jupiter).
Both writes are idempotent, so a re-run stores nothing new and says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd

from workbench.config import Settings
from workbench.data import backfill_ohlcv, check_bars, parse_freqtrade_name, read_ohlcv_file
from workbench.errors import ConfigError, DataUnavailable
from workbench.samples import SAMPLES, sample_path
from workbench.store import Store, save_candles
from workbench.store.lake import Lake, LakeKey

__all__ = ["COLLECT_COLUMNS", "backfill_birdeye", "collect_files", "sample_files"]

COLLECT_COLUMNS = ["file", "symbol", "timeframe", "rows", "rejected", "lake_written",
                   "store_written", "first", "last"]


def sample_files(symbols: Sequence[str] = ("SOL/USDT",), timeframes: Sequence[str] = ("5m",)
                 ) -> list[Path]:
    """Paths of the shipped samples for these symbols and timeframes.

    Raises:
        DataUnavailable: a pair is not shipped (lists those that are).
    """
    out = []
    for symbol in symbols:
        for tf in timeframes:
            name = SAMPLES.get((symbol, tf))
            if name is None:
                shipped = ", ".join(f"{s} {t}" for s, t in SAMPLES)
                raise DataUnavailable(f"No shipped sample for {symbol} {tf}; shipped: {shipped}.")
            out.append(sample_path(name))
    return out


def collect_files(paths: Iterable[str | Path], lake: Lake, *, store: Store | None = None,
                  source: str = "file", bars: int | None = None) -> pd.DataFrame:
    """Import OHLCV files (names like ``SOL_USDT-5m.feather``) into ``lake`` and ``store``.

    Args:
        paths: files readable by :func:`workbench.data.read_ohlcv_file`.
        lake: the Parquet lake.
        store: also save candles in the ledger store (skipped when None).
        source: series source name in both.
        bars: keep only the newest ``bars`` rows of each file (small runs).

    Returns:
        One row per file: ``COLLECT_COLUMNS``.
    """
    rows = []
    for path in map(Path, paths):
        symbol, timeframe = parse_freqtrade_name(path)
        frame = read_ohlcv_file(path)
        if bars is not None:
            frame = frame.iloc[-bars:]
        report = check_bars(frame)
        kept = report.accepted
        written = lake.write(kept, LakeKey(source=source, symbol=symbol, timeframe=timeframe))
        stored = (save_candles(store, kept, source=source, symbol=symbol, timeframe=timeframe)
                  if store is not None and len(kept) else 0)
        rows.append({"file": path.name, "symbol": symbol, "timeframe": timeframe,
                     "rows": len(frame), "rejected": report.rejected_total,
                     "lake_written": written, "store_written": stored,
                     "first": kept.index.min() if len(kept) else None,
                     "last": kept.index.max() if len(kept) else None})
    return pd.DataFrame(rows, columns=COLLECT_COLUMNS)


async def backfill_birdeye(settings: Settings, lake: Lake, *, symbol: str, address: str,
                           timeframe: str = "5m", start: str = "2024-01-01",
                           end: str | None = None, client: object | None = None) -> pd.DataFrame:
    """Backfill Birdeye OHLCV of ``address`` into the lake as ``symbol`` (resumes after the
    newest stored bar); one summary row as :func:`collect_files` returns.

    Args:
        client: a ``BirdeyeClient`` to use (tests pass one over a mock transport); default:
            one built from ``settings.data``, closed afterwards.

    Raises:
        ConfigError: no ``data.birdeye_api_key`` and no client, or no ``address``.
    """
    from functools import partial

    from workbench.data.sources.birdeye import BirdeyeClient, BirdeyeConfig

    if not address:
        raise ConfigError("The birdeye source needs address= (the token mint to fetch).",
                          setting="address")
    owned = client is None
    if client is None:
        key = settings.data.birdeye_api_key
        if key is None:
            raise ConfigError("Backfill from Birdeye needs data.birdeye_api_key "
                              "(WORKBENCH_DATA__BIRDEYE_API_KEY).", setting="data.birdeye_api_key")
        client = BirdeyeClient(BirdeyeConfig(api_key=key.get_secret_value(),
                                             base_url=settings.data.birdeye_base_url,
                                             requests_per_s=settings.data.requests_per_s))
    assert isinstance(client, BirdeyeClient)
    stop_at = end or pd.Timestamp.now(tz="UTC").floor("min").isoformat()
    key_ = LakeKey(source="birdeye", symbol=symbol, timeframe=timeframe)
    try:
        res = await backfill_ohlcv(partial(client.fetch_ohlcv, address, timeframe), lake, key_,
                                   start=start, end=stop_at, progress=False)
    finally:
        if owned:
            await client.aclose()
    last = lake.last_timestamp(key_)
    return pd.DataFrame([{"file": f"birdeye:{address}", "symbol": symbol,
                          "timeframe": timeframe, "rows": res.written + sum(res.rejected.values()),
                          "rejected": sum(res.rejected.values()), "lake_written": res.written,
                          "store_written": 0, "first": res.resumed_from, "last": last}],
                        columns=COLLECT_COLUMNS)

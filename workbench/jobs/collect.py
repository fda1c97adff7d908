"""The collect-data job's file step: OHLCV files into the Parquet lake and the ledger store.

Offline sources (the shipped samples, exported files) go through the same quality gate as the
network collectors (:mod:`workbench.data.collect`, used by the job for Birdeye and Jupiter).
Both writes are idempotent, so a re-run stores nothing new and says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd

from workbench.data import check_bars, parse_freqtrade_name, read_ohlcv_file
from workbench.errors import DataUnavailable
from workbench.samples import SAMPLES, sample_path
from workbench.store import Store, save_candles
from workbench.store.lake import Lake, LakeKey

__all__ = ["COLLECT_COLUMNS", "collect_files", "sample_files"]

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

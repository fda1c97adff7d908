"""The Parquet lake: market time series partitioned by source, symbol and timeframe.

Layout (hive-style directories, one file per calendar year so an append rewrites one year)::

    data/lake/source=birdeye/symbol=SOL_USDC/timeframe=5m/2024.parquet

Each file holds a ``date`` column (timestamp[ns, UTC]) and float64 value columns (OHLCV for
bars; ``price``... for ticks and trades), sorted by ``date`` with no duplicate dates. Writes are
idempotent: rows are merged on ``date`` with the new value winning, then the year file is
replaced atomically (write to a temp file, rename), so re-running a backfill stores no
duplicates and a crash never leaves half a file.

Reading goes straight from Arrow buffers to NumPy (no ``read_csv``-style parsing and no
``set_index`` copy), which is why a million bars load in a few tens of milliseconds.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from workbench.errors import DataError, DataUnavailable, SchemaError

__all__ = ["Lake", "LakeKey", "symbol_to_path"]

_SAFE = re.compile(r"^[A-Za-z0-9._\-]+$")


def symbol_to_path(symbol: str) -> str:
    """``SOL/USDC`` -> ``SOL_USDC`` (freqtrade's file naming)."""
    return symbol.replace("/", "_")


def _check_part(name: str, value: str) -> str:
    if not value or not _SAFE.match(value):
        raise DataError(f"Lake {name}={value!r} must be letters, digits, '.', '_' or '-'.")
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class LakeKey:
    """One partition: a series of one source, symbol and timeframe."""

    source: str
    symbol: str
    timeframe: str

    def __post_init__(self) -> None:
        _check_part("source", self.source)
        _check_part("symbol", symbol_to_path(self.symbol))
        _check_part("timeframe", self.timeframe)


class Lake:
    """A Parquet lake rooted at ``root`` (``<data.dir>/lake`` by default)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"Lake({str(self.root)!r})"

    def partition(self, key: LakeKey) -> Path:
        """Directory of one series."""
        return (self.root / f"source={key.source}" / f"symbol={symbol_to_path(key.symbol)}"
                / f"timeframe={key.timeframe}")

    def keys(self) -> Iterator[LakeKey]:
        """Every series in the lake."""
        for tf_dir in sorted(self.root.glob("source=*/symbol=*/timeframe=*")):
            if any(tf_dir.glob("*.parquet")):
                sym = tf_dir.parent.name.split("=", 1)[1]
                yield LakeKey(source=tf_dir.parent.parent.name.split("=", 1)[1],
                              symbol=sym.replace("_", "/", 1),
                              timeframe=tf_dir.name.split("=", 1)[1])

    def sources_for(self, symbol: str, timeframe: str) -> list[str]:
        """Sources holding ``symbol`` at ``timeframe``."""
        sym = symbol_to_path(symbol)
        return sorted(
            p.parent.parent.name.split("=", 1)[1]
            for p in self.root.glob(f"source=*/symbol={sym}/timeframe={timeframe}")
            if any(p.glob("*.parquet"))
        )

    # ------------------------------------------------------------------ write

    def write(self, frame: pd.DataFrame, key: LakeKey) -> int:
        """Merge ``frame`` into the series; return how many dates were new.

        Args:
            frame: UTC-indexed frame of numeric columns (bars: open high low close volume).
            key: the series.

        Raises:
            SchemaError: no DatetimeIndex, or columns differ from what the series holds.
        """
        if not isinstance(frame.index, pd.DatetimeIndex):
            raise SchemaError(f"Lake rows need a DatetimeIndex; got {type(frame.index).__name__}.")
        if frame.empty:
            return 0
        idx = frame.index if frame.index.tz is not None else frame.index.tz_localize("UTC")
        idx = idx.tz_convert("UTC").as_unit("ns")
        df = frame.set_axis(idx).rename_axis("date")
        df = df[~df.index.duplicated(keep="last")].sort_index()
        part = self.partition(key)
        part.mkdir(parents=True, exist_ok=True)
        added = 0
        years = df.index.year
        for year in np.unique(years):
            chunk = df[years == year]
            path = part / f"{int(year)}.parquet"
            if path.exists():
                old = self._read_file(path)
                if list(old.columns) != list(chunk.columns):
                    raise SchemaError(
                        f"Lake series {key} has columns {list(old.columns)}; refusing rows "
                        f"with {list(chunk.columns)}. Write them under another timeframe.")
                added += int((~chunk.index.isin(old.index)).sum())
                merged = pd.concat([old[~old.index.isin(chunk.index)], chunk]).sort_index()
            else:
                added += len(chunk)
                merged = chunk
            self._write_file(merged, path)
        return added

    @staticmethod
    def _write_file(df: pd.DataFrame, path: Path) -> None:
        arrays = [pa.array(df.index.asi8, type=pa.int64()).cast(pa.timestamp("ns", tz="UTC"))]
        names = ["date"]
        for c in df.columns:
            arrays.append(pa.array(df[c].to_numpy()))
            names.append(str(c))
        table = pa.Table.from_arrays(arrays, names=names)
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        pq.write_table(table, tmp, compression="lz4", row_group_size=1_000_000)
        tmp.replace(path)

    # ------------------------------------------------------------------ read

    @staticmethod
    def _table_to_frame(table: pa.Table) -> pd.DataFrame:
        date = table.column("date").combine_chunks()
        ts = date.cast(pa.int64()).to_numpy(zero_copy_only=False)
        index = pd.DatetimeIndex(ts.view("datetime64[ns]"), name="date").tz_localize("UTC")
        cols = {name: table.column(name).to_numpy() for name in table.column_names
                if name != "date"}
        return pd.DataFrame(cols, index=index, copy=False)

    def _read_file(self, path: Path) -> pd.DataFrame:
        return self._table_to_frame(pq.read_table(path))

    def read(
        self,
        key: LakeKey,
        start: pd.Timestamp | str | None = None,
        end: pd.Timestamp | str | None = None,
    ) -> pd.DataFrame:
        """Rows of one series with ``start <= date < end`` (both optional, UTC).

        Raises:
            DataUnavailable: the series does not exist or has no rows in the range.
        """
        part = self.partition(key)
        files = sorted(part.glob("*.parquet"))
        lo = _utc(start)
        hi = _utc(end)
        if lo is not None:
            files = [f for f in files if int(f.stem) >= lo.year]
        if hi is not None:
            files = [f for f in files if int(f.stem) <= hi.year]
        if not files:
            raise DataUnavailable(
                f"No {key.timeframe} data for {key.symbol} from {key.source} in {self.root}"
                f"{_range_text(lo, hi)}. Run `workbench data backfill` or "
                "`workbench data import` first.")
        tables = [pq.read_table(f, memory_map=True) for f in files]
        table = pa.concat_tables(tables) if len(tables) > 1 else tables[0]
        if lo is not None or hi is not None:
            mask = None
            col = table.column("date")
            if lo is not None:
                mask = pc.greater_equal(col, pa.scalar(lo.value, pa.timestamp("ns", tz="UTC")))
            if hi is not None:
                m2 = pc.less(col, pa.scalar(hi.value, pa.timestamp("ns", tz="UTC")))
                mask = m2 if mask is None else pc.and_(mask, m2)
            table = table.filter(mask)
        frame = self._table_to_frame(table)
        if frame.empty:
            raise DataUnavailable(
                f"No {key.timeframe} data for {key.symbol} from {key.source}"
                f"{_range_text(lo, hi)} in {self.root}. Run `workbench data backfill`.")
        return frame

    def last_timestamp(self, key: LakeKey) -> pd.Timestamp | None:
        """Newest stored date of a series (from Parquet statistics), or None when empty."""
        files = sorted(self.partition(key).glob("*.parquet"), key=lambda f: int(f.stem))
        if not files:
            return None
        meta = pq.ParquetFile(files[-1]).metadata
        col = meta.schema.to_arrow_schema().get_field_index("date")
        best = None
        for rg in range(meta.num_row_groups):
            stats = meta.row_group(rg).column(col).statistics
            if stats is None or not stats.has_min_max:
                return self._read_file(files[-1]).index.max()
            value = stats.max
            best = value if best is None or value > best else best
        if best is None:
            return None
        ts = pd.Timestamp(best)
        return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def _utc(value: pd.Timestamp | str | None) -> pd.Timestamp | None:
    if value is None:
        return None
    ts = pd.Timestamp(value)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def _range_text(lo: pd.Timestamp | None, hi: pd.Timestamp | None) -> str:
    if lo is None and hi is None:
        return ""
    return f" between {lo or 'the start'} and {hi or 'the end'}"

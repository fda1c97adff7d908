"""OHLCV file imports: CSV, Parquet, and freqtrade feather / JSON.

Every reader returns the same frame: UTC ``DatetimeIndex`` named ``date`` and float64
``open high low close volume``, sorted, with duplicate timestamps dropped (last wins).

Formats:
    - freqtrade feather (``SOL_USDT-5m.feather``): columns ``date`` (UTC), ohlcv.
    - freqtrade JSON (``.json``/``.json.gz``): ``[[ts_ms, open, high, low, close, volume], ...]``.
    - CSV: a header with ``date``/``timestamp``/``time`` (ISO text, or unix s/ms numbers) and
      the OHLCV columns (case-insensitive).
    - Parquet: the same columns, or already indexed by time.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.errors import SchemaError

__all__ = ["parse_freqtrade_name", "read_ohlcv_file", "to_ohlcv_frame"]

OHLCV_COLUMNS = ["open", "high", "low", "close", "volume"]
_TIME_NAMES = ("date", "timestamp", "time", "datetime", "ts", "open_time", "unixtime")
_FT_NAME = re.compile(r"^(?P<pair>.+?)-(?P<tf>\d+[smhdwM])(?:-(?P<kind>futures|spot|mark))?$")


def parse_freqtrade_name(path: str | Path) -> tuple[str, str]:
    """(symbol, timeframe) from a freqtrade file name: ``SOL_USDT-5m.feather`` -> SOL/USDT, 5m.

    Raises:
        SchemaError: the name does not follow ``PAIR-TIMEFRAME.ext``.
    """
    stem = Path(path).name.split(".")[0]
    m = _FT_NAME.match(stem)
    if not m:
        raise SchemaError(f"File name {Path(path).name!r} is not PAIR-TIMEFRAME.ext (e.g. "
                          "SOL_USDT-5m.feather); pass symbol and timeframe explicitly.")
    return m["pair"].replace("_", "/", 1), m["tf"]


def _to_utc_index(values: pd.Series | np.ndarray, source: str) -> pd.DatetimeIndex:
    s = pd.Series(values)
    if pd.api.types.is_datetime64_any_dtype(s):
        idx = pd.DatetimeIndex(s)
        return idx.tz_localize("UTC") if idx.tz is None else idx.tz_convert("UTC")
    if pd.api.types.is_numeric_dtype(s):
        arr = s.to_numpy(np.float64)
        # unix seconds are ~1.7e9, milliseconds ~1.7e12, nanoseconds ~1.7e18
        finite = arr[np.isfinite(arr)]
        big = float(np.nanmax(np.abs(finite))) if finite.size else 0.0
        unit = "s" if big < 1e11 else "ms" if big < 1e14 else "us" if big < 1e17 else "ns"
        return pd.DatetimeIndex(pd.to_datetime(s.astype("int64"), unit=unit, utc=True))
    try:
        return pd.DatetimeIndex(pd.to_datetime(s, utc=True, format="ISO8601"))
    except (ValueError, TypeError) as exc:
        raise SchemaError(f"{source}: time column cannot be read as dates ({exc}).",
                          source=source) from exc


def to_ohlcv_frame(frame: pd.DataFrame, *, source: str = "frame") -> pd.DataFrame:
    """Normalise any OHLCV-like frame to the workbench shape (see module docstring).

    Raises:
        SchemaError: no time column or index, a missing OHLCV column, or non-numeric prices.
    """
    df = frame.rename(columns={c: str(c).strip().lower() for c in frame.columns})
    df = df.rename(columns={"o": "open", "h": "high", "l": "low", "c": "close", "v": "volume"})
    if isinstance(df.index, pd.DatetimeIndex):
        index = _to_utc_index(df.index.to_series(), source)
    else:
        tcol = next((c for c in _TIME_NAMES if c in df.columns), None)
        if tcol is None:
            raise SchemaError(f"{source}: no time column (looked for {', '.join(_TIME_NAMES)}) "
                              f"among {list(df.columns)}.", source=source)
        index = _to_utc_index(df[tcol], source)
    missing = [c for c in OHLCV_COLUMNS if c not in df.columns]
    if missing:
        raise SchemaError(f"{source}: missing OHLCV columns {missing}; have {list(df.columns)}.",
                          source=source)
    try:
        data = {c: pd.to_numeric(df[c], errors="raise").to_numpy(np.float64)
                for c in OHLCV_COLUMNS}
    except (ValueError, TypeError) as exc:
        raise SchemaError(f"{source}: non-numeric OHLCV value ({exc}).", source=source) from exc
    out = pd.DataFrame(data, index=pd.DatetimeIndex(index, name="date"))
    out = out[~out.index.duplicated(keep="last")]
    return out.sort_index()


def read_ohlcv_file(path: str | Path) -> pd.DataFrame:
    """Read an OHLCV file of any supported format (chosen by extension).

    Raises:
        SchemaError: unknown extension, unreadable or malformed content.
    """
    p = Path(path)
    name = p.name.lower()
    src = str(p)
    try:
        if name.endswith(".feather"):
            raw = pd.read_feather(p)
        elif name.endswith((".parquet", ".pq")):
            raw = pd.read_parquet(p)
        elif name.endswith((".csv", ".csv.gz")):
            raw = pd.read_csv(p)
        elif name.endswith((".json", ".json.gz")):
            opener = gzip.open if name.endswith(".gz") else open
            with opener(p, "rt") as fh:
                rows = json.load(fh)
            if not isinstance(rows, list) or (rows and not isinstance(rows[0], list)):
                raise SchemaError(f"{src}: freqtrade JSON must be a list of "
                                  "[ts_ms, open, high, low, close, volume] rows.", source=src)
            raw = pd.DataFrame(rows, columns=["date", *OHLCV_COLUMNS]) if rows else \
                pd.DataFrame(columns=["date", *OHLCV_COLUMNS])
            raw["date"] = pd.to_datetime(raw["date"].astype("int64"), unit="ms", utc=True)
        else:
            raise SchemaError(f"{src}: unknown OHLCV file type; use .csv, .parquet, .feather "
                              "or freqtrade .json(.gz).", source=src)
    except FileNotFoundError:
        raise SchemaError(f"{src} does not exist.", source=src) from None
    except (ValueError, OSError) as exc:  # JSONDecodeError is a ValueError
        raise SchemaError(f"{src} cannot be read: {exc}", source=src) from exc
    return to_ohlcv_frame(raw, source=src)

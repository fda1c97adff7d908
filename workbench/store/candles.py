"""Candles in the ledger store: bulk, idempotent writes and fast reads into DataFrames.

Writes take the bulk path of each backend: one ``executemany`` of plain tuples on SQLite
(``INSERT OR IGNORE``, so a re-run stores no duplicates) and binary ``COPY`` on PostgreSQL.
``COPY`` cannot skip duplicates, so when the incoming range overlaps stored rows the batch is
copied into a temporary table first and merged with ``ON CONFLICT DO NOTHING``; a fresh range
(the common case for a backfill) goes straight in.

Frames are OHLCV with a tz-aware UTC ``DatetimeIndex`` named ``ts`` and float64 columns
``open high low close volume``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import text

from workbench.errors import DataError, DataUnavailable, SchemaError
from workbench.store.db import Store

__all__ = [
    "COLUMNS",
    "candle_summary",
    "delete_candles",
    "last_candle_ts",
    "load_candles",
    "save_candles",
]

log = logging.getLogger(__name__)

COLUMNS = ("open", "high", "low", "close", "volume")
_INSERT_COLS = "series_id, ts, open, high, low, close, volume"


def _series_id(
    store: Store, source: str, symbol: str, timeframe: str, *, create: bool
) -> int | None:
    """The small integer key of a (source, symbol, timeframe) series."""
    key = {"src": source, "s": symbol, "t": timeframe}
    find = text("SELECT id FROM candle_series WHERE source=:src AND symbol=:s AND timeframe=:t")
    with store.engine.begin() as conn:
        found = conn.execute(find, key).scalar()
        if found is not None or not create:
            return found
        conn.execute(text("INSERT INTO candle_series (source, symbol, timeframe) "
                          "VALUES (:src, :s, :t)"), key)
        return int(conn.execute(find, key).scalar_one())


def _to_ns(value: Any) -> int | None:
    if value is None:
        return None
    ts = pd.Timestamp(value)
    if ts.tzinfo is None:
        ts = ts.tz_localize("UTC")
    return int(ts.value)


def _prepare(df: pd.DataFrame) -> tuple[np.ndarray, dict[str, np.ndarray], int]:
    """Validate and clean a frame: returns ts (int64 ns), columns, and rejected-row count."""
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise SchemaError(
            f"Candle frame lacks columns {missing}; expected {list(COLUMNS)} with a UTC "
            "DatetimeIndex."
        )
    if not isinstance(df.index, pd.DatetimeIndex):
        raise SchemaError(
            f"Candle frame index is {type(df.index).__name__}; expected a DatetimeIndex "
            "(use df.set_index('date'))."
        )
    index = df.index if df.index.tz is not None else df.index.tz_localize("UTC")
    ts = index.tz_convert("UTC").as_unit("ns").asi8
    cols = {c: df[c].to_numpy(dtype=np.float64, copy=False) for c in COLUMNS}
    # column by column: no stacked copy of a million-row price block; NaN fails every compare
    ok = (cols["volume"] >= 0) & np.isfinite(cols["volume"])
    for c in COLUMNS[:4]:
        ok &= (cols[c] > 0) & np.isfinite(cols[c])
    ok &= (cols["low"] <= cols["high"])
    # duplicate timestamps within the batch: keep the first (strictly rising ts has none)
    if len(ts) > 1 and not bool((ts[1:] > ts[:-1]).all()):
        _, first = np.unique(ts, return_index=True)
        unique_mask = np.zeros(len(ts), dtype=bool)
        unique_mask[first] = True
        ok &= unique_mask
    rejected = int(len(ts) - ok.sum())
    if rejected:
        log.warning("candles: rejected %d of %d rows (bad price, volume or duplicate ts)",
                    rejected, len(ts))
    return ts[ok], {c: v[ok] for c, v in cols.items()}, rejected


def save_candles(
    store: Store, df: pd.DataFrame, *, source: str, symbol: str, timeframe: str
) -> int:
    """Store OHLCV rows; rows already stored are left as they are.

    Args:
        store: the ledger store.
        df: OHLCV frame with a DatetimeIndex (naive means UTC).
        source: where the data came from ("binance", "birdeye", "raydium", ...).
        symbol: pair symbol, e.g. ``SOL/USDC``.
        timeframe: e.g. ``5m``.

    Returns:
        The number of new rows stored. Rows with NaN, non-positive prices, negative volume,
        low > high, or a duplicate timestamp are rejected, logged and counted, never stored.

    Raises:
        SchemaError: the frame lacks OHLCV columns or a DatetimeIndex.
    """
    ts, cols, _ = _prepare(df)
    if len(ts) == 0:
        return 0
    sid = _series_id(store, source, symbol, timeframe, create=True)
    assert sid is not None
    if store.backend == "postgresql":
        return _save_postgres(store, ts, cols, sid)
    return _save_sqlite(store, ts, cols, sid)


def _save_sqlite(store: Store, ts: np.ndarray, cols: dict[str, np.ndarray], sid: int) -> int:
    rows = zip([sid] * len(ts), ts.tolist(),
                    cols["open"].tolist(), cols["high"].tolist(), cols["low"].tolist(),
                    cols["close"].tolist(), cols["volume"].tolist(), strict=True)
    raw = store.engine.raw_connection()
    try:
        cur = raw.cursor()
        before = raw.driver_connection.total_changes  # type: ignore[union-attr]
        cur.executemany(
            f"INSERT OR IGNORE INTO candles ({_INSERT_COLS}) VALUES (?,?,?,?,?,?,?)", rows
        )
        raw.commit()
        return int(raw.driver_connection.total_changes - before)  # type: ignore[union-attr]
    finally:
        raw.close()


_PG_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
_PG_COPY_TRAILER = b"\xff\xff"


_PG_CHUNK_ROWS = 65_536  # ~5 MB of COPY data: big enough for few writes, small to overlap


def _pg_row_dtype() -> np.dtype:
    fields: list[tuple[str, str]] = [("n", ">i2"), ("lsid", ">i4"), ("sid", ">i4"),
                                     ("lts", ">i4"), ("ts", ">i8")]
    for c in COLUMNS:
        fields += [(f"l_{c}", ">i4"), (c, ">f8")]
    return np.dtype(fields)


_PG_IN_ROW = _pg_row_dtype()


def _pg_binary_chunks(ts: np.ndarray, cols: dict[str, np.ndarray], sid: int,
                      rows_per_chunk: int | None = None) -> Iterator[bytes | memoryview]:
    """PostgreSQL binary COPY payload as chunks to write in order (no per-row Python).

    Every row has the same layout (field count, then length + big-endian value per field), so
    one structured array is filled column-wise. Chunked, so that the server ingests one chunk
    while the next is built (the writer runs in its own thread).
    """
    step = rows_per_chunk or _PG_CHUNK_ROWS
    yield _PG_COPY_HEADER
    for lo in range(0, len(ts), step):
        hi = min(lo + step, len(ts))
        out = np.empty(hi - lo, dtype=_PG_IN_ROW)
        out["n"] = 2 + len(COLUMNS)
        out["lsid"] = 4
        out["sid"] = sid
        out["lts"] = 8
        out["ts"] = ts[lo:hi]
        for c in COLUMNS:
            out[f"l_{c}"] = 8
            out[c] = cols[c][lo:hi]
        yield memoryview(out.view(np.uint8))
    yield _PG_COPY_TRAILER


def _pg_binary(ts: np.ndarray, cols: dict[str, np.ndarray], sid: int) -> list[bytes | memoryview]:
    """The whole COPY payload as a list of chunks (benchmarks compare against it)."""
    return list(_pg_binary_chunks(ts, cols, sid))


def _copy_in(cur: Any, table: str, ts: np.ndarray, cols: dict[str, np.ndarray], sid: int) -> None:
    from psycopg.copy import QueuedLibpqWriter

    sql = f"COPY {table} ({_INSERT_COLS}) FROM STDIN WITH (FORMAT BINARY)"
    with cur.copy(sql, writer=QueuedLibpqWriter(cur)) as cp:
        for chunk in _pg_binary_chunks(ts, cols, sid):
            cp.write(chunk)


def _save_postgres(store: Store, ts: np.ndarray, cols: dict[str, np.ndarray], sid: int) -> int:
    raw = store.engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute(
            "SELECT EXISTS (SELECT 1 FROM candles WHERE series_id=%s AND ts BETWEEN %s AND %s)",
            (sid, int(ts.min()), int(ts.max())),
        )
        overlaps = bool(cur.fetchone()[0])
        if not overlaps:
            _copy_in(cur, "candles", ts, cols, sid)
            written = len(ts)
        else:
            cur.execute(
                "CREATE TEMP TABLE IF NOT EXISTS _candles_in (LIKE candles INCLUDING DEFAULTS) "
                "ON COMMIT DELETE ROWS"
            )
            _copy_in(cur, "_candles_in", ts, cols, sid)
            cur.execute(
                f"INSERT INTO candles ({_INSERT_COLS}) SELECT {_INSERT_COLS} FROM _candles_in "
                "ON CONFLICT DO NOTHING"
            )
            written = cur.rowcount
        raw.commit()
        return int(written)
    except Exception:
        raw.rollback()
        raise
    finally:
        raw.close()


def load_candles(
    store: Store,
    symbol: str,
    timeframe: str,
    start: Any = None,
    end: Any = None,
    source: str | None = None,
) -> pd.DataFrame:
    """Read candles as a DataFrame.

    Args:
        symbol / timeframe: what to read.
        start / end: optional bounds (anything ``pd.Timestamp`` accepts; naive = UTC);
            ``start`` inclusive, ``end`` exclusive.
        source: which source; may be omitted when only one source holds the symbol.

    Returns:
        Frame indexed by UTC ``ts`` with float64 ``open high low close volume``, sorted.

    Raises:
        DataUnavailable: nothing stored for that symbol, timeframe and range.
        DataError: several sources hold the symbol and none was named.
    """
    if source is None:
        with store.engine.connect() as conn:
            sources = [r[0] for r in conn.execute(
                text("SELECT source FROM candle_series WHERE symbol=:s AND timeframe=:t"),
                {"s": symbol, "t": timeframe},
            )]
        if len(sources) > 1:
            raise DataError(
                f"Candles for {symbol} {timeframe} come from several sources {sorted(sources)}; "
                "pass source=... to choose one."
            )
        source = sources[0] if sources else ""
    sid = _series_id(store, source, symbol, timeframe, create=False)
    lo, hi = _to_ns(start), _to_ns(end)
    rows: list[Any] = []
    if sid is not None and store.backend == "postgresql":
        frame = _fetch_postgres(store, sid, lo, hi)
        if len(frame):
            return frame
    elif sid is not None:
        rows = _fetch(store, sid, lo, hi)
    if not rows:
        window = f" between {start} and {end}" if (start or end) else ""
        raise DataUnavailable(
            f"No candles for {symbol} {timeframe}{window} in {store.url}. Load some with "
            "`workbench data import` or `workbench data backfill`, or run `make run` once to "
            "load the shipped sample."
        )
    # transpose once; ts stays int64 (ns do not fit a float64 mantissa)
    ts_col, *value_cols = zip(*rows, strict=True)
    ts = np.array(ts_col, dtype=np.int64)
    data = {c: np.array(v, dtype=np.float64) for c, v in zip(COLUMNS, value_cols, strict=True)}
    index = pd.DatetimeIndex(pd.to_datetime(ts, utc=True), name="ts")
    return pd.DataFrame(data, index=index)


_PG_ROW = np.dtype([("n", ">i2"), ("lts", ">i4"), ("ts", ">i8")]
                   + [f for c in COLUMNS for f in ((f"l_{c}", ">i4"), (c, ">f8"))])
_PG_HEADER = 19  # signature (11) + flags (4) + header extension length (4, zero)


def _fetch_postgres(store: Store, sid: int, lo: int | None, hi: int | None) -> pd.DataFrame:
    """Binary COPY out, decoded by one numpy view: every row has the same fixed layout."""
    where = f"series_id = {int(sid)}"
    if lo is not None:
        where += f" AND ts >= {int(lo)}"
    if hi is not None:
        where += f" AND ts < {int(hi)}"
    sql = (f"COPY (SELECT ts, open, high, low, close, volume FROM candles WHERE {where} "
           "ORDER BY ts) TO STDOUT WITH (FORMAT BINARY)")
    raw = store.engine.raw_connection()
    try:
        cur = raw.cursor()
        buf = bytearray()
        with cur.copy(sql) as cp:
            for chunk in cp:
                buf += chunk
        raw.commit()
    finally:
        raw.close()
    body = memoryview(buf)[_PG_HEADER: len(buf) - 2]
    arr = np.frombuffer(body, dtype=_PG_ROW)
    index = pd.DatetimeIndex(pd.to_datetime(arr["ts"].astype(np.int64), utc=True), name="ts")
    return pd.DataFrame({c: arr[c].astype(np.float64) for c in COLUMNS}, index=index)


def _fetch(store: Store, sid: int, lo: int | None, hi: int | None) -> list[Any]:
    """Rows through the raw DB-API cursor: ORM row objects cost 5x more on a million rows."""
    mark = "%s" if store.backend == "postgresql" else "?"
    sql = f"SELECT ts, open, high, low, close, volume FROM candles WHERE series_id={mark}"
    args: list[Any] = [sid]
    if lo is not None:
        sql += f" AND ts >= {mark}"
        args.append(lo)
    if hi is not None:
        sql += f" AND ts < {mark}"
        args.append(hi)
    sql += " ORDER BY ts"
    raw = store.engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute(sql, args)
        rows = cur.fetchall()
        raw.commit()
        return rows
    finally:
        raw.close()


def last_candle_ts(store: Store, *, source: str, symbol: str, timeframe: str
                   ) -> pd.Timestamp | None:
    """Open time (UTC) of the newest stored candle of one series, or None when it has none.

    Collectors resume from here, so a re-run fetches only what is new.
    """
    sid = _series_id(store, source, symbol, timeframe, create=False)
    if sid is None:
        return None
    with store.engine.connect() as conn:
        value = conn.execute(text("SELECT MAX(ts) FROM candles WHERE series_id = :sid"),
                             {"sid": sid}).scalar()
    return None if value is None else pd.Timestamp(int(value), unit="ns", tz="UTC")


def delete_candles(store: Store, *, source: str, symbol: str, timeframe: str) -> int:
    """Delete one series; returns rows deleted."""
    sid = _series_id(store, source, symbol, timeframe, create=False)
    if sid is None:
        return 0
    with store.engine.begin() as conn:
        res = conn.execute(text("DELETE FROM candles WHERE series_id=:sid"), {"sid": sid})
        return int(res.rowcount)


def candle_summary(store: Store) -> pd.DataFrame:
    """One row per stored series: source, symbol, timeframe, rows, first, last (UTC)."""
    with store.engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT s.source, s.symbol, s.timeframe, COUNT(*), MIN(c.ts), MAX(c.ts) "
            "FROM candles c JOIN candle_series s ON s.id = c.series_id "
            "GROUP BY s.source, s.symbol, s.timeframe ORDER BY s.source, s.symbol, s.timeframe"
        )).all()
    frame = pd.DataFrame(rows, columns=["source", "symbol", "timeframe", "rows", "first", "last"])
    for c in ("first", "last"):
        frame[c] = pd.to_datetime(frame[c].astype("int64"), utc=True)
    return frame

"""Bulk candle inserts and reads: the store versus the raw driver, same rows, same run.

Targets (issue 2): >= 250,000 rows/s on SQLite and >= 500,000 rows/s on PostgreSQL via COPY,
and a million candles read back as a DataFrame. Each store rate is printed beside the raw
driver's rate for the same rows (sqlite3 executemany of ready tuples; psycopg binary COPY of a
ready payload, written in one piece), so the ratio shows the store's own overhead. The store
streams 64k-row chunks through a writer thread, so building overlaps the server's ingest and
the store can beat the raw one-piece write. Best of three runs each.

Usage: python benchmarks/bench_store.py [--rows N] [--pg URL]
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.store import load_candles, open_store, save_candles
from workbench.store.candles import COLUMNS, _pg_binary

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _frame(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 1e-3, n)))
    idx = pd.date_range("2020-01-01", periods=n, freq="1min", tz="UTC", name="ts")
    return pd.DataFrame({"open": close, "high": close * 1.001, "low": close * 0.999,
                         "close": close, "volume": rng.random(n) * 10}, index=idx)


def _best(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        times.append(fn())
    return min(times)


def bench_sqlite(df: pd.DataFrame) -> None:
    n = len(df)
    tmp = Path(tempfile.mkdtemp())
    ts = df.index.as_unit("ns").asi8

    def store_run() -> float:
        path = tmp / f"{uuid.uuid4().hex}.db"
        st = open_store(f"sqlite:///{path}")
        st.upgrade()
        t = time.perf_counter()
        assert save_candles(st, df, source="bench", symbol="SOL/USDC", timeframe="1m") == n
        dt = time.perf_counter() - t
        st.dispose()
        return dt

    rows = list(zip([1] * n, ts.tolist(), *[df[c].tolist() for c in COLUMNS], strict=True))

    def raw_run() -> float:
        path = tmp / f"{uuid.uuid4().hex}.db"
        st = open_store(f"sqlite:///{path}")
        st.upgrade()
        st.dispose()
        con = sqlite3.connect(path)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=NORMAL")
        t = time.perf_counter()
        con.executemany("INSERT INTO candles VALUES (?,?,?,?,?,?,?)", rows)
        con.commit()
        dt = time.perf_counter() - t
        con.close()
        return dt

    s, r = _best(store_run), _best(raw_run)
    print(f"sqlite insert  store {n / s:>12,.0f} rows/s   raw sqlite3 executemany "
          f"{n / r:>12,.0f} rows/s   store/raw {r / s:5.2f}   target >= 250,000: "
          f"{'MET' if n / s >= 250_000 else 'NOT MET'}")
    st = open_store(f"sqlite:///{tmp / 'read.db'}")
    st.upgrade()
    save_candles(st, df, source="bench", symbol="SOL/USDC", timeframe="1m")
    t = time.perf_counter()
    out = load_candles(st, "SOL/USDC", "1m")
    dt = time.perf_counter() - t
    assert len(out) == n
    print(f"sqlite read    {n:,} candles -> DataFrame in {dt:.2f}s ({n / dt:,.0f} rows/s)")


def bench_postgres(df: pd.DataFrame, url: str) -> None:
    import psycopg

    n = len(df)
    base = url.replace("+psycopg", "")
    try:
        psycopg.connect(base, connect_timeout=3).close()
    except Exception as exc:
        print(f"postgresql: skipped, server not reachable at {url}: {exc}")
        return
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in url else "?"
    st = open_store(f"{url}{sep}options=-csearch_path%3D{schema}")
    st.upgrade()
    ts = df.index.as_unit("ns").asi8
    cols = {c: df[c].to_numpy() for c in COLUMNS}
    try:
        def reset() -> None:
            with st.engine.begin() as conn:
                conn.exec_driver_sql("TRUNCATE candles")

        def store_run() -> float:
            reset()
            t = time.perf_counter()
            assert save_candles(st, df, source="bench", symbol="SOL/USDC", timeframe="1m") == n
            return time.perf_counter() - t

        payload = b"".join(bytes(c) for c in _pg_binary(ts, cols, 1))

        def raw_run() -> float:
            reset()
            with psycopg.connect(base, options=f"-csearch_path={schema}") as conn:
                t = time.perf_counter()
                with conn.cursor() as cur, cur.copy(
                    "COPY candles (series_id, ts, open, high, low, close, volume) FROM STDIN "
                    "WITH (FORMAT BINARY)"
                ) as cp:
                    cp.write(payload)
                conn.commit()
                return time.perf_counter() - t

        s, r = _best(store_run), _best(raw_run)
        print(f"postgres COPY  store {n / s:>12,.0f} rows/s   raw psycopg binary COPY "
              f"{n / r:>12,.0f} rows/s   store/raw {r / s:5.2f}   target >= 500,000: "
              f"{'MET' if n / s >= 500_000 else 'NOT MET'}")
        store_run()
        t = time.perf_counter()
        out = load_candles(st, "SOL/USDC", "1m")
        dt = time.perf_counter() - t
        assert len(out) == n
        print(f"postgres read  {n:,} candles -> DataFrame in {dt:.2f}s ({n / dt:,.0f} rows/s)")
    finally:
        st.dispose()
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--pg", default=PG)
    args = ap.parse_args()
    df = _frame(args.rows)
    print(f"bench_store: {args.rows:,} one-minute candles")
    bench_sqlite(df)
    bench_postgres(df, args.pg)


if __name__ == "__main__":
    main()

"""Swaps observed on chain (``market_trades``): bulk, idempotent writes and reads.

A trade is keyed by ``(venue, signature, seq)``: one transaction can swap through several pools
of a venue, and ``seq`` tells them apart (the chain collector uses the smallest account index of
the pool's vaults in the transaction, which is the same on every read of that transaction). A
re-run of a backfill therefore stores nothing twice.

Writes take each backend's bulk path: one ``executemany`` of ``INSERT OR IGNORE`` on SQLite, and
on PostgreSQL a ``COPY`` into a temporary table merged with ``ON CONFLICT DO NOTHING`` (``COPY``
alone cannot skip duplicates). Both report how many rows were new.

Frame shape (what :func:`save_market_trades` takes and :func:`load_market_trades` returns):
indexed by UTC ``ts`` (the block time), columns ``venue``, ``symbol``, ``side`` (``buy``/``sell``
of the base, taker's view) as str; ``price`` (quote per base), ``base_amount``, ``quote_amount``
as float64 human units; ``signature`` str; ``seq`` int64; ``slot`` int64 (-1 when unknown).
Floats here are for analysis only; exact amounts stay on chain and in the fills ledger.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import text

from workbench.errors import DataUnavailable, SchemaError
from workbench.store.db import Store

__all__ = [
    "TRADE_COLUMNS",
    "TradeMark",
    "load_market_trades",
    "market_trade_marks",
    "save_market_trades",
]

log = logging.getLogger(__name__)

TRADE_COLUMNS = ("venue", "symbol", "side", "price", "base_amount", "quote_amount", "signature",
                 "seq", "slot")
"""Columns of a market-trades frame, in order (the index is ``ts``)."""

_DB_COLUMNS = ("venue", "symbol", "ts", "side", "price", "base_amount", "quote_amount",
               "signature", "seq", "slot")
_INSERT_COLS = ", ".join(_DB_COLUMNS)
_TEMP = "_market_trades_in"


@dataclass(frozen=True, slots=True, kw_only=True)
class TradeMark:
    """A stored trade's position in chain history, for resuming a backfill.

    Attributes:
        signature: the transaction signature (pass it as ``before``/``until`` to the RPC).
        slot: the slot it landed in.
        ts_ns: block time, UTC ns.
    """

    signature: str
    slot: int
    ts_ns: int


def _prepare(frame: pd.DataFrame) -> tuple[list[tuple[Any, ...]], int]:
    """Validate a frame; return DB rows (plain Python values) and how many rows were rejected."""
    if not isinstance(frame.index, pd.DatetimeIndex):
        raise SchemaError(f"Market-trades frame index is {type(frame.index).__name__}; expected a "
                          "UTC DatetimeIndex named 'ts' (see workbench.data.market_trades_frame).")
    missing = [c for c in TRADE_COLUMNS if c not in frame.columns]
    if missing:
        raise SchemaError(f"Market-trades frame lacks columns {missing}; expected "
                          f"{list(TRADE_COLUMNS)} indexed by UTC ts.")
    index = frame.index if frame.index.tz is not None else frame.index.tz_localize("UTC")
    ts = index.tz_convert("UTC").as_unit("ns").asi8
    price = frame["price"].to_numpy(dtype=np.float64)
    base = frame["base_amount"].to_numpy(dtype=np.float64)
    quote = frame["quote_amount"].to_numpy(dtype=np.float64)
    side = frame["side"].astype(str).to_numpy()
    sig = frame["signature"].astype(str).to_numpy()
    ok = (np.isfinite(price) & (price > 0) & np.isfinite(base) & (base > 0)
          & np.isfinite(quote) & (quote > 0) & np.isin(side, ["buy", "sell"])
          & (np.char.str_len(sig.astype(str)) > 0))
    rejected = int(len(ts) - ok.sum())
    if rejected:
        log.warning("market_trades: rejected %d of %d rows (non-positive or NaN price/amount, "
                    "side not buy/sell, or empty signature)", rejected, len(ts))
    slot = frame["slot"].to_numpy(dtype=np.int64)
    cols = [
        frame["venue"].astype(str).to_numpy()[ok].tolist(),
        frame["symbol"].astype(str).to_numpy()[ok].tolist(),
        ts[ok].tolist(),
        side[ok].tolist(),
        price[ok].tolist(),
        base[ok].tolist(),
        quote[ok].tolist(),
        sig[ok].tolist(),
        frame["seq"].to_numpy(dtype=np.int64)[ok].tolist(),
        [None if s < 0 else s for s in slot[ok].tolist()],
    ]
    return list(zip(*cols, strict=True)), rejected


def save_market_trades(store: Store, frame: pd.DataFrame) -> int:
    """Store trades; rows whose ``(venue, signature, seq)`` is already stored are skipped.

    Args:
        store: the ledger store (migrated).
        frame: a market-trades frame (module docstring).

    Returns:
        The number of new rows. Rows with a NaN or non-positive price or amount, a side other
        than buy/sell, or an empty signature are rejected, logged and not stored.

    Raises:
        SchemaError: the frame lacks a column or a DatetimeIndex.
    """
    rows, _ = _prepare(frame)
    if not rows:
        return 0
    if store.backend == "postgresql":
        return _save_postgres(store, rows)
    return _save_sqlite(store, rows)


def _save_sqlite(store: Store, rows: list[tuple[Any, ...]]) -> int:
    raw = store.engine.raw_connection()
    try:
        cur = raw.cursor()
        before = raw.driver_connection.total_changes  # type: ignore[union-attr]
        marks = ",".join("?" * len(_DB_COLUMNS))
        cur.executemany(f"INSERT OR IGNORE INTO market_trades ({_INSERT_COLS}) VALUES ({marks})",
                        rows)
        raw.commit()
        return int(raw.driver_connection.total_changes - before)  # type: ignore[union-attr]
    finally:
        raw.close()


def _save_postgres(store: Store, rows: list[tuple[Any, ...]]) -> int:
    raw = store.engine.raw_connection()
    try:
        cur = raw.cursor()
        # explicit columns (not LIKE market_trades): the id column's NOT NULL would come along
        cur.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {_TEMP} (venue text, symbol text, ts bigint, "
            "side text, price double precision, base_amount double precision, "
            "quote_amount double precision, signature text, seq integer, slot bigint) "
            "ON COMMIT DELETE ROWS"
        )
        with cur.copy(f"COPY {_TEMP} ({_INSERT_COLS}) FROM STDIN") as cp:
            for row in rows:
                cp.write_row(row)
        cur.execute(f"INSERT INTO market_trades ({_INSERT_COLS}) SELECT {_INSERT_COLS} "
                    f"FROM {_TEMP} ON CONFLICT DO NOTHING")
        written = cur.rowcount
        raw.commit()
        return int(written)
    except Exception:
        raw.rollback()
        raise
    finally:
        raw.close()


def _where(venue: str | Iterable[str] | None, symbol: str | Iterable[str] | None,
           ) -> tuple[str, dict[str, Any]]:
    clauses: list[str] = []
    params: dict[str, Any] = {}
    for name, value in (("venue", venue), ("symbol", symbol)):
        if value is None:
            continue
        values = [value] if isinstance(value, str) else list(value)
        marks = []
        for i, v in enumerate(values):
            params[f"{name}{i}"] = v
            marks.append(f":{name}{i}")
        clauses.append(f"{name} IN ({', '.join(marks)})" if marks else "1 = 0")
    return (" AND ".join(clauses) or "1 = 1"), params


def _to_ns(value: Any) -> int | None:
    if value is None:
        return None
    ts = pd.Timestamp(value)
    return int((ts.tz_localize("UTC") if ts.tzinfo is None else ts).value)


def load_market_trades(
    store: Store,
    *,
    symbol: str | Iterable[str] | None = None,
    venue: str | Iterable[str] | None = None,
    start: Any = None,
    end: Any = None,
) -> pd.DataFrame:
    """Stored trades as a market-trades frame, sorted by time, slot and seq.

    Args:
        store: the ledger store.
        symbol / venue: filters (a name or several); None means all.
        start / end: UTC bounds on block time, ``start <= ts < end`` (naive means UTC).

    Raises:
        DataUnavailable: nothing stored that matches.
    """
    where, params = _where(venue, symbol)
    lo, hi = _to_ns(start), _to_ns(end)
    if lo is not None:
        where += " AND ts >= :lo"
        params["lo"] = lo
    if hi is not None:
        where += " AND ts < :hi"
        params["hi"] = hi
    sql = text(f"SELECT {_INSERT_COLS} FROM market_trades WHERE {where} ORDER BY ts, slot, seq")
    with store.engine.connect() as conn:
        rows = conn.execute(sql, params).all()
    if not rows:
        what = " ".join(str(x) for x in (venue, symbol) if x is not None) or "any pair"
        raise DataUnavailable(f"No market trades for {what} in {store.url}"
                              f"{f' between {start} and {end}' if (start or end) else ''}. "
                              "Run a swap backfill (workbench.data.backfill_swaps) first.")
    cols = list(zip(*rows, strict=True))
    data = dict(zip(_DB_COLUMNS, cols, strict=True))
    index = pd.DatetimeIndex(pd.to_datetime(np.array(data.pop("ts"), dtype=np.int64), utc=True),
                             name="ts")
    frame = pd.DataFrame({
        "venue": list(data["venue"]),
        "symbol": list(data["symbol"]),
        "side": list(data["side"]),
        "price": np.array(data["price"], dtype=np.float64),
        "base_amount": np.array(data["base_amount"], dtype=np.float64),
        "quote_amount": np.array(data["quote_amount"], dtype=np.float64),
        "signature": list(data["signature"]),
        "seq": np.array(data["seq"], dtype=np.int64),
        "slot": np.array([-1 if s is None else s for s in data["slot"]], dtype=np.int64),
    }, index=index)
    return frame


def market_trade_marks(
    store: Store,
    *,
    venue: str | Iterable[str] | None = None,
    symbol: str | Iterable[str] | None = None,
) -> tuple[TradeMark, TradeMark] | None:
    """The (newest, oldest) stored trades by slot, or None when nothing matches.

    A backfill resumes from these: newer history is fetched ``until`` the newest, older history
    ``before`` the oldest.
    """
    where, params = _where(venue, symbol)
    out: list[TradeMark] = []
    with store.engine.connect() as conn:
        for order in ("DESC", "ASC"):
            row = conn.execute(text(
                f"SELECT signature, slot, ts FROM market_trades WHERE {where} AND slot IS NOT NULL "
                f"ORDER BY slot {order}, seq {order} LIMIT 1"), params).first()
            if row is None:
                return None
            out.append(TradeMark(signature=row[0], slot=int(row[1]), ts_ns=int(row[2])))
    return out[0], out[1]

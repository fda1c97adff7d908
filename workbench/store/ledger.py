"""Repository functions over the ledger: orders, fills, risk events, audit, control, runs.

Writers take domain objects or plain values and return what was stored; readers return
DataFrames (newest first where a screen shows them that way) for notebooks and dashboards.
Every write is its own transaction, so a crash leaves either the whole row or nothing.

The executor's order path writes through :class:`OrderWriter` instead: the same rows, on one
connection of its own with prepared statements, because SQLAlchemy's per-statement cost
(checkout, compile cache lookup, result wrapping) was most of an order's latency.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, TypeVar

import pandas as pd
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from workbench.domain import Fill, Order, OrderStatus
from workbench.errors import StoreError
from workbench.store.db import Store
from workbench.store.models import (
    AuditLog,
    BalanceSnapshot,
    ControlCommand,
    DecimalText,
    EngineState,
    EquitySnapshot,
    FillRow,
    JobRun,
    ModelVersion,
    OrderRow,
    PositionRow,
    RiskEvent,
    StrategyConfig,
)

__all__ = [
    "OrderWriter",
    "audit",
    "claim_commands",
    "finish_command",
    "finish_job_run",
    "get_state",
    "load_audit",
    "load_balances",
    "load_commands",
    "load_equity",
    "load_fills",
    "load_job_runs",
    "load_models",
    "load_orders",
    "load_positions",
    "load_risk_events",
    "load_strategy_configs",
    "open_orders",
    "order_status",
    "record_risk_event",
    "register_model",
    "save_balances",
    "save_equity",
    "save_fill",
    "save_order",
    "save_positions",
    "save_strategy_config",
    "set_model_status",
    "set_order_status",
    "set_state",
    "set_strategy_enabled",
    "start_job_run",
    "submit_command",
]


log = logging.getLogger(__name__)


def _now() -> int:
    return time.time_ns()


def _frame(rows: Iterable[Any], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame([tuple(r) for r in rows], columns=columns)


def _ts_cols(frame: pd.DataFrame, *names: str) -> pd.DataFrame:
    for name in names:
        if name in frame:
            frame[name] = pd.to_datetime(frame[name], utc=True)
    return frame


# -- orders and fills -------------------------------------------------------------------------


def save_order(store: Store, order: Order, *, status: OrderStatus = OrderStatus.NEW,
               mode: str = "paper", reason: str | None = None) -> None:
    """Record an order (its intent) before anything is sent.

    Raises:
        StoreError: an order with this client order id already exists.
    """
    now = _now()
    try:
        with store.engine.begin() as conn:
            conn.execute(insert(OrderRow).values(
                client_order_id=order.client_order_id, strategy=order.strategy,
                symbol=order.symbol, side=str(order.side), amount=order.amount,
                price=order.price, max_slippage_bps=order.max_slippage_bps, venue=order.venue,
                reduce_only=order.reduce_only, mode=mode, status=str(status), reason=reason,
                ts_created=order.ts_init or now, ts_updated=now,
            ))
    except IntegrityError:
        raise StoreError(
            f"Order {order.client_order_id} is already in the ledger; client order ids are "
            "unique, so the order was not recorded twice."
        ) from None


def set_order_status(
    store: Store,
    client_order_id: str,
    status: OrderStatus,
    *,
    reason: str | None = None,
    signature: str | None = None,
    signed_tx: bytes | None = None,
    last_valid_block_height: int | None = None,
    venue: str | None = None,
) -> None:
    """Move an order along its lifecycle, keeping the signed bytes once they exist.

    Raises:
        StoreError: no such order.
    """
    values: dict[str, Any] = {"status": str(status), "ts_updated": _now()}
    for key, value in (("reason", reason), ("signature", signature), ("signed_tx", signed_tx),
                       ("last_valid_block_height", last_valid_block_height), ("venue", venue)):
        if value is not None:
            values[key] = value
    with store.engine.begin() as conn:
        res = conn.execute(
            update(OrderRow).where(OrderRow.client_order_id == client_order_id).values(**values)
        )
    if res.rowcount == 0:
        raise StoreError(f"No order {client_order_id!r} in the ledger to update.")


def save_fill(store: Store, fill: Fill, *, strategy: str | None = None) -> bool:
    """Record a fill; returns False when the same fill (order, signature, venue) was stored."""
    try:
        with store.engine.begin() as conn:
            conn.execute(insert(FillRow).values(
                client_order_id=fill.client_order_id, symbol=fill.symbol, side=str(fill.side),
                base_amount=fill.base_amount, quote_amount=fill.quote_amount,
                fee_lamports=fill.fee_lamports, venue=fill.venue, signature=fill.signature,
                strategy=strategy, ts_event=fill.ts_event,
            ))
    except IntegrityError:
        return False
    return True


# -- the order path: one connection of its own, prepared statements -------------------------

_T = TypeVar("_T")
_ORDERS, _FILLS = OrderRow.__tablename__, FillRow.__tablename__
_ORDER_INSERT = ("client_order_id", "strategy", "symbol", "side", "amount", "price",
                 "max_slippage_bps", "venue", "reduce_only", "mode", "status", "reason",
                 "signature", "signed_tx", "last_valid_block_height", "ts_created", "ts_updated")
_FILL_INSERT = ("client_order_id", "symbol", "side", "base_amount", "quote_amount",
                "fee_lamports", "venue", "signature", "strategy", "ts_event")
_SQL_INSERT_ORDER = (f"INSERT INTO {_ORDERS} ({', '.join(_ORDER_INSERT)}) "
                     f"VALUES ({', '.join('?' * len(_ORDER_INSERT))})")
# One statement for every status change: a NULL parameter keeps the column as it is.
_SQL_UPDATE_ORDER = (f"UPDATE {_ORDERS} SET status = ?, ts_updated = ?, "
                     "reason = COALESCE(?, reason), signature = COALESCE(?, signature), "
                     "signed_tx = COALESCE(?, signed_tx), "
                     "last_valid_block_height = COALESCE(?, last_valid_block_height), "
                     "venue = COALESCE(?, venue) WHERE client_order_id = ?")
_SQL_INSERT_FILL = (f"INSERT INTO {_FILLS} ({', '.join(_FILL_INSERT)}) "
                    f"VALUES ({', '.join('?' * len(_FILL_INSERT))}) "
                    "ON CONFLICT (client_order_id, signature, venue) DO NOTHING")
_SQL_ORDER_STAMP = f"SELECT ts_updated FROM {_ORDERS} WHERE client_order_id = ?"


def _one_line(err: object) -> str:
    return " ".join(str(err).split())


def _close_quietly(conn: Any) -> None:
    try:
        conn.close()
    except Exception:  # closing a connection the server already dropped
        log.debug("ledger writer: closing a dead connection failed", exc_info=True)


class _Checkpointer:
    """SQLite WAL checkpoints on a thread of their own, so no order's commit runs one.

    By default the commit that takes the WAL past 1,000 pages copies it into the database
    and fsyncs: milliseconds, about once per hundred orders, which was the order path's p99.
    The writer's connection turns that off (``wal_autocheckpoint=0``) and pokes this thread
    every ``every`` commits (and it checks once a second); a PASSIVE checkpoint runs beside
    the writer without blocking it. Commits stay durable in the WAL either way.
    """

    def __init__(self, store: Store, every: int = 64) -> None:
        self.store = store
        self.every = every
        self._commits = 0
        self._wake = threading.Event()
        self._stopped = False
        self.busy = threading.Lock()  # held while checkpointing; a fork waits for it
        self._thread = threading.Thread(target=self._loop, name="ledger-wal-checkpoint",
                                        daemon=True)
        self._thread.start()

    def committed(self) -> None:
        """Count one commit; wakes the thread every ``every`` commits."""
        self._commits += 1
        if self._commits % self.every == 0:
            self._wake.set()

    def stop(self) -> None:
        """End the thread after a last checkpoint."""
        self._stopped = True
        self._wake.set()

    def join(self, timeout: float = 10.0) -> None:
        """Wait for the thread to end (after :meth:`stop`)."""
        self._thread.join(timeout)

    def _loop(self) -> None:
        conn: Any = None
        done, warned = 0, False
        try:
            while True:
                self._wake.wait(timeout=1.0)
                self._wake.clear()
                stopping = self._stopped  # read first: every commit before stop() is counted
                if self._commits != done:
                    done = self._commits
                    try:
                        with self.busy:
                            if conn is None:
                                proxy = self.store.engine.raw_connection()
                                conn = proxy.driver_connection
                                proxy.detach()
                            conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    except Exception:  # the WAL only grows until a checkpoint succeeds
                        if not warned:
                            log.warning("ledger writer: WAL checkpoint of %s failed; retrying "
                                        "after the next commits", self.store.url, exc_info=True)
                            warned = True
                        if conn is not None:
                            _close_quietly(conn)
                            conn = None
                if stopping:
                    return
        finally:
            if conn is not None:
                _close_quietly(conn)


def _release(conn: Any, checkpointer: _Checkpointer | None) -> None:
    _close_quietly(conn)
    if checkpointer is not None:
        checkpointer.stop()


class OrderWriter:
    """The executor's ledger writes (order, intent, status, fills) on a connection of its own.

    The order path runs a few writes per order and SQLAlchemy's per-statement cost (pool
    checkout and reset, compiled-cache lookup, result wrapping) was most of their time, so
    these go to the DB-API connection directly: one connection made by the store's engine
    (same pragmas) and detached from its pool, statements prepared once (psycopg
    ``prepare=True``; sqlite3's statement cache). The rows are those of :func:`save_order`,
    :func:`set_order_status` and :func:`save_fill`.

    Every call is committed before it returns: one statement in autocommit, or BEGIN ... COMMIT
    when it writes several rows (on PostgreSQL sent as one pipeline: one round trip). A
    connection the server dropped (a PostgreSQL restart) is replaced and the write retried
    once; each write is idempotent on retry (an order insert first looks for the row its lost
    attempt may have committed). An in-memory SQLite database lives in one pooled
    connection, so there each write borrows that one.

    On SQLite the WAL checkpoints are moved off these commits to a thread (see
    :class:`_Checkpointer`). Thread-safe (one lock). A forked child never uses nor closes its
    parent's connection.

    Example:
        >>> writer = OrderWriter(store)
        >>> writer.insert_order(order, status=OrderStatus.SUBMITTED, mode="paper",
        ...                     signature=sig, signed_tx=raw, last_valid_block_height=h)
        >>> writer.save_fills(order.client_order_id, fills, strategy="grid", signature=sig)
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        engine = store.engine
        dialect = engine.dialect
        self._pg = dialect.name == "postgresql"
        self._shared = dialect.name == "sqlite" and engine.url.database in (None, "", ":memory:")
        self._dbapi: Any = dialect.loaded_dbapi
        self._begin = "BEGIN" if self._pg else "BEGIN IMMEDIATE"
        dec = DecimalText()
        self._dec: Callable[[Any], str | None] = lambda v: dec.process_bind_param(v, dialect)
        mark = "%s" if self._pg else "?"
        self._insert_order, self._update_order, self._insert_fill, self._stamp = (
            sql.replace("?", mark) for sql in (_SQL_INSERT_ORDER, _SQL_UPDATE_ORDER,
                                               _SQL_INSERT_FILL, _SQL_ORDER_STAMP))
        self._conn: Any = None
        self._finalizer: weakref.finalize[Any, Any] | None = None
        self._checkpointer: _Checkpointer | None = None
        self._lock = threading.Lock()
        _WRITERS.add(self)

    def __repr__(self) -> str:
        return f"OrderWriter({self.store.url!r})"

    # --- writes -------------------------------------------------------------------------

    def insert_order(self, order: Order, *, status: OrderStatus, mode: str = "paper",
                     reason: str | None = None, signature: str | None = None,
                     signed_tx: bytes | None = None,
                     last_valid_block_height: int | None = None) -> None:
        """Insert an order's row, committed on return.

        An intent for an order never saved is ONE row, already SUBMITTED with its signature,
        signed bytes and ``last_valid_block_height`` (not an insert and then an update).

        Raises:
            StoreError: the client order id is already in the ledger.
        """
        now = _now()
        coid = order.client_order_id
        params = (coid, order.strategy, order.symbol, str(order.side), self._dec(order.amount),
                  self._dec(order.price), order.max_slippage_bps, order.venue,
                  order.reduce_only, mode, str(status), reason, signature, signed_tx,
                  last_valid_block_height, order.ts_init or now, now)

        def op(conn: Any, retrying: bool) -> None:
            if retrying:  # the lost attempt may have committed: its row carries our stamp
                row = self._exec(conn, self._stamp, (coid,)).fetchone()
                if row is not None and row[0] == now:
                    return
            self._exec(conn, self._insert_order, params)

        try:
            self._run(op, several=False)
        except self._dbapi.IntegrityError as exc:
            raise StoreError(
                f"Order {coid} is already in the ledger; client order ids are unique, so the "
                "order was not recorded twice." if self._exists(coid) else
                f"Order {coid} was refused by the ledger ({_one_line(exc)}); nothing was "
                "stored.") from None

    def set_status(self, client_order_id: str, status: OrderStatus, *,
                   reason: str | None = None, signature: str | None = None,
                   signed_tx: bytes | None = None, last_valid_block_height: int | None = None,
                   venue: str | None = None) -> None:
        """Move an order along its lifecycle (None keeps a column); committed on return.

        Raises:
            StoreError: no such order.
        """
        params = (str(status), _now(), reason, signature, signed_tx, last_valid_block_height,
                  venue, client_order_id)
        updated = self._run(
            lambda conn, _: self._exec(conn, self._update_order, params).rowcount > 0,
            several=False)
        if not updated:
            raise StoreError(f"No order {client_order_id!r} in the ledger to update.")

    def save_fills(self, client_order_id: str, fills: Sequence[Fill], *,
                   strategy: str | None = None,
                   signature: str | None = None) -> tuple[list[bool], bool]:
        """Store a landed swap's fills and mark its order FILLED, in one transaction.

        Fills of an order without a row are still stored (the chain moved the tokens).

        Args:
            client_order_id: the order.
            fills: its fills, from the chain's balance changes (may be empty).
            strategy: stored on each fill.
            signature: the landed transaction, stored on the order.

        Returns:
            Per fill, True when stored now and False when stored before (same order,
            signature and venue); and True when the order's row was marked FILLED.

        Raises:
            StoreError: the database refused a fill; nothing of this call was stored.
        """
        rows = [(f.client_order_id, f.symbol, str(f.side), self._dec(f.base_amount),
                 self._dec(f.quote_amount), f.fee_lamports, f.venue, f.signature, strategy,
                 f.ts_event) for f in fills]
        filled = (str(OrderStatus.FILLED), _now(), None, signature, None, None, None,
                  client_order_id)

        def op(conn: Any, _retrying: bool) -> list[Any]:  # cursors: counts known after sync
            return [*(self._exec(conn, self._insert_fill, row) for row in rows),
                    self._exec(conn, self._update_order, filled)]

        try:
            *stored, marked = [cur.rowcount > 0 for cur in self._run(op, several=True,
                                                                     durable=False)]
            return stored, marked
        except self._dbapi.IntegrityError as exc:
            raise StoreError(
                f"The fills of order {client_order_id} were refused by the ledger "
                f"({_one_line(exc)}); nothing was stored and the order keeps its status. "
                "Reconcile it from its signature (`workbench reconcile`).") from None

    def close(self) -> None:
        """Close the connection after a last WAL checkpoint; the next write opens another."""
        with self._lock:
            checkpointer = self._checkpointer
            self._discard()
        if checkpointer is not None:
            checkpointer.join()

    # --- connection ---------------------------------------------------------------------

    @staticmethod
    def _exec_sqlite(conn: Any, sql: str, params: Sequence[Any]) -> Any:
        return conn.execute(sql, params)

    @staticmethod
    def _exec_pg(conn: Any, sql: str, params: Sequence[Any]) -> Any:
        return conn.execute(sql, params, prepare=True)

    def _exec(self, conn: Any, sql: str, params: Sequence[Any]) -> Any:
        return (self._exec_pg if self._pg else self._exec_sqlite)(conn, sql, params)

    def _exists(self, client_order_id: str) -> bool:
        return self._run(lambda conn, _: self._exec(conn, self._stamp, (client_order_id,))
                         .fetchone() is not None, several=False)

    def _checkout(self) -> Any:
        try:
            return self.store.engine.raw_connection()
        except SQLAlchemyError as exc:
            raise StoreError(
                f"Cannot reach the ledger database at {self.store.url}: "
                f"{_one_line(getattr(exc, 'orig', exc))}. Check that the server runs and "
                "WORKBENCH_DATABASE__URL is right; nothing was stored.") from None

    def _connect(self) -> Any:
        proxy = self._checkout()
        conn = proxy.driver_connection
        proxy.detach()  # ours alone: autocommit here never leaks into the pool
        try:
            conn.rollback()  # a pre-ping may have opened a transaction
            if self._pg:
                conn.autocommit = True
            else:
                conn.isolation_level = None
                conn.execute("PRAGMA wal_autocheckpoint=0")  # the checkpointer's job
        except self._dbapi.Error as exc:
            _close_quietly(conn)
            raise StoreError(
                f"Cannot use a connection to the ledger at {self.store.url}: {_one_line(exc)}. "
                "Check the database server; nothing was stored.") from None
        checkpointer = None if self._pg else _Checkpointer(self.store)
        self._conn, self._checkpointer = conn, checkpointer
        self._finalizer = weakref.finalize(self, _release, conn, checkpointer)
        return conn

    def _discard(self) -> None:
        if self._finalizer is not None:
            self._finalizer()  # closes the connection and stops the checkpointer, once
        self._conn, self._finalizer, self._checkpointer = None, None, None

    def _in_transaction(self, conn: Any) -> bool:
        if self._pg:
            return bool(conn.info.transaction_status.name != "IDLE")
        return bool(conn.in_transaction)

    def _undo(self, conn: Any) -> bool:
        """Roll back after an error; True when the connection is gone (and discarded)."""
        if self._shared:
            conn.rollback()
            return False
        if self._pg and (conn.closed or conn.broken):
            self._discard()
            return True
        try:
            if self._in_transaction(conn):
                conn.execute("ROLLBACK")
        except self._dbapi.Error:
            self._discard()
            return True
        return False

    def _run(self, op: Callable[[Any, bool], _T], *, several: bool, durable: bool = True) -> _T:
        """``op(conn, retrying)`` in one transaction, committed before returning.

        ``durable=False`` (PostgreSQL): the commit does not wait for its WAL flush. Only for
        rows the chain can give again: a fill lost to a server crash leaves its order
        SUBMITTED with the signed intent, and recovery books the fill from the transaction.
        The next durable commit flushes it anyway (WAL is written in order).
        """
        with self._lock:
            for retrying in (False, True):
                proxy = self._checkout() if self._shared else None
                conn = proxy.driver_connection if proxy is not None else (
                    self._conn if self._conn is not None else self._connect())
                try:
                    if several and self._pg:  # BEGIN ... COMMIT in one round trip
                        with conn.pipeline():
                            conn.execute(self._begin)
                            if not durable:
                                conn.execute("SET LOCAL synchronous_commit TO OFF")
                            out = op(conn, retrying)
                            conn.execute("COMMIT")
                    elif several and proxy is None:
                        conn.execute(self._begin)
                        out = op(conn, retrying)
                        conn.execute("COMMIT")
                    else:
                        out = op(conn, retrying)
                        if proxy is not None:
                            conn.commit()
                    if self._checkpointer is not None:
                        self._checkpointer.committed()
                    return out
                except self._dbapi.Error as exc:
                    lost = self._undo(conn)
                    if isinstance(exc, self._dbapi.IntegrityError):
                        raise
                    if lost and not retrying:
                        log.warning("ledger writer: connection to %s lost (%s); retrying on a "
                                    "new one", self.store.url, _one_line(exc))
                        continue
                    raise StoreError(
                        f"Writing the ledger at {self.store.url} failed: {_one_line(exc)}. "
                        "Check the database (disk space, locks, server logs); this write was "
                        "not stored.") from None
                except BaseException:
                    self._undo(conn)
                    raise
                finally:
                    if proxy is not None:
                        proxy.close()
        raise AssertionError("unreachable")  # pragma: no cover

    def _after_fork(self) -> None:
        """In a forked child: drop (never close) the parent's connection and lock."""
        if self._finalizer is not None:
            self._finalizer.detach()
        self._conn, self._finalizer, self._checkpointer = None, None, None
        self._lock = threading.Lock()


_WRITERS: weakref.WeakSet[OrderWriter] = weakref.WeakSet()
_HELD: list[threading.Lock] = []


def _hold_checkpoints_before_fork() -> None:
    """No fork while a checkpointer is inside SQLite: the child would inherit its locks."""
    for writer in list(_WRITERS):
        checkpointer = writer._checkpointer
        if checkpointer is not None:
            checkpointer.busy.acquire()
            _HELD.append(checkpointer.busy)


def _release_checkpoints_after_fork() -> None:
    while _HELD:
        _HELD.pop().release()


def _forget_connections_after_fork() -> None:
    _HELD.clear()  # the child's copies of those locks belong to threads it does not have
    for writer in list(_WRITERS):
        writer._after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_hold_checkpoints_before_fork,
                        after_in_parent=_release_checkpoints_after_fork,
                        after_in_child=_forget_connections_after_fork)


_ORDER_COLS = ["client_order_id", "strategy", "symbol", "side", "amount", "price", "venue",
               "reduce_only", "mode", "status", "reason", "signature",
               "last_valid_block_height", "ts_created", "ts_updated"]


def load_orders(store: Store, *, status: Iterable[str] | None = None,
                strategy: str | None = None, limit: int | None = None) -> pd.DataFrame:
    """Orders, newest first: columns as in the ``orders`` table (signed bytes left out)."""
    q = select(*[getattr(OrderRow, c) for c in _ORDER_COLS]).order_by(OrderRow.id.desc())
    if status is not None:
        q = q.where(OrderRow.status.in_([str(s) for s in status]))
    if strategy is not None:
        q = q.where(OrderRow.strategy == strategy)
    if limit is not None:
        q = q.limit(limit)
    with store.engine.connect() as conn:
        frame = _frame(conn.execute(q), _ORDER_COLS)
    return _ts_cols(frame, "ts_created", "ts_updated")


def open_orders(store: Store) -> list[dict[str, Any]]:
    """Orders not in a final state, with their signed bytes: what recovery must reconcile."""
    final = [str(s) for s in OrderStatus if s.is_final]
    with store.engine.connect() as conn:
        rows = conn.execute(select(*OrderRow.__table__.c).where(OrderRow.status.not_in(final))
                            .order_by(OrderRow.id)).mappings().all()
        return [dict(r) for r in rows]


def order_status(store: Store, client_order_id: str) -> OrderStatus | None:
    """The stored status of one order, or None when the ledger has no such order."""
    with store.engine.connect() as conn:
        value = conn.execute(select(OrderRow.status)
                             .where(OrderRow.client_order_id == client_order_id)).scalar()
    return None if value is None else OrderStatus(value)


_FILL_COLS = ["client_order_id", "symbol", "side", "base_amount", "quote_amount", "fee_lamports",
              "venue", "signature", "strategy", "ts_event"]


def load_fills(store: Store, *, symbol: str | None = None, since_ns: int | None = None,
               limit: int | None = None, client_order_id: str | None = None) -> pd.DataFrame:
    """Fills, newest first; amounts are exact Decimals, ``ts_event`` UTC."""
    q = select(*[getattr(FillRow, c) for c in _FILL_COLS]).order_by(FillRow.id.desc())
    if client_order_id is not None:
        q = q.where(FillRow.client_order_id == client_order_id)
    if symbol is not None:
        q = q.where(FillRow.symbol == symbol)
    if since_ns is not None:
        q = q.where(FillRow.ts_event >= since_ns)
    if limit is not None:
        q = q.limit(limit)
    with store.engine.connect() as conn:
        frame = _frame(conn.execute(q), _FILL_COLS)
    return _ts_cols(frame, "ts_event")


# -- positions, balances, equity --------------------------------------------------------------


def save_positions(store: Store, positions: Iterable[Mapping[str, Any]]) -> None:
    """Replace position snapshots: each mapping has strategy, symbol, quantity, avg_cost,
    realized_pnl and optional stops."""
    now = _now()
    rows = [dict(p, ts_updated=now) for p in positions]
    with store.engine.begin() as conn:
        conn.execute(delete(PositionRow))
        if rows:
            conn.execute(insert(PositionRow), rows)


def load_positions(store: Store) -> pd.DataFrame:
    """Position snapshots: strategy, symbol, quantity, avg_cost, realized_pnl, stops."""
    cols = ["strategy", "symbol", "quantity", "avg_cost", "realized_pnl", "stops", "ts_updated"]
    with store.engine.connect() as conn:
        frame = _frame(conn.execute(select(*[getattr(PositionRow, c) for c in cols])), cols)
    return _ts_cols(frame, "ts_updated")


def save_balances(store: Store, owner: str, balances: Mapping[str, tuple[int, int]], *,
                  source: str, ts: int | None = None) -> None:
    """Snapshot balances: mint -> (amount_raw, decimals), from ``source`` (chain or ledger)."""
    now = ts or _now()
    rows = [{"ts": now, "owner": owner, "mint": m, "amount_raw": Decimal(a), "decimals": d,
             "source": source} for m, (a, d) in balances.items()]
    if rows:
        with store.engine.begin() as conn:
            conn.execute(insert(BalanceSnapshot), rows)


def load_balances(store: Store, *, owner: str | None = None) -> pd.DataFrame:
    """Balance snapshots, newest first."""
    cols = ["ts", "owner", "mint", "amount_raw", "decimals", "source"]
    q = select(*[getattr(BalanceSnapshot, c) for c in cols]).order_by(BalanceSnapshot.id.desc())
    if owner is not None:
        q = q.where(BalanceSnapshot.owner == owner)
    with store.engine.connect() as conn:
        frame = _frame(conn.execute(q), cols)
    return _ts_cols(frame, "ts")


def save_equity(store: Store, *, ts: int, equity: Decimal, cash: Decimal, exposure: Decimal,
                realized_pnl: Decimal, unrealized_pnl: Decimal) -> None:
    """Add (or replace) one point of the equity curve."""
    values = {"equity": equity, "cash": cash, "exposure": exposure,
              "realized_pnl": realized_pnl, "unrealized_pnl": unrealized_pnl}
    with store.engine.begin() as conn:
        res = conn.execute(update(EquitySnapshot).where(EquitySnapshot.ts == ts).values(**values))
        if res.rowcount == 0:
            conn.execute(insert(EquitySnapshot).values(ts=ts, **values))


def load_equity(store: Store, *, since_ns: int | None = None) -> pd.DataFrame:
    """The equity curve indexed by UTC ``ts``, float columns (for plots)."""
    cols = ["ts", "equity", "cash", "exposure", "realized_pnl", "unrealized_pnl"]
    q = select(*[getattr(EquitySnapshot, c) for c in cols]).order_by(EquitySnapshot.ts)
    if since_ns is not None:
        q = q.where(EquitySnapshot.ts >= since_ns)
    with store.engine.connect() as conn:
        frame = _frame(conn.execute(q), cols)
    frame = _ts_cols(frame, "ts").set_index("ts")
    return frame.astype(float)


# -- strategies ---------------------------------------------------------------------------


def save_strategy_config(store: Store, *, name: str, kind: str, symbol: str,
                         params: Mapping[str, Any], enabled: bool = True) -> None:
    """Create or replace a strategy's configuration."""
    with store.engine.begin() as conn:
        conn.execute(delete(StrategyConfig).where(StrategyConfig.name == name))
        conn.execute(insert(StrategyConfig).values(name=name, kind=kind, symbol=symbol,
                                                   params=dict(params), enabled=enabled,
                                                   ts_updated=_now()))


def set_strategy_enabled(store: Store, name: str, enabled: bool) -> None:
    """Start or stop a strategy by name.

    Raises:
        StoreError: no strategy of that name.
    """
    with store.engine.begin() as conn:
        res = conn.execute(update(StrategyConfig).where(StrategyConfig.name == name)
                           .values(enabled=enabled, ts_updated=_now()))
    if res.rowcount == 0:
        raise StoreError(f"No strategy named {name!r}; see `workbench ctl status` for names.")


def load_strategy_configs(store: Store) -> pd.DataFrame:
    """Strategies: name, kind, symbol, params (dict), enabled, ts_updated."""
    cols = ["name", "kind", "symbol", "params", "enabled", "ts_updated"]
    with store.engine.connect() as conn:
        frame = _frame(conn.execute(select(*[getattr(StrategyConfig, c) for c in cols])
                                    .order_by(StrategyConfig.name)), cols)
    return _ts_cols(frame, "ts_updated")


# -- risk events and audit -------------------------------------------------------------------


def record_risk_event(store: Store, event: Mapping[str, Any]) -> None:
    """Persist a risk event: ts (ns, optional), kind, rule, detail, client_order_id, strategy."""
    with store.engine.begin() as conn:
        conn.execute(insert(RiskEvent).values(
            ts=int(event.get("ts") or _now()), kind=str(event["kind"]), rule=str(event["rule"]),
            detail=str(event.get("detail", "")), client_order_id=event.get("client_order_id"),
            strategy=event.get("strategy"),
        ))


def load_risk_events(store: Store, *, limit: int = 500) -> pd.DataFrame:
    """Risk events, newest first."""
    cols = ["ts", "kind", "rule", "detail", "client_order_id", "strategy"]
    q = select(*[getattr(RiskEvent, c) for c in cols]).order_by(RiskEvent.id.desc()).limit(limit)
    with store.engine.connect() as conn:
        frame = _frame(conn.execute(q), cols)
    return _ts_cols(frame, "ts")


def audit(store: Store, *, actor: str, action: str, detail: Mapping[str, Any]) -> None:
    """Append to the audit log: who did what."""
    with store.engine.begin() as conn:
        conn.execute(insert(AuditLog).values(ts=_now(), actor=actor, action=action,
                                             detail=dict(detail)))


def load_audit(store: Store, *, limit: int = 500) -> pd.DataFrame:
    """Audit log, newest first: ts, actor, action, detail."""
    cols = ["ts", "actor", "action", "detail"]
    q = select(*[getattr(AuditLog, c) for c in cols]).order_by(AuditLog.id.desc()).limit(limit)
    with store.engine.connect() as conn:
        frame = _frame(conn.execute(q), cols)
    return _ts_cols(frame, "ts")


# -- control plane and engine state ---------------------------------------------------------


def submit_command(store: Store, *, actor: str, command: str,
                   args: Mapping[str, Any] | None = None) -> int:
    """Queue a command for the engine and audit it; returns its id."""
    now = _now()
    with store.engine.begin() as conn:
        res = conn.execute(insert(ControlCommand).values(
            ts=now, actor=actor, command=command, args=dict(args or {}), status="pending"))
        conn.execute(insert(AuditLog).values(ts=now, actor=actor, action=f"command:{command}",
                                             detail=dict(args or {})))
        return int(res.inserted_primary_key[0])


def claim_commands(store: Store) -> list[dict[str, Any]]:
    """Take every pending command (marking it ``applying``) in submission order."""
    with store.engine.begin() as conn:
        rows = conn.execute(select(*ControlCommand.__table__.c)
                            .where(ControlCommand.status == "pending")
                            .order_by(ControlCommand.id).with_for_update()).mappings().all()
        out = [{"id": r["id"], "ts": r["ts"], "actor": r["actor"], "command": r["command"],
                "args": dict(r["args"])} for r in rows]
        if out:
            conn.execute(update(ControlCommand)
                         .where(ControlCommand.id.in_([r["id"] for r in out]))
                         .values(status="applying"))
    return out


def finish_command(store: Store, command_id: int, *, ok: bool, result: str = "") -> None:
    """Mark a command applied (or failed) with what happened."""
    with store.engine.begin() as conn:
        conn.execute(update(ControlCommand).where(ControlCommand.id == command_id).values(
            status="applied" if ok else "failed", ts_applied=_now(), result=result))


def load_commands(store: Store, *, limit: int = 200) -> pd.DataFrame:
    """Control commands, newest first."""
    cols = ["id", "ts", "actor", "command", "args", "status", "ts_applied", "result"]
    q = (select(*[getattr(ControlCommand, c) for c in cols])
         .order_by(ControlCommand.id.desc()).limit(limit))
    with store.engine.connect() as conn:
        frame = _frame(conn.execute(q), cols)
    return _ts_cols(frame, "ts", "ts_applied")


def set_state(store: Store, key: str, value: Mapping[str, Any]) -> None:
    """Publish engine state under ``key`` (heartbeat, breaker, health...)."""
    with store.engine.begin() as conn:
        res = conn.execute(update(EngineState).where(EngineState.key == key)
                           .values(value=dict(value), ts_updated=_now()))
        if res.rowcount == 0:
            conn.execute(insert(EngineState).values(key=key, value=dict(value),
                                                    ts_updated=_now()))


def get_state(store: Store, key: str) -> dict[str, Any] | None:
    """Engine state under ``key`` with its ``ts_updated`` (ns), or None."""
    with store.engine.connect() as conn:
        row = conn.execute(select(EngineState.value, EngineState.ts_updated)
                           .where(EngineState.key == key)).first()
        if row is None:
            return None
        return {**row[0], "ts_updated": row[1]}


# -- job runs -------------------------------------------------------------------------------


def start_job_run(store: Store, *, run_id: str, job: str, params: Mapping[str, Any],
                  notebook_path: str | None = None, attempt: int = 1) -> None:
    """Record that a job run started."""
    with store.engine.begin() as conn:
        conn.execute(insert(JobRun).values(run_id=run_id, job=job, status="running",
                                           params=dict(params), started=_now(),
                                           notebook_path=notebook_path, attempt=attempt))


def finish_job_run(store: Store, run_id: str, *, status: str, error: str | None = None,
                   metrics: Mapping[str, Any] | None = None) -> None:
    """Record a run's end: status (succeeded, failed, timeout), error, scraped metrics."""
    now = _now()
    with store.engine.begin() as conn:
        started = conn.execute(select(JobRun.started).where(JobRun.run_id == run_id)).scalar()
        if started is None:
            raise StoreError(f"No job run {run_id!r} to finish.")
        conn.execute(update(JobRun).where(JobRun.run_id == run_id).values(
            status=status, finished=now, duration_s=(now - started) / 1e9, error=error,
            metrics=dict(metrics) if metrics is not None else None))


def load_job_runs(store: Store, *, job: str | None = None, status: str | None = None,
                  limit: int = 200) -> pd.DataFrame:
    """Job runs, newest first; ``status`` picks e.g. only ``failed`` runs."""
    cols = ["run_id", "job", "status", "params", "started", "finished", "duration_s", "error",
            "notebook_path", "metrics", "attempt"]
    q = select(*[getattr(JobRun, c) for c in cols]).order_by(JobRun.started.desc()).limit(limit)
    if job is not None:
        q = q.where(JobRun.job == job)
    if status is not None:
        q = q.where(JobRun.status == status)
    with store.engine.connect() as conn:
        frame = _frame(conn.execute(q), cols)
    return _ts_cols(frame, "started", "finished")


# -- model registry ---------------------------------------------------------------------------


def register_model(store: Store, *, name: str, path: str, features: list[str],
                   params: Mapping[str, Any], metrics: Mapping[str, Any], fingerprint: str,
                   train_start: int | None = None, train_end: int | None = None) -> int:
    """Register a new version of ``name``; returns the version number (1, 2, ...)."""
    with store.engine.begin() as conn:
        last = conn.execute(select(func.max(ModelVersion.version))
                            .where(ModelVersion.name == name)).scalar() or 0
        version = int(last) + 1
        conn.execute(insert(ModelVersion).values(
            name=name, version=version, path=path, features=list(features), params=dict(params),
            metrics=dict(metrics), fingerprint=fingerprint, train_start=train_start,
            train_end=train_end, status="candidate", ts_created=_now()))
    return version


def set_model_status(store: Store, name: str, version: int, status: str, reason: str) -> None:
    """Promote (``production``), retire or reject a model version, recording why."""
    with store.engine.begin() as conn:
        if status == "production":
            conn.execute(update(ModelVersion).where(ModelVersion.name == name,
                                                    ModelVersion.status == "production")
                         .values(status="retired"))
        res = conn.execute(update(ModelVersion).where(ModelVersion.name == name,
                                                      ModelVersion.version == version)
                           .values(status=status, reason=reason))
    if res.rowcount == 0:
        raise StoreError(f"No model {name!r} version {version} in the registry.")


def load_models(store: Store, *, name: str | None = None) -> pd.DataFrame:
    """Registered models, newest first."""
    cols = ["name", "version", "path", "features", "params", "metrics", "fingerprint",
            "train_start", "train_end", "status", "reason", "ts_created"]
    q = select(*[getattr(ModelVersion, c) for c in cols]).order_by(ModelVersion.id.desc())
    if name is not None:
        q = q.where(ModelVersion.name == name)
    with store.engine.connect() as conn:
        frame = _frame(conn.execute(q), cols)
    return _ts_cols(frame, "ts_created")

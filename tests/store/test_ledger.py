"""Ledger repository functions on both backends."""

from __future__ import annotations

from decimal import Decimal

import pytest

from workbench.domain import Fill, Order, OrderStatus, Side
from workbench.errors import StoreError
from workbench.store import Store
from workbench.store import ledger as L


def _order(cid: str = "wb-1", amount: str = "1.234567891") -> Order:
    return Order(client_order_id=cid, strategy="grid", symbol="SOL/USDC", side=Side.BUY,
                 amount=Decimal(amount), price=Decimal("145.12"), ts_init=1_700_000_000_000_000_000)


def test_order_lifecycle_keeps_exact_amounts_and_signed_bytes(store: Store) -> None:
    """An order's intent, signed bytes and status survive exactly; Decimals are not rounded."""
    L.save_order(store, _order())
    L.set_order_status(store, "wb-1", OrderStatus.SUBMITTED, signature="5ig", signed_tx=b"\x01\x02",
                       last_valid_block_height=123)
    [pending] = L.open_orders(store)
    assert pending["signed_tx"] == b"\x01\x02" and pending["last_valid_block_height"] == 123
    assert pending["amount"] == Decimal("1.234567891")
    L.set_order_status(store, "wb-1", OrderStatus.FILLED)
    assert L.open_orders(store) == []
    assert L.order_status(store, "wb-1") is OrderStatus.FILLED
    assert L.order_status(store, "nope") is None
    frame = L.load_orders(store)
    assert frame.loc[0, "status"] == "filled" and frame.loc[0, "signature"] == "5ig"


def test_duplicate_client_order_id_is_refused(store: Store) -> None:
    """The same client order id cannot be recorded twice."""
    L.save_order(store, _order())
    with pytest.raises(StoreError, match="already in the ledger"):
        L.save_order(store, _order())
    with pytest.raises(StoreError, match="No order 'nope'"):
        L.set_order_status(store, "nope", OrderStatus.FILLED)


def test_fills_are_idempotent_and_newest_first(store: Store) -> None:
    """Re-recording a fill with the same signature is a no-op; fills list newest first."""
    for i in range(3):
        fill = Fill(client_order_id=f"wb-{i}", symbol="SOL/USDC", side=Side.SELL,
                    base_amount=Decimal("0.5"), quote_amount=Decimal("72.56"), fee_lamports=5000,
                    venue="local", signature=f"sig{i}", ts_event=i)
        assert L.save_fill(store, fill, strategy="grid") is True
    assert L.save_fill(store, fill) is False
    frame = L.load_fills(store)
    assert list(frame["client_order_id"]) == ["wb-2", "wb-1", "wb-0"]
    assert list(L.load_fills(store, client_order_id="wb-1")["signature"]) == ["sig1"]
    assert frame.loc[0, "quote_amount"] == Decimal("72.56")


def test_control_commands_are_claimed_once_and_audited(store: Store) -> None:
    """A submitted command is audited, claimed exactly once, and marked applied."""
    cid = L.submit_command(store, actor="alice", command="stop_strategy", args={"name": "grid"})
    claimed = L.claim_commands(store)
    assert [c["id"] for c in claimed] == [cid] and claimed[0]["args"] == {"name": "grid"}
    assert L.claim_commands(store) == []
    L.finish_command(store, cid, ok=True, result="stopped")
    cmds = L.load_commands(store)
    assert cmds.loc[0, "status"] == "applied"
    audit = L.load_audit(store)
    assert audit.loc[0, "actor"] == "alice" and audit.loc[0, "action"] == "command:stop_strategy"


def test_strategy_configs_and_state(store: Store) -> None:
    """Strategies can be stopped by name; engine state is a JSON value with its update time."""
    L.save_strategy_config(store, name="grid-sol", kind="grid", symbol="SOL/USDC",
                           params={"levels": 10})
    L.set_strategy_enabled(store, "grid-sol", False)
    frame = L.load_strategy_configs(store)
    assert not frame.loc[0, "enabled"] and frame.loc[0, "params"] == {"levels": 10}
    with pytest.raises(StoreError, match="No strategy named 'x'"):
        L.set_strategy_enabled(store, "x", True)
    L.set_state(store, "breaker", {"state": "ACTIVE"})
    L.set_state(store, "breaker", {"state": "HALTED"})
    state = L.get_state(store, "breaker")
    assert state is not None and state["state"] == "HALTED" and state["ts_updated"] > 0
    assert L.get_state(store, "missing") is None


def test_risk_events_equity_and_job_runs(store: Store) -> None:
    """Risk events, the equity curve and job runs read back as frames."""
    L.record_risk_event(store, {"kind": "rejection", "rule": "MAX_ORDER_NOTIONAL",
                                "detail": "notional 2000 > 1000", "client_order_id": "wb-1"})
    assert L.load_risk_events(store).loc[0, "rule"] == "MAX_ORDER_NOTIONAL"
    for ts, eq in ((2, "101.5"), (1, "100")):
        L.save_equity(store, ts=ts, equity=Decimal(eq), cash=Decimal(eq), exposure=Decimal(0),
                      realized_pnl=Decimal(0), unrealized_pnl=Decimal(0))
    assert list(L.load_equity(store)["equity"]) == [100.0, 101.5]
    L.start_job_run(store, run_id="r1", job="report", params={"days": 1})
    L.finish_job_run(store, "r1", status="failed", error="boom", metrics={"x": 1})
    runs = L.load_job_runs(store)
    assert runs.loc[0, "status"] == "failed" and runs.loc[0, "duration_s"] >= 0
    L.start_job_run(store, run_id="r2", job="report", params={"days": 1})
    L.finish_job_run(store, "r2", status="succeeded")
    assert list(L.load_job_runs(store, status="failed")["run_id"]) == ["r1"]
    assert list(L.load_job_runs(store, status="succeeded")["run_id"]) == ["r2"]


def test_model_registry_versions_and_promotion(store: Store) -> None:
    """Versions count up per name; promoting one retires the previous production version."""
    kw = {"path": "p", "features": ["r1"], "params": {}, "metrics": {"sharpe": 1.0},
          "fingerprint": "f"}
    assert L.register_model(store, name="m", **kw) == 1
    assert L.register_model(store, name="m", **kw) == 2
    L.set_model_status(store, "m", 1, "production", "first")
    L.set_model_status(store, "m", 2, "production", "better OOS sharpe")
    frame = L.load_models(store, name="m").set_index("version")
    assert frame.loc[1, "status"] == "retired" and frame.loc[2, "status"] == "production"


def test_positions_and_balances(store: Store) -> None:
    """Position snapshots replace the previous set; balances keep their raw integers exactly."""
    L.save_positions(store, [{"strategy": "grid", "symbol": "SOL/USDC", "quantity": Decimal("2"),
                              "avg_cost": Decimal("140.5"), "realized_pnl": Decimal("0"),
                              "stops": None}])
    assert L.load_positions(store).loc[0, "avg_cost"] == Decimal("140.5")
    L.save_balances(store, "owner1", {"mintA": (123456789012345678, 9)}, source="chain")
    assert L.load_balances(store).loc[0, "amount_raw"] == Decimal(123456789012345678)


# -- OrderWriter: the executor's path ---------------------------------------------------------


def _fill(cid: str, venue: str | None = "local:a", sig: str = "5ig") -> Fill:
    return Fill(client_order_id=cid, symbol="SOL/USDC", side=Side.BUY,
                base_amount=Decimal("0.664558068"), quote_amount=Decimal("100.000001"),
                fee_lamports=5000, venue=venue, signature=sig,  # type: ignore[arg-type]
                ts_event=7)


def test_order_writer_stores_an_intent_as_one_submitted_row(store: Store) -> None:
    """The writer's row is committed on return (read here through the store's own engine) and
    reads back exactly as the SQLAlchemy writers' rows do."""
    writer = L.OrderWriter(store)
    order = Order(client_order_id="wb-1", strategy="grid", symbol="SOL/USDC", side=Side.SELL,
                  amount=Decimal("1.234567891"), price=Decimal("145.12"), venue="local:a",
                  reduce_only=True, ts_init=1_700_000_000_000_000_000)
    writer.insert_order(order, status=OrderStatus.SUBMITTED, mode="live", reason="attempt 1",
                        signature="5ig", signed_tx=b"\x01\x02", last_valid_block_height=123)
    [row] = L.open_orders(store)
    assert (row["status"], row["signed_tx"], row["signature"], row["last_valid_block_height"]) \
        == ("submitted", b"\x01\x02", "5ig", 123)
    assert (row["amount"], row["price"], row["side"], row["mode"], row["reason"]) == (
        Decimal("1.234567891"), Decimal("145.12"), "sell", "live", "attempt 1")
    assert row["reduce_only"] is True and row["ts_created"] == 1_700_000_000_000_000_000
    with pytest.raises(StoreError, match="already in the ledger"):
        writer.insert_order(order, status=OrderStatus.SUBMITTED)
    writer.set_status("wb-1", OrderStatus.EXPIRED, reason="blockhash expired")
    frame = L.load_orders(store)
    assert (frame.loc[0, "status"], frame.loc[0, "reason"], frame.loc[0, "signature"]) == (
        "expired", "blockhash expired", "5ig")  # None keeps the signature
    with pytest.raises(StoreError, match="No order 'nope'"):
        writer.set_status("nope", OrderStatus.FILLED)
    writer.close()
    L.save_order(store, _order("wb-2"))  # the store's own writers are unaffected
    writer.set_status("wb-2", OrderStatus.REJECTED)  # a closed writer reconnects
    assert L.order_status(store, "wb-2") is OrderStatus.REJECTED
    writer.close()


def test_order_writer_books_fills_and_filled_in_one_transaction(store: Store) -> None:
    """Fills and the FILLED status commit together; a replay stores nothing twice; a fill the
    database refuses leaves neither the other fills nor the status behind."""
    writer = L.OrderWriter(store)
    for cid in ("wb-1", "wb-2"):
        writer.insert_order(_order(cid), status=OrderStatus.SUBMITTED, signature="5ig",
                            signed_tx=b"\x01", last_valid_block_height=9)
    legs = [_fill("wb-1", "local:a"), _fill("wb-1", "local:b")]
    assert writer.save_fills("wb-1", legs, strategy="grid", signature="5ig") == ([True, True], True)
    assert L.order_status(store, "wb-1") is OrderStatus.FILLED
    assert writer.save_fills("wb-1", legs, strategy="grid", signature="5ig") == (
        [False, False], True)
    fills = L.load_fills(store, client_order_id="wb-1")
    assert sorted(fills["venue"]) == ["local:a", "local:b"] and set(fills["strategy"]) == {"grid"}
    assert fills.iloc[0]["quote_amount"] == Decimal("100.000001")

    # venue=None breaks the fills table's NOT NULL: the database itself refuses the second row
    with pytest.raises(StoreError, match="nothing was stored"):
        writer.save_fills("wb-2", [_fill("wb-2", sig="6ig"), _fill("wb-2", None, sig="6ig")],
                          signature="6ig")
    assert L.load_fills(store, client_order_id="wb-2").empty
    assert L.order_status(store, "wb-2") is OrderStatus.SUBMITTED
    assert writer.save_fills("wb-2", [_fill("wb-2", sig="6ig")], signature="6ig") == ([True], True)
    # a fill of an order with no row is kept (the chain moved the tokens); no row was marked
    assert writer.save_fills("ghost", [_fill("ghost")]) == ([True], False)
    assert L.order_status(store, "ghost") is None and len(L.load_fills(store)) == 4
    writer.close()


def test_order_writer_on_in_memory_sqlite() -> None:
    """An in-memory database is one pooled connection: the writer writes into that one."""
    from workbench.store import open_store

    store = open_store("sqlite://")
    store.upgrade()
    writer = L.OrderWriter(store)
    writer.insert_order(_order(), status=OrderStatus.SUBMITTED, signature="5ig",
                        signed_tx=b"\x01", last_valid_block_height=9)
    writer.save_fills("wb-1", [_fill("wb-1")], signature="5ig")
    assert L.order_status(store, "wb-1") is OrderStatus.FILLED
    assert len(L.load_fills(store)) == 1
    writer.close()
    store.dispose()


def test_order_writer_checkpoints_the_wal_off_the_order_path(tmp_path) -> None:
    """The writer's commits never checkpoint (its connection has wal_autocheckpoint=0); its
    checkpointer thread copies the WAL into the database file."""
    import sqlite3

    from workbench.store import open_store

    path = tmp_path / "ledger.db"
    store = open_store(f"sqlite:///{path}")
    store.upgrade()
    writer = L.OrderWriter(store)
    for i in range(300):
        writer.insert_order(_order(f"wb-{i}"), status=OrderStatus.SUBMITTED, signature=f"s{i}",
                            signed_tx=b"\x01" * 600, last_valid_block_height=9)
        writer.save_fills(f"wb-{i}", [_fill(f"wb-{i}", sig=f"s{i}")], signature=f"s{i}")
    assert writer._conn.execute("PRAGMA wal_autocheckpoint").fetchone() == (0,)
    checkpointer = writer._checkpointer  # the thread under test; its last checkpoint, then end
    assert checkpointer is not None
    checkpointer.stop()
    checkpointer.join()
    # The writer's connection is still open (closing the last connection would checkpoint
    # too), so only the thread can have copied the rows into the file. immutable=1 reads the
    # main database file alone, ignoring the WAL.
    main_file = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
    try:
        assert main_file.execute("SELECT count(*) FROM orders WHERE status = 'filled'"
                                 ).fetchone() == (300,)
        assert main_file.execute("SELECT count(*) FROM fills").fetchone() == (300,)
    finally:
        main_file.close()
    writer.close()
    store.dispose()


@pytest.mark.integration
def test_order_writer_replaces_a_connection_the_server_dropped(pg_store: Store) -> None:
    """The server ends the writer's session (as a restart would): the next writes reconnect
    and succeed once each, nothing doubled."""
    writer = L.OrderWriter(pg_store)
    writer.insert_order(_order("wb-1"), status=OrderStatus.ACCEPTED)
    pid = writer._conn.info.backend_pid  # the writer's own session, to end it from outside
    with pg_store.engine.begin() as conn:
        assert conn.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid)})").scalar()
    writer.set_status("wb-1", OrderStatus.SUBMITTED, signature="5ig", signed_tx=b"\x01",
                      last_valid_block_height=9)
    assert writer._conn.info.backend_pid != pid
    pid = writer._conn.info.backend_pid
    with pg_store.engine.begin() as conn:
        conn.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid)})")
    assert writer.save_fills("wb-1", [_fill("wb-1")], signature="5ig") == ([True], True)
    pid = writer._conn.info.backend_pid
    with pg_store.engine.begin() as conn:
        conn.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid)})")
    writer.insert_order(_order("wb-2"), status=OrderStatus.SUBMITTED, signature="6ig",
                        signed_tx=b"\x02", last_valid_block_height=9)
    assert L.order_status(pg_store, "wb-1") is OrderStatus.FILLED
    assert L.order_status(pg_store, "wb-2") is OrderStatus.SUBMITTED
    assert len(L.load_fills(pg_store)) == 1
    writer.close()


def test_only_fill_commits_skip_the_wal_flush_on_postgresql(pg_store: Store) -> None:
    """Fills (which the chain can give again) commit without waiting for the WAL flush; the
    setting is local to that transaction, so the next intent commits durably again."""
    writer = L.OrderWriter(pg_store)
    writer.insert_order(_order("wb-1"), status=OrderStatus.SUBMITTED, signature="5ig",
                        signed_tx=b"\x01", last_valid_block_height=9)
    seen: list[str] = []
    real = writer._exec

    def spy(conn, sql, params):  # type: ignore[no-untyped-def]
        seen.append(conn.execute("SHOW synchronous_commit").fetchone()[0])
        return real(conn, sql, params)

    writer._exec = spy  # type: ignore[method-assign]
    assert writer.save_fills("wb-1", [_fill("wb-1")], signature="5ig") == ([True], True)
    writer.insert_order(_order("wb-2"), status=OrderStatus.SUBMITTED, signature="6ig",
                        signed_tx=b"\x02", last_valid_block_height=9)
    assert seen == ["off", "off", "on"]  # fill, FILLED, then the next intent
    writer.close()


def test_order_writer_leaves_its_connection_to_the_parent_after_fork(store: Store) -> None:
    """A forked child that closes its copy of a writer neither uses nor closes the parent's
    connection: the parent goes on writing on the same session."""
    import os

    writer = L.OrderWriter(store)
    writer.insert_order(_order("wb-1"), status=OrderStatus.ACCEPTED)
    session = writer._conn.info.backend_pid if store.backend == "postgresql" else None
    pid = os.fork()
    if pid == 0:  # child: close the inherited writer, as a finalizer would
        code = 1
        try:
            writer.close()
            code = 0 if writer._conn is None else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    writer.set_status("wb-1", OrderStatus.SUBMITTED, signature="5ig", signed_tx=b"\x01",
                      last_valid_block_height=9)
    if session is not None:  # the same server session: nothing ended it
        assert writer._conn.info.backend_pid == session
    assert L.order_status(store, "wb-1") is OrderStatus.SUBMITTED
    writer.close()

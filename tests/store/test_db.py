"""Opening, migrating and refusing databases."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import text

from workbench.errors import SchemaVersionError, StoreError
from workbench.store import Store, open_store
from workbench.store.models import Base


def test_upgrade_creates_every_table(store: Store) -> None:
    """A migrated database holds every table the models declare, at the head revision."""
    status = store.status()
    assert status.is_current
    assert set(Base.metadata.tables) <= set(store.table_names())


def test_upgrade_is_idempotent(store: Store) -> None:
    """Running the migration twice changes nothing and keeps the head revision."""
    first = store.status()
    second = store.upgrade()
    assert first == second


def test_models_match_migrations(store: Store) -> None:
    """Alembic autogenerate finds no difference between the models and the migrated schema."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_newer_schema_is_refused_and_left_untouched(store: Store) -> None:
    """A database stamped by newer code is refused with a clear message, and not modified."""
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
        conn.execute(text("INSERT INTO audit_log (ts, actor, action, detail) "
                          "VALUES (1, 'me', 'x', '{}')"))
    with pytest.raises(SchemaVersionError, match=r"'9999'.*Upgrade the workbench"):
        store.upgrade()
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "9999"
        assert conn.execute(text("SELECT COUNT(*) FROM audit_log")).scalar() == 1


def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    """The embedded SQLite ledger uses WAL so readers do not block the engine."""
    st = open_store(f"sqlite:///{tmp_path / 'w.db'}")
    st.upgrade()
    with st.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_read_only_data_dir_is_refused(tmp_path: Path) -> None:
    """A read-only data directory gives a StoreError naming it, and no file is created."""
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        if os.access(ro, os.W_OK):  # root ignores mode bits; emulate with a file in the way
            ro.chmod(0o755)
            blocker = tmp_path / "blocked"
            blocker.write_text("a file, not a directory")
            with pytest.raises(StoreError, match="Cannot create the data directory"):
                open_store(f"sqlite:///{blocker / 'sub' / 'w.db'}")
        else:
            with pytest.raises(StoreError, match="read-only"):
                open_store(f"sqlite:///{ro / 'w.db'}")
            assert list(ro.iterdir()) == []
    finally:
        ro.chmod(0o755)


def test_malformed_url_is_refused() -> None:
    """A malformed URL names the expected forms."""
    with pytest.raises(StoreError, match="malformed"):
        open_store("not a url at all")


@pytest.mark.integration
def test_unreachable_postgres_gives_clear_error() -> None:
    """An unreachable server gives a StoreError telling the user what to check."""
    st = open_store("postgresql+psycopg://nobody@127.0.0.1:1/none")
    with pytest.raises(StoreError, match=r"Cannot reach the database.*WORKBENCH_DATABASE__URL"):
        st.upgrade()


def test_repr_hides_password() -> None:
    """The store's repr and url never show the database password."""
    st = open_store("postgresql+psycopg://user:hunter2@127.0.0.1:1/db")
    assert "hunter2" not in repr(st)
    assert "hunter2" not in st.url


@pytest.mark.integration
def test_timescaledb_hypertable_when_available(pg_store: Store) -> None:
    """On PostgreSQL with TimescaleDB, candles is a hypertable; otherwise a plain indexed table."""
    st = pg_store
    with st.engine.connect() as conn:
        available = conn.exec_driver_sql(
            "SELECT 1 FROM pg_available_extensions WHERE name='timescaledb'").scalar()
        pk = conn.exec_driver_sql(
            "SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = 'candles'::regclass "
            "AND indisprimary").scalar()
    assert "(series_id, ts)" in pk
    if not available:
        print("SKIP: the TimescaleDB extension is not installed on this PostgreSQL server; "
              "candles stays a plain table with its (series_id, ts) primary key")
        assert st.status().timescaledb is False
        pytest.skip("TimescaleDB extension not installed on this server (plain table checked)")
    assert st.status().timescaledb is True


def test_migrations_upgrade_from_first_revision(tmp_path: Path) -> None:
    """A database created at revision 0001 with data in it upgrades to head keeping its rows."""
    from alembic import command

    from workbench.store.db import _alembic_config

    st = open_store(f"sqlite:///{tmp_path / 'old.db'}")
    cfg = _alembic_config()
    with st.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
    with st.engine.begin() as conn:
        conn.execute(text("INSERT INTO audit_log (ts, actor, action, detail) "
                          "VALUES (1, 'me', 'x', '{}')"))
    assert not st.status().is_current
    assert st.upgrade().is_current
    with st.engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM audit_log")).scalar() == 1

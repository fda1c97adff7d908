"""Shared fixtures: the ledger store on SQLite and on the real PostgreSQL server."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from workbench.samples import load_sample
from workbench.store import Store, open_store

PG_URL = os.environ.get("WORKBENCH_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _pg_reachable() -> str | None:
    """None when PostgreSQL answers, else the reason it does not."""
    import psycopg

    try:
        with psycopg.connect(PG_URL.replace("+psycopg", ""), connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:  # any failure is reported as the skip reason
        return f"PostgreSQL at {PG_URL} is not reachable: {exc}".strip()
    return None


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A URL to a fresh schema of the real PostgreSQL server, dropped after the session."""
    reason = _pg_reachable()
    if reason:
        print(f"SKIP PostgreSQL backend: {reason}")
        pytest.skip(reason)
    import psycopg

    schema = f"wb_test_{uuid.uuid4().hex[:10]}"
    base = PG_URL.replace("+psycopg", "")
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def _fresh_pg_store(pg_url: str) -> Store:
    store = open_store(pg_url)
    with store.engine.begin() as conn:
        schema = conn.exec_driver_sql("SELECT current_schema()").scalar()
        conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    return store


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A migrated, empty ledger store on each backend."""
    if request.param == "sqlite":
        st = open_store(f"sqlite:///{tmp_path / 'workbench.db'}")
    else:
        st = _fresh_pg_store(request.getfixturevalue("pg_url"))
    st.upgrade()
    yield st
    st.dispose()


@pytest.fixture
def pg_store(pg_url: str) -> Iterator[Store]:
    """A migrated, empty ledger store on the real PostgreSQL server only."""
    st = _fresh_pg_store(pg_url)
    st.upgrade()
    yield st
    st.dispose()


@pytest.fixture(scope="session")
def sol_5m() -> pd.DataFrame:
    """2,000 real SOL/USDT 5m bars from the shipped sample (Binance 2024, data/sample/)."""
    return load_sample("SOL/USDT", "5m").iloc[10_000:12_000]

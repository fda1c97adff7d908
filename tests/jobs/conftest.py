"""Job fixtures: the workbench kernel, isolated settings and a migrated SQLite store."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from workbench import load_settings
from workbench.config import Settings
from workbench.store import Store, open_store

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def workbench_kernel() -> str:
    """Install the workbench kernel into this environment (kernels inherit our environment)."""
    os.environ.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".cache" / "numba"))
    done = subprocess.run([sys.executable, "-m", "workbench.kernelspec", "install"],
                          capture_output=True, text=True, check=True)
    assert "installed" in done.stdout
    return "workbench"


@pytest.fixture
def job_settings(tmp_path: Path) -> Settings:
    """Settings with their own data directory and SQLite ledger; no retries by default."""
    return load_settings(data={"dir": tmp_path / "data"},
                         database={"url": f"sqlite:///{tmp_path / 'ledger.db'}"},
                         jobs={"retries": 0, "timeout_s": 120})


@pytest.fixture
def job_store(job_settings: Settings) -> Store:
    """The migrated ledger of ``job_settings``."""
    store = open_store(job_settings)
    store.upgrade()
    return store


def fixture_nb(name: str) -> Path:
    """Path of a tiny job notebook in tests/jobs/fixtures."""
    return FIXTURES / f"{name}.ipynb"

"""Static checks: the import-layer contract holds and ruff is clean."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_layers_are_kept() -> None:
    """`lint-imports` reports the layers contract kept."""
    exe = Path(sys.executable).with_name("lint-imports")
    out = subprocess.run([str(exe)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert "Contracts: 1 kept, 0 broken." in out.stdout


def test_ruff_is_clean() -> None:
    """`ruff check` passes on the package, tests, benchmarks, dashboards, notebooks and scripts."""
    exe = Path(sys.executable).with_name("ruff")
    out = subprocess.run([str(exe), "check", "--output-format", "concise", "workbench", "tests",
                          "benchmarks", "dashboards", "notebooks", "scripts"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]

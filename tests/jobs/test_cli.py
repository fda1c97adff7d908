"""``workbench jobs``: run with -p pairs and grids, list, show, params; errors in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.jobs.conftest import fixture_nb
from workbench.cli import main


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("WORKBENCH_DATA__DIR", str(tmp_path / "data"))
    monkeypatch.setenv("WORKBENCH_DATABASE__URL", f"sqlite:///{tmp_path / 'ledger.db'}")
    monkeypatch.setenv("WORKBENCH_JOBS__RETRIES", "0")
    return tmp_path


@pytest.mark.integration
def test_run_list_show(workbench_kernel: str, cli_env: Path,
                       capsys: pytest.CaptureFixture[str]) -> None:
    """A run with -p pairs succeeds and shows its metrics; list and show find it."""
    assert main(["jobs", "run", str(fixture_nb("ok")), "-p", "x", "5", "-p", "label", "z"]) == 0
    out = capsys.readouterr().out
    run_id = out.split()[0]
    assert run_id.startswith("ok-") and "succeeded" in out and '"x2": 10' in out
    assert main(["jobs", "list"]) == 0
    assert run_id in capsys.readouterr().out
    assert main(["jobs", "show", run_id]) == 0
    shown = capsys.readouterr().out
    assert "status    succeeded" in shown and '"label": "z"' in shown


@pytest.mark.integration
def test_failed_and_rejected_runs_exit_nonzero_with_one_line(
        workbench_kernel: str, cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A failing cell and a bad parameter both exit 1 with the reason; both are listed."""
    assert main(["jobs", "run", str(fixture_nb("fail"))]) == 1
    err = capsys.readouterr().err
    assert "failed: ValueError: boom: x=1" in err
    assert main(["jobs", "run", "daily_report", "-p", "nope", "1"]) == 1
    assert "Job 'daily_report' has no parameter 'nope'" in capsys.readouterr().err
    assert main(["jobs", "list", "--status", "failed"]) == 0
    listed = capsys.readouterr().out.strip().splitlines()
    assert len(listed) == 2 and all(" failed " in line for line in listed)


@pytest.mark.integration
def test_grid_runs_a_batch(workbench_kernel: str, cli_env: Path,
                           capsys: pytest.CaptureFixture[str]) -> None:
    """-g runs every value; each run is printed."""
    assert main(["jobs", "run", str(fixture_nb("ok")), "-g", "x", "1,2"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and all("succeeded" in line for line in lines)


def test_argument_errors(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A -p without a value, or no job name, is a config error (exit 2)."""
    assert main(["jobs", "run", "daily_report", "-p", "day"]) == 2
    assert "-p needs a name and a value" in capsys.readouterr().err
    assert main(["jobs", "run", "-p", "day", "x"]) == 2
    assert main(["jobs", "params", "daily_report"]) == 0
    assert "day" in capsys.readouterr().out

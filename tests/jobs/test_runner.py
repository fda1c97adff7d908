"""The runner: papermill on the workbench kernel, run records, metrics, failures, timeouts.

These start real Jupyter kernels (local processes talking over loopback), so they are
integration tests; each tiny fixture notebook runs in a few seconds.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import nbformat
import pytest

from tests.jobs.conftest import fixture_nb
from workbench.config import Settings
from workbench.errors import JobError
from workbench.jobs import (
    JobAlreadyRunning,
    JobLock,
    latest_run,
    load_run,
    load_runs,
    run_job,
    run_job_with_retries,
    runs_dir,
)
from workbench.store import Store

pytestmark = pytest.mark.integration


def test_successful_run_is_recorded_with_notebook_params_and_metrics(
        workbench_kernel: str, job_settings: Settings, job_store: Store) -> None:
    """Text parameters are converted, outputs land in the run dir, metrics are scraped."""
    rec = run_job(fixture_nb("ok"), {"x": "21", "label": "hi", "flag": "true"},
                  settings=job_settings, store=job_store)
    assert rec.status == "succeeded" and rec.error is None and rec.is_ok
    assert rec.job == "ok" and rec.attempt == 1 and rec.duration_s > 0
    assert rec.metrics == {"x2": 42, "label": "hi", "ratio": 0.5, "flag": True}
    run_dir = runs_dir(job_settings) / rec.run_id
    assert rec.run_dir == run_dir.resolve()
    assert (run_dir / "out.txt").read_text() == "hi:21"  # run_dir was injected
    assert json.loads((run_dir / "metrics.json").read_text()) == rec.metrics
    assert json.loads((run_dir / "params.json").read_text())["x"] == 21
    executed = nbformat.read(rec.notebook_path, as_version=4)
    assert executed.metadata.kernelspec.name == "workbench"
    assert any("injected-parameters" in c.metadata.get("tags", []) for c in executed.cells)
    assert rec.params == {"x": 21, "label": "hi", "flag": True, "run_dir": str(run_dir.resolve())}
    assert load_run(job_store, rec.run_id[:12]) == rec
    assert latest_run(job_store, "ok") == rec
    assert rec.check() is rec


def test_failing_cell_is_recorded_with_the_cells_error_and_banner(
        workbench_kernel: str, job_settings: Settings, job_store: Store) -> None:
    """The error names the exception and the cell; the saved notebook stops there."""
    rec = run_job(fixture_nb("fail"), {"x": "7"}, settings=job_settings, store=job_store)
    assert rec.status == "failed"
    assert rec.error is not None and rec.error.startswith("ValueError: boom: x=7 (cell In [")
    nb = nbformat.read(rec.notebook_path, as_version=4)
    assert nb.metadata.papermill.exception is True
    assert "papermill-error-cell-tag" in nb.cells[0].metadata.get("tags", [])
    assert nb.cells[-1].get("execution_count") is None  # the cell after the error never ran
    with pytest.raises(JobError, match=r"run .* failed: ValueError: boom: x=7") as info:
        rec.check()
    assert info.value.run_id == rec.run_id
    assert load_runs(job_store, status="failed")["run_id"].tolist() == [rec.run_id]


def test_bad_parameter_fails_fast_with_a_clear_recorded_message(
        job_settings: Settings, job_store: Store) -> None:
    """No kernel starts; the run is recorded failed with the message, and has no notebook."""
    t0 = time.monotonic()
    rec = run_job("reoptimize", {"bars": "lots"}, settings=job_settings, store=job_store)
    assert time.monotonic() - t0 < 5
    assert rec.status == "failed" and rec.notebook_path is None
    assert rec.error == ("Parameter bars='lots' of job 'reoptimize' is not a valid int "
                         "(invalid literal for int() with base 10: 'lots'); the default is 4000.")
    assert rec.params == {"bars": "lots"}
    unknown = run_job("reoptimize", {"nope": 1}, settings=job_settings, store=job_store)
    assert unknown.error.startswith("Job 'reoptimize' has no parameter 'nope'; its parameters")
    stored = load_runs(job_store, job="reoptimize")
    assert set(stored["status"]) == {"failed"} and len(stored) == 2


def test_bad_value_caught_inside_the_notebook_is_recorded(
        workbench_kernel: str, job_settings: Settings, job_store: Store) -> None:
    """A value of the right type that the package rejects fails in its cell, with its message."""
    rec = run_job("reconcile", {"mode": "live"}, settings=job_settings, store=job_store)
    assert rec.status == "failed"
    assert rec.error.startswith("ConfigError: mode='live': only 'paper' reconciliation is "
                                "available so far.")


def test_timeout_stops_the_run_and_records_it(
        workbench_kernel: str, job_settings: Settings, job_store: Store) -> None:
    """A 30 s sleep under a 4 s job timeout ends as ``timeout`` well before 30 s."""
    t0 = time.monotonic()
    rec = run_job(fixture_nb("slow"), {"seconds": 30}, settings=job_settings, store=job_store,
                  timeout_s=4)
    assert time.monotonic() - t0 < 25
    assert rec.status == "timeout"
    assert rec.error == "stopped at the job's timeout of 4 s"
    assert "stopped at its timeout of 4 s" in nbformat.read(rec.notebook_path,
                                                            as_version=4).cells[0].source


def test_retries_record_every_attempt_until_success(
        workbench_kernel: str, job_settings: Settings, job_store: Store, tmp_path: Path) -> None:
    """The flaky fixture fails once, then succeeds; both attempts are runs in the store."""
    marker = tmp_path / "marker"
    records = run_job_with_retries(fixture_nb("flaky"), {"marker": str(marker)}, retries=2,
                                   settings=job_settings, store=job_store)
    assert [(r.attempt, r.status) for r in records] == [(1, "failed"), (2, "succeeded")]
    assert records[0].error.startswith("RuntimeError: first attempt fails")
    assert records[1].metrics == {"recovered": True}
    assert len(load_runs(job_store, job="flaky")) == 2


def test_rejected_parameters_are_not_retried(job_settings: Settings, job_store: Store) -> None:
    """Retrying the same bad value is pointless: one attempt only."""
    records = run_job_with_retries("daily_report", {"day": 5}, retries=3, settings=job_settings,
                                   store=job_store)
    assert len(records) == 1 and records[0].status == "failed"


def test_a_job_already_running_is_refused_and_not_recorded(
        job_settings: Settings, job_store: Store) -> None:
    """While the job's lock is held, a second run raises and leaves no record."""
    with JobLock(runs_dir(job_settings), "ok"), pytest.raises(JobAlreadyRunning):
        run_job(fixture_nb("ok"), settings=job_settings, store=job_store)
    assert load_runs(job_store).empty


def test_missing_kernel_is_a_recorded_failure(job_settings: Settings, job_store: Store) -> None:
    """An unknown kernel fails the run with papermill's reason rather than crashing."""
    rec = run_job(fixture_nb("ok"), settings=job_settings, store=job_store,
                  kernel="no-such-kernel-xyz")
    assert rec.status == "failed" and "no-such-kernel-xyz" in rec.error


def test_unknown_run_id(job_store: Store) -> None:
    """show/load of an unknown id says how to list runs."""
    with pytest.raises(JobError, match="No run with id 'zzz'; list runs with"):
        load_run(job_store, "zzz")

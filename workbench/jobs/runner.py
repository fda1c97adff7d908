"""Run one job notebook with papermill on the workbench kernel and record the run in the store.

A run, step by step:

1. find the notebook (a name in ``notebooks/jobs/`` or a path) and take the job's lock
   (:class:`~workbench.jobs.locks.JobLock`: never two runs of one job at once);
2. check the parameters against the notebook's ``parameters`` cell; a bad name or value is
   recorded as a failed run with the message, and no kernel starts;
3. fill the context parameters the notebook declares (``run_dir``, ``database_url``,
   ``data_dir``), record the run as ``running`` and execute it into
   ``<data.dir>/runs/<run_id>/<job>.ipynb`` (papermill saves after every cell, so a crash
   leaves the notebook up to the failing cell with papermill's error banner);
4. stop it at ``timeout_s`` (one deadline for the whole run: each cell gets what is left);
5. scrape the metrics the notebook recorded (:func:`~workbench.jobs.metrics.record_metrics`),
   write ``metrics.json`` beside the notebook and finish the record with status
   ``succeeded``, ``failed`` or ``timeout``, the duration, the error and the metrics.

Run ids read ``<job>-<UTC yyyymmddTHHMMSS>-<6 hex>``: sortable, unique, and the name of the
run's directory.
"""

from __future__ import annotations

import contextlib
import json
import logging
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import nbformat
import pandas as pd
from sqlalchemy import select

from workbench.config import Settings, load_settings
from workbench.errors import JobError
from workbench.jobs.locks import JobAlreadyRunning, JobLock
from workbench.jobs.metrics import scrape_metrics, to_jsonable, write_metrics
from workbench.jobs.notebooks import (
    CONTEXT_PARAMETERS,
    JOBS_DIR,
    coerce_parameters,
    find_notebook,
    notebook_parameters,
)
from workbench.store import Store, open_store
from workbench.store.ledger import finish_job_run, load_job_runs, start_job_run
from workbench.store.models import JobRun

__all__ = [
    "RUN_STATUSES",
    "RunRecord",
    "latest_run",
    "load_run",
    "load_runs",
    "new_run_id",
    "run_job",
    "run_job_with_retries",
    "runs_dir",
]

log = logging.getLogger("workbench.jobs")

#: Status of a run -> meaning.
RUN_STATUSES: dict[str, str] = {
    "running": "started and not finished (or the runner died; its lock is free again)",
    "succeeded": "every cell ran",
    "failed": "a cell raised, the kernel died, or the parameters were rejected",
    "timeout": "stopped at the job's timeout",
}

_RECORD_COLUMNS = ["run_id", "job", "status", "params", "started", "finished", "duration_s",
                   "error", "notebook_path", "metrics", "attempt"]


@dataclass(frozen=True, slots=True, kw_only=True)
class RunRecord:
    """One run of a job as stored.

    Attributes:
        run_id: unique id, also the run's directory name.
        job: job name (notebook stem).
        status: see :data:`RUN_STATUSES`.
        params: parameters as run (after type conversion; context parameters included).
        started / finished: UTC timestamps (``finished`` None while running).
        duration_s: wall time in seconds.
        error: one-line reason for a failed or timed-out run.
        notebook_path: the executed notebook; None when no kernel was started.
        metrics: what the notebook recorded with ``record_metrics``.
        attempt: 1 for the first try, 2 for the first retry, ...
    """

    run_id: str
    job: str
    status: str
    params: dict[str, Any] = field(default_factory=dict)
    started: pd.Timestamp | None = None
    finished: pd.Timestamp | None = None
    duration_s: float | None = None
    error: str | None = None
    notebook_path: str | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    attempt: int = 1

    @property
    def run_dir(self) -> Path | None:
        """The directory holding the executed notebook and the run's outputs."""
        return Path(self.notebook_path).parent if self.notebook_path else None

    @property
    def is_ok(self) -> bool:
        """True when the run succeeded."""
        return self.status == "succeeded"

    def check(self) -> RunRecord:
        """Return self when it succeeded.

        Raises:
            JobError: the run failed or timed out (carries ``run_id``; message has the error).
        """
        if not self.is_ok:
            where = f"; notebook: {self.notebook_path}" if self.notebook_path else ""
            raise JobError(f"Job {self.job!r} run {self.run_id} {self.status}: {self.error}"
                           f"{where}", run_id=self.run_id)
        return self

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> RunRecord:
        """Build from a ``load_job_runs`` row."""
        def ts(v: Any) -> pd.Timestamp | None:
            return None if v is None or pd.isna(v) else pd.Timestamp(v)

        def text(v: Any) -> str | None:
            return v if isinstance(v, str) else None  # None or NaN from a frame

        return cls(run_id=row["run_id"], job=row["job"], status=row["status"],
                   params=dict(row["params"] or {}), started=ts(row["started"]),
                   finished=ts(row["finished"]),
                   duration_s=None if pd.isna(row["duration_s"]) else float(row["duration_s"]),
                   error=text(row["error"]), notebook_path=text(row["notebook_path"]),
                   metrics=dict(row["metrics"] or {}), attempt=int(row["attempt"] or 1))


def new_run_id(job: str, now: datetime | None = None) -> str:
    """A fresh run id for ``job`` (see the module docstring for the format)."""
    when = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S")
    return f"{job}-{when}-{secrets.token_hex(3)}"


def runs_dir(settings: Settings) -> Path:
    """``<data.dir>/runs``: where every run's directory goes."""
    return Path(settings.data.dir) / "runs"


def load_runs(store: Store, *, job: str | None = None, status: str | None = None,
              limit: int = 50) -> pd.DataFrame:
    """Recorded runs, newest first (columns as ``RunRecord`` fields)."""
    frame = load_job_runs(store, job=job, limit=limit if status is None else 100_000)
    if status is not None:
        frame = frame[frame["status"] == status].head(limit).reset_index(drop=True)
    return frame


def load_run(store: Store, run_id: str) -> RunRecord:
    """One recorded run.

    Raises:
        JobError: no run with that id (a prefix of one id is accepted).
    """
    cols = [getattr(JobRun, c) for c in _RECORD_COLUMNS]
    with store.engine.connect() as conn:
        rows = conn.execute(select(*cols).where(JobRun.run_id.startswith(run_id, autoescape=True))
                            .limit(2)).all()
    if len(rows) != 1:
        what = "No run" if not rows else "More than one run"
        raise JobError(f"{what} with id {run_id!r}; list runs with `workbench jobs list`.",
                       run_id=run_id)
    row = dict(zip(_RECORD_COLUMNS, rows[0], strict=True))
    for name in ("started", "finished"):
        if row[name] is not None:
            row[name] = pd.Timestamp(row[name], unit="ns", tz="UTC")
    return RunRecord.from_row(row)


def latest_run(store: Store, job: str, *, status: str | None = "succeeded") -> RunRecord | None:
    """The newest run of ``job`` (with ``status``, None for any), or None."""
    frame = load_runs(store, job=job, status=status, limit=1)
    return None if frame.empty else RunRecord.from_row(frame.iloc[0].to_dict())


def _timeout_func(deadline: float | None) -> Any:
    if deadline is None:
        return None

    def remaining(_cell: Any) -> float:
        # nbclient treats 0 as "no timeout", so an expired deadline still gets a tiny positive one
        return max(deadline - time.monotonic(), 0.01)

    return remaining


def _mark_timeout(path: Path, timeout_s: float) -> None:
    if not path.exists():
        return
    nb = nbformat.read(str(path), as_version=4)
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(
        f'<span style="color:red; font-size:2em">The job was stopped at its timeout of '
        f"{timeout_s:g} s.</span>"))
    nbformat.write(nb, str(path))


def _execute(source: Path, output: Path, params: dict[str, Any], *, kernel: str,
             timeout_s: float | None) -> tuple[str, str | None]:
    """Run papermill; (status, error)."""
    import papermill as pm
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    extra: dict[str, Any] = {}
    if deadline is not None:
        extra = {"timeout_func": _timeout_func(deadline), "shutdown_kernel": "immediate"}
    try:
        pm.execute_notebook(str(source), str(output), parameters=params, kernel_name=kernel,
                            progress_bar=False, log_output=False, start_timeout=120, **extra)
    except PapermillExecutionError as exc:
        return "failed", f"{exc.ename}: {exc.evalue} (cell In [{exc.exec_count}])"
    except CellTimeoutError:
        _mark_timeout(output, float(timeout_s or 0))
        return "timeout", f"stopped at the job's timeout of {timeout_s:g} s"
    except DeadKernelError as exc:
        return "failed", f"the kernel died: {exc}"
    except Exception as exc:  # no such kernel, unreadable notebook, ...: record, don't crash
        return "failed", f"{type(exc).__name__}: {exc}"
    return "succeeded", None


def run_job(
    job: str | Path,
    params: Mapping[str, Any] | None = None,
    *,
    settings: Settings | None = None,
    store: Store | None = None,
    run_id: str | None = None,
    attempt: int = 1,
    timeout_s: float | None = None,
    kernel: str | None = None,
    jobs_dir: Path = JOBS_DIR,
    exclusive: bool = True,
) -> RunRecord:
    """Execute one job notebook and record the run (see the module docstring).

    A failing notebook is a recorded result, not an exception: check ``record.status`` or
    call ``record.check()``.

    Args:
        job: job name (``notebooks/jobs/<job>.ipynb``) or a path to a notebook.
        params: parameter values; text is converted to the declared types.
        settings: data directory, database, kernel and timeout (default: ``load_settings()``).
        store: the ledger (default: opened from ``settings``; it must be migrated).
        run_id: use this id instead of a fresh one.
        attempt: attempt number to record (the retry loop sets it).
        timeout_s: stop the run after this long (default ``settings.jobs.timeout_s``).
        kernel: Jupyter kernel (default ``settings.jobs.kernel``, i.e. ``workbench``).
        jobs_dir: where job names are looked up.
        exclusive: take the job's lock (the default). A batch that runs one job with several
            parameter sets at once passes False for those runs.

    Returns:
        The finished run's record.

    Raises:
        JobError: no such job.
        JobAlreadyRunning: another run of the same job is in progress (nothing recorded).
    """
    settings = settings or load_settings()
    store = store or open_store(settings)
    source = find_notebook(job, jobs_dir)
    name = source.stem
    run_id = run_id or new_run_id(name)
    root = runs_dir(settings)
    given = dict(params or {})
    lock = JobLock(root, name) if exclusive else contextlib.nullcontext()
    with lock:
        try:
            declared = notebook_parameters(source)
            values = coerce_parameters(name, declared, given)
        except JobError as exc:
            start_job_run(store, run_id=run_id, job=name, params=to_jsonable(given),
                          attempt=attempt)
            finish_job_run(store, run_id, status="failed", error=str(exc))
            log.warning("job %s run %s rejected: %s", name, run_id, exc)
            return load_run(store, run_id)
        run_dir = (root / run_id).resolve()
        context = {"run_dir": str(run_dir), "database_url":
                   store.engine.url.render_as_string(hide_password=False),
                   "data_dir": str(Path(settings.data.dir).resolve())}
        for key in CONTEXT_PARAMETERS:
            if key in declared and key not in values:
                values[key] = context[key]
        run_dir.mkdir(parents=True, exist_ok=True)
        output = run_dir / f"{name}.ipynb"
        (run_dir / "params.json").write_text(json.dumps(to_jsonable(values), indent=2) + "\n")
        start_job_run(store, run_id=run_id, job=name, params=to_jsonable(values),
                      notebook_path=str(output), attempt=attempt)
        log.info("job %s run %s started (attempt %d)", name, run_id, attempt)
        status, error = _execute(source, output, values, kernel=kernel or settings.jobs.kernel,
                                 timeout_s=timeout_s if timeout_s is not None
                                 else settings.jobs.timeout_s)
        metrics: dict[str, Any] = {}
        if output.exists():
            metrics = scrape_metrics(nbformat.read(str(output), as_version=4))
        write_metrics(run_dir / "metrics.json", metrics)
        finish_job_run(store, run_id, status=status, error=error, metrics=metrics)
        log.info("job %s run %s %s%s", name, run_id, status, f": {error}" if error else "")
    return load_run(store, run_id)


def run_job_with_retries(
    job: str | Path,
    params: Mapping[str, Any] | None = None,
    *,
    retries: int | None = None,
    retry_delay_s: float = 0.0,
    settings: Settings | None = None,
    store: Store | None = None,
    **kwargs: Any,
) -> list[RunRecord]:
    """Run ``job``, and again up to ``retries`` times while it fails or times out.

    Each attempt is its own recorded run (``attempt`` 1, 2, ...). Rejected parameters are not
    retried (no kernel ran; the same values would fail again), nor is a run that found the job
    already running.

    Args:
        retries: retries after the first failure (default ``settings.jobs.retries``).
        retry_delay_s: pause between attempts.
        **kwargs: passed to :func:`run_job`.

    Returns:
        Every attempt's record, the last one deciding the outcome.
    """
    settings = settings or load_settings()
    store = store or open_store(settings)
    allowed = settings.jobs.retries if retries is None else retries
    records: list[RunRecord] = []
    for attempt in range(1, allowed + 2):
        try:
            rec = run_job(job, params, settings=settings, store=store, attempt=attempt, **kwargs)
        except JobAlreadyRunning:
            if not records:
                raise
            break
        records.append(rec)
        if rec.is_ok or rec.notebook_path is None or attempt > allowed:
            break
        log.warning("job %s attempt %d %s; retrying in %.1fs", rec.job, attempt, rec.status,
                    retry_delay_s)
        time.sleep(retry_delay_s)
    return records

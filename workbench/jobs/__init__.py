"""Production jobs: notebooks run by papermill on the workbench kernel, recorded in the store.

From a notebook::

    from workbench.jobs import record_metrics
    record_metrics({"rows": 1200, "adopted": True})

From Python (the CLI ``workbench jobs ...`` does the same)::

    from workbench.jobs import run_job, load_runs
    record = run_job("daily_report", {"day": "2024-09-01"})
    record.status, record.metrics, record.notebook_path

Modules: ``runner`` (one run), ``scheduler`` (cron), ``batch`` (many runs, Dask), ``metrics``,
``notebooks`` (parameters), ``locks``; and the job steps the notebooks call: ``collect``,
``reoptimize``, ``report``, ``reconcile``.

Names are imported on first use: ``record_metrics`` in a notebook, or ``workbench jobs list``,
should not pay for the backtester and the Solana runtime they do not touch.
"""

from __future__ import annotations

import importlib
from typing import Any

#: public name -> submodule that defines it.
_EXPORTS: dict[str, str] = {
    "BatchItem": "batch", "expand_params": "batch", "run_batch": "batch",
    "backfill_birdeye": "collect",
    "COLLECT_COLUMNS": "collect", "collect_files": "collect", "sample_files": "collect",
    "JobAlreadyRunning": "locks", "JobLock": "locks",
    "METRICS_MIME": "metrics", "record_metrics": "metrics", "scrape_metrics": "metrics",
    "JOBS_DIR": "notebooks", "Parameter": "notebooks", "job_names": "notebooks",
    "notebook_parameters": "notebooks",
    "PaperReconcile": "reconcile", "paper_reconcile": "reconcile",
    "run_paper_reconcile": "reconcile",
    "ReoptimizeDecision": "reoptimize", "reoptimize": "reoptimize",
    "DailyReport": "report", "build_daily_report": "report", "render_html": "report",
    "RUN_STATUSES": "runner", "RunRecord": "runner", "latest_run": "runner",
    "load_run": "runner", "load_runs": "runner", "new_run_id": "runner", "run_job": "runner",
    "run_job_with_retries": "runner", "runs_dir": "runner",
    "Scheduler": "scheduler", "next_fire": "scheduler",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'workbench.jobs' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"workbench.jobs.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))

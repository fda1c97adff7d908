"""The job scheduler: cron expressions from ``settings.jobs.schedule``, one run per job at once.

``Scheduler.tick(now)`` starts every job whose next fire time has come, on a small thread
pool, and moves its next fire time past ``now`` (missed fires while the process was down or
busy collapse into one run, as cron does). A job still running when it is due again is
skipped and logged, never started twice; across processes the job lock in
:func:`~workbench.jobs.runner.run_job` enforces the same. Each run gets the configured
retries and timeout, and every attempt, failed or not, is a run record in the store.

``run_forever`` calls ``tick`` every ``poll_s`` until its stop event is set; the CLI's
``workbench jobs schedule`` wires Ctrl-C and SIGTERM to that event.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from croniter import croniter

from workbench.config import Settings
from workbench.errors import ConfigError
from workbench.jobs.locks import JobAlreadyRunning
from workbench.jobs.notebooks import JOBS_DIR, find_notebook
from workbench.jobs.runner import RunRecord, run_job_with_retries
from workbench.store import Store

__all__ = ["Scheduler", "next_fire"]

log = logging.getLogger("workbench.jobs.scheduler")


def next_fire(cron: str, after: datetime) -> datetime:
    """The first time strictly after ``after`` that ``cron`` fires (UTC)."""
    return croniter(cron, after).get_next(datetime)


class Scheduler:
    """Runs jobs on cron schedules (see the module docstring).

    Args:
        schedule: job name (or notebook path) -> cron expression (5 fields, UTC).
        settings: data directory, store, retries, timeout, kernel.
        store: the ledger (default: opened from settings).
        params: job name -> parameters for its runs.
        max_workers: jobs running at the same time (different jobs).
        retry_delay_s: pause between a failed attempt and its retry.
        jobs_dir: where job names are looked up.
        start: the time fire times are counted from (default now).
        run: the function running one job with retries (tests inject slow or failing ones);
            default :func:`~workbench.jobs.runner.run_job_with_retries`.

    Raises:
        ConfigError: an invalid cron expression or unknown job (names both).
    """

    def __init__(
        self,
        schedule: Mapping[str, str],
        *,
        settings: Settings,
        store: Store | None = None,
        params: Mapping[str, Mapping[str, Any]] | None = None,
        max_workers: int = 2,
        retry_delay_s: float = 5.0,
        jobs_dir: Path = JOBS_DIR,
        start: datetime | None = None,
        run: Callable[..., list[RunRecord]] = run_job_with_retries,
    ) -> None:
        from workbench.store import open_store

        if not schedule:
            raise ConfigError("No jobs to schedule: set jobs.schedule in the config, e.g. "
                              "[jobs.schedule] daily_report = \"5 0 * * *\".",
                              setting="jobs.schedule")
        now = start or datetime.now(UTC)
        self._next: dict[str, datetime] = {}
        for job, cron in schedule.items():
            if not croniter.is_valid(cron):
                raise ConfigError(f"jobs.schedule.{job} = {cron!r} is not a cron expression "
                                  "(5 fields: minute hour day month weekday, e.g. '0 * * * *').",
                                  setting=f"jobs.schedule.{job}")
            try:
                find_notebook(job, jobs_dir)
            except Exception as exc:
                raise ConfigError(f"jobs.schedule names {job!r}: {exc}",
                                  setting=f"jobs.schedule.{job}") from None
            self._next[job] = next_fire(cron, now)
        self.schedule = dict(schedule)
        self.settings = settings
        self.store = store or open_store(settings)
        self.params = {k: dict(v) for k, v in (params or {}).items()}
        self.retry_delay_s = retry_delay_s
        self.jobs_dir = jobs_dir
        self._run = run
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="job")
        self._running: dict[str, Future[list[RunRecord]]] = {}
        self._lock = threading.Lock()
        #: (job, fire time) of every skipped fire, newest last.
        self.skipped: list[tuple[str, datetime]] = []
        #: futures of every started run, in start order.
        self.started: list[tuple[str, Future[list[RunRecord]]]] = []

    def next_fire_times(self) -> dict[str, datetime]:
        """Job -> its next fire time."""
        return dict(self._next)

    def is_running(self, job: str) -> bool:
        """True while a run of ``job`` started by this scheduler has not finished."""
        fut = self._running.get(job)
        return fut is not None and not fut.done()

    def tick(self, now: datetime | None = None) -> list[str]:
        """Start the jobs due at ``now``; returns the names started."""
        now = now or datetime.now(UTC)
        started: list[str] = []
        with self._lock:
            for job, when in self._next.items():
                if when > now:
                    continue
                self._next[job] = next_fire(self.schedule[job], now)
                if self.is_running(job):
                    self.skipped.append((job, when))
                    log.warning("job %s due at %s skipped: its previous run is still going",
                                job, when.isoformat())
                    continue
                fut = self._pool.submit(self._run_one, job)
                self._running[job] = fut
                self.started.append((job, fut))
                started.append(job)
        return started

    def _run_one(self, job: str) -> list[RunRecord]:
        try:
            records = self._run(job, self.params.get(job), settings=self.settings,
                                store=self.store, retry_delay_s=self.retry_delay_s,
                                jobs_dir=self.jobs_dir)
        except JobAlreadyRunning as exc:  # another process runs it
            log.warning("job %s skipped: %s", job, exc)
            return []
        except Exception:
            log.exception("job %s could not be run", job)
            raise
        last = records[-1] if records else None
        if last is not None and not last.is_ok:
            log.error("job %s run %s %s after %d attempt(s): %s", job, last.run_id, last.status,
                      len(records), last.error)
        return records

    def run_forever(self, stop: threading.Event, *, poll_s: float = 1.0) -> None:
        """Tick every ``poll_s`` until ``stop`` is set, then wait for running jobs."""
        log.info("scheduler started: %s", self.schedule)
        try:
            while not stop.is_set():
                self.tick()
                stop.wait(poll_s)
        finally:
            self.shutdown(wait=True)

    def shutdown(self, *, wait: bool = True) -> None:
        """Stop accepting work; with ``wait``, let running jobs finish."""
        self._pool.shutdown(wait=wait)

"""The scheduler: cron fire times, no overlapping runs of a job, retries and timeouts."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.jobs.conftest import fixture_nb
from workbench import load_settings
from workbench.config import Settings
from workbench.errors import ConfigError
from workbench.jobs import Scheduler, load_runs, next_fire
from workbench.store import Store

T0 = datetime(2024, 5, 1, 12, 0, 30, tzinfo=UTC)


class FakeRun:
    """Records calls; blocks each run until released (to hold a job 'running')."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.release = threading.Event()

    def __call__(self, job: str, params: Any, **_: Any) -> list:
        self.calls.append(str(job))
        self.release.wait(10)
        return []


def test_next_fire_follows_cron() -> None:
    """Every-15-minutes fires at the next quarter hour, strictly after the given time."""
    assert next_fire("*/15 * * * *", T0) == datetime(2024, 5, 1, 12, 15, tzinfo=UTC)
    assert next_fire("0 0 * * *", T0) == datetime(2024, 5, 2, tzinfo=UTC)


def test_invalid_cron_and_unknown_job_are_config_errors(job_settings: Settings,
                                                        job_store: Store) -> None:
    """Both name the job and the bad value."""
    with pytest.raises(ConfigError, match=r"jobs.schedule.daily_report = 'every day' is not a "
                                          r"cron expression"):
        Scheduler({"daily_report": "every day"}, settings=job_settings, store=job_store)
    with pytest.raises(ConfigError, match=r"jobs\.schedule names 'nope'"):
        Scheduler({"nope": "* * * * *"}, settings=job_settings, store=job_store)
    with pytest.raises(ConfigError, match="No jobs to schedule"):
        Scheduler({}, settings=job_settings, store=job_store)


def test_schedule_comes_from_settings(tmp_path: Any) -> None:
    """``jobs.schedule`` in the config is a job -> cron table."""
    settings = load_settings(jobs={"schedule": {"daily_report": "5 0 * * *"}},
                             data={"dir": tmp_path})
    assert settings.jobs.schedule == {"daily_report": "5 0 * * *"}


def test_due_jobs_start_and_a_running_job_is_never_started_twice(
        job_settings: Settings, job_store: Store) -> None:
    """A job due again while its run is going is skipped; once done it runs again."""
    fake = FakeRun()
    sched = Scheduler({"daily_report": "* * * * *", "reconcile": "0 * * * *"},
                      settings=job_settings, store=job_store, start=T0, run=fake)
    try:
        assert sched.tick(T0) == []  # nothing due yet
        assert sched.tick(T0 + timedelta(seconds=31)) == ["daily_report"]
        assert sched.is_running("daily_report")
        assert sched.tick(T0 + timedelta(seconds=91)) == []  # due, but still running
        assert [j for j, _ in sched.skipped] == ["daily_report"]
        fake.release.set()
        sched.started[0][1].result(timeout=10)
        assert sched.tick(T0 + timedelta(seconds=151)) == ["daily_report"]
        sched.started[-1][1].result(timeout=10)
        assert sched.tick(T0 + timedelta(hours=1)) == ["daily_report", "reconcile"]
    finally:
        fake.release.set()
        sched.shutdown()
    assert fake.calls == ["daily_report", "daily_report", "daily_report", "reconcile"]


def test_missed_fires_collapse_into_one_run(job_settings: Settings, job_store: Store) -> None:
    """After a long pause a minutely job runs once, and its next fire is after now."""
    fake = FakeRun()
    fake.release.set()
    sched = Scheduler({"daily_report": "* * * * *"}, settings=job_settings, store=job_store,
                      start=T0, run=fake)
    late = T0 + timedelta(hours=3)
    assert sched.tick(late) == ["daily_report"]
    assert sched.next_fire_times()["daily_report"] > late
    sched.shutdown()
    assert fake.calls == ["daily_report"]


@pytest.mark.integration
def test_real_runs_skip_overlap_retry_and_time_out(workbench_kernel: str, tmp_path: Any,
                                                   job_store: Store) -> None:
    """With the real runner: a slow job is skipped while running, then stopped at its
    timeout and retried once; every attempt is a failed run visible in the store."""
    settings = load_settings(data={"dir": tmp_path / "data"},
                             database={"url": str(job_store.engine.url)},
                             jobs={"retries": 1, "timeout_s": 3})
    slow = str(fixture_nb("slow"))
    sched = Scheduler({slow: "* * * * *"}, settings=settings, store=job_store, start=T0,
                      params={slow: {"seconds": 20}}, retry_delay_s=0)
    assert sched.tick(T0 + timedelta(seconds=31)) == [slow]
    assert sched.tick(T0 + timedelta(seconds=91)) == []
    records = sched.started[0][1].result(timeout=120)
    sched.shutdown()
    assert [(r.attempt, r.status) for r in records] == [(1, "timeout"), (2, "timeout")]
    stored = load_runs(job_store, job="slow")
    assert sorted(stored["status"]) == ["timeout", "timeout"]
    assert set(stored["error"]) == {"stopped at the job's timeout of 3 s"}

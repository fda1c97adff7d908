"""The job lock: one run per job, across threads and processes, freed when a holder dies."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from workbench.jobs import JobAlreadyRunning, JobLock


def test_same_job_excludes_and_other_jobs_do_not(tmp_path: Path) -> None:
    """A second lock on the same job fails at once; another job's lock is independent."""
    with JobLock(tmp_path, "a") as held:
        assert held.is_held
        with pytest.raises(JobAlreadyRunning, match=r"Job 'a' is already running \(lock "):
            JobLock(tmp_path, "a").acquire()
        with JobLock(tmp_path, "b") as other:
            assert other.is_held
    again = JobLock(tmp_path, "a")
    again.acquire()
    again.release()
    assert not again.is_held


def test_lock_held_by_another_process_and_freed_when_it_exits(tmp_path: Path) -> None:
    """A lock held by a live process blocks; once that process is gone it is free again."""
    code = textwrap.dedent(f"""
        import sys, time
        from workbench.jobs.locks import JobLock
        lock = JobLock({str(tmp_path)!r}, "job"); lock.acquire()
        print("held", flush=True); sys.stdin.readline()
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        with pytest.raises(JobAlreadyRunning):
            JobLock(tmp_path, "job").acquire()
    finally:
        proc.kill()  # dies without releasing: the kernel frees the flock
        proc.wait()
    with JobLock(tmp_path, "job") as lock:
        assert lock.is_held

"""One run of a job at a time, across threads and processes on this machine.

The lock is ``flock`` on ``<runs_dir>/.locks/<job>.lock``: the kernel releases it when the
holder exits, even by a crash, so a dead run never blocks the next one (a "running" row in the
store could). ``flock`` locks belong to the open file, so two threads of one process exclude
each other as two processes do.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType

from workbench.errors import JobError

__all__ = ["JobAlreadyRunning", "JobLock"]


class JobAlreadyRunning(JobError):
    """Another run of the same job holds its lock; the new run did not start."""


class JobLock:
    """Exclusive, non-blocking lock for one job name.

    Example:
        >>> with JobLock(runs_dir, "daily_report"):  # doctest: +SKIP
        ...     run_the_job()
    """

    def __init__(self, runs_dir: Path, job: str) -> None:
        self.path = Path(runs_dir) / ".locks" / f"{job}.lock"
        self.job = job
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise at once.

        Raises:
            JobAlreadyRunning: another run of the job holds it (names the lock file).
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise JobAlreadyRunning(
                f"Job {self.job!r} is already running (lock {self.path} is held); wait for "
                "that run to finish, see `workbench jobs list`.") from None
        self._fd = fd

    def release(self) -> None:
        """Release the lock (no-op when not held)."""
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    @property
    def is_held(self) -> bool:
        """True while this object holds the lock."""
        return self._fd is not None

    def __enter__(self) -> JobLock:
        self.acquire()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()

"""Supervised tasks: a task that crashes is reported and restarted with exponential backoff.

Each task is a coroutine *factory*, called again for every restart, so a restarted feed starts
from the engine's persisted cursor rather than from a half-consumed iterator. A task that
returns normally is finished (a replay that reached its end) and is not restarted. Backoff
doubles from ``initial_backoff_s`` up to ``max_backoff_s`` and resets once a run has lasted
``stable_after_s``; every crash goes to the ``on_crash`` callback (metrics, bus, alerts).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Supervisor", "TaskStatus"]

log = logging.getLogger(__name__)


@dataclass(slots=True, kw_only=True)
class TaskStatus:
    """What the supervisor knows about one task.

    Attributes:
        name: task name.
        state: ``running``, ``backoff``, ``finished``, ``failed`` or ``cancelled``.
        restarts: how many times it was restarted after a crash.
        last_error: the last exception, as text.
        started_ns: when the current run started (wall, ns).
    """

    name: str
    state: str = "running"
    restarts: int = 0
    last_error: str = ""
    started_ns: int = field(default_factory=time.time_ns)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready view."""
        return {"state": self.state, "restarts": self.restarts, "last_error": self.last_error}


CrashHook = Callable[[str, BaseException, int, float], Any]


class Supervisor:
    """Runs named tasks and restarts the ones that crash.

    Args:
        on_crash: ``(name, exc, restarts, backoff_s)`` called on every crash.
        initial_backoff_s / max_backoff_s: restart delay bounds.
        stable_after_s: a run this long resets the backoff.
        max_restarts: give up (state ``failed``) after this many restarts; None = never.
    """

    def __init__(self, *, on_crash: CrashHook | None = None, initial_backoff_s: float = 0.05,
                 max_backoff_s: float = 10.0, stable_after_s: float = 30.0,
                 max_restarts: int | None = None) -> None:
        self.on_crash = on_crash
        self.initial_backoff_s = initial_backoff_s
        self.max_backoff_s = max_backoff_s
        self.stable_after_s = stable_after_s
        self.max_restarts = max_restarts
        self.status: dict[str, TaskStatus] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def spawn(self, name: str, factory: Callable[[], Awaitable[Any]]) -> asyncio.Task[None]:
        """Start ``factory()`` under supervision as task ``name``."""
        self.status[name] = TaskStatus(name=name)
        task = asyncio.create_task(self._supervise(name, factory), name=name)
        self._tasks[name] = task
        return task

    async def _supervise(self, name: str, factory: Callable[[], Awaitable[Any]]) -> None:
        st = self.status[name]
        backoff = self.initial_backoff_s
        while True:
            st.state, st.started_ns = "running", time.time_ns()
            started = time.monotonic()
            try:
                await factory()
            except asyncio.CancelledError:
                st.state = "cancelled"
                raise
            except Exception as exc:  # a crashed task is reported and restarted
                if time.monotonic() - started >= self.stable_after_s:
                    backoff = self.initial_backoff_s
                st.last_error = f"{type(exc).__name__}: {exc}"
                log.warning("task %s crashed (%s); restart %d in %.2fs", name, st.last_error,
                            st.restarts + 1, backoff)
                if self.on_crash is not None:
                    try:
                        self.on_crash(name, exc, st.restarts + 1, backoff)
                    except Exception:  # the reporter must not kill the supervisor
                        log.exception("on_crash hook failed for task %s", name)
                if self.max_restarts is not None and st.restarts >= self.max_restarts:
                    st.state = "failed"
                    return
                st.state = "backoff"
                await asyncio.sleep(backoff)
                st.restarts += 1
                backoff = min(backoff * 2, self.max_backoff_s)
                continue
            st.state = "finished"
            return

    def running(self, name: str) -> bool:
        """True while the task exists and has not finished."""
        task = self._tasks.get(name)
        return task is not None and not task.done()

    async def stop(self, timeout_s: float = 5.0) -> None:
        """Cancel every task and wait for them (bounded)."""
        tasks = [t for t in self._tasks.values() if not t.done()]
        for t in tasks:
            t.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=timeout_s)
        for name, task in self._tasks.items():
            if task.cancelled() and self.status[name].state not in ("finished", "failed"):
                self.status[name].state = "cancelled"

    def snapshot(self) -> dict[str, dict[str, Any]]:
        """name -> status dict, for /health."""
        return {n: s.as_dict() for n, s in self.status.items()}

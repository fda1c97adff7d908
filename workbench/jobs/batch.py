"""Run a batch of jobs, or one job over several parameter sets, locally or on a Dask cluster.

Each item is a normal run (its own run id, directory and store record); on a cluster the
workers execute them with papermill on the workbench kernel and write the records to the
same store, so the machine must share the data directory and database with the workers (a
``LocalCluster``, or workers on a shared filesystem with PostgreSQL). Results come back in
the order given. One job given several parameter sets runs them concurrently (its lock is
not taken for those runs); distinct jobs keep the one-run-at-a-time rule.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from workbench.config import Settings
from workbench.errors import ConfigError
from workbench.jobs.notebooks import JOBS_DIR
from workbench.jobs.runner import RunRecord, run_job

__all__ = ["BatchItem", "expand_params", "run_batch"]

BatchItem = tuple[str, Mapping[str, Any]]
"""(job name or notebook path, parameters)."""


def expand_params(base: Mapping[str, Any], grid: Mapping[str, Sequence[Any]]
                  ) -> list[dict[str, Any]]:
    """``base`` merged with every combination of ``grid`` (one dict when ``grid`` is empty)."""
    keys = list(grid)
    return [{**base, **dict(zip(keys, vals, strict=True))}
            for vals in itertools.product(*(grid[k] for k in keys))]


def _run_item(job: str, params: Mapping[str, Any], settings: Settings, exclusive: bool,
              timeout_s: float | None, jobs_dir: Path) -> RunRecord:
    return run_job(job, params, settings=settings, exclusive=exclusive, timeout_s=timeout_s,
                   jobs_dir=jobs_dir)


def run_batch(
    items: Sequence[BatchItem],
    *,
    settings: Settings,
    cluster: Any = None,
    timeout_s: float | None = None,
    jobs_dir: Path = JOBS_DIR,
) -> list[RunRecord]:
    """Run every item; returns their records in order.

    Args:
        items: (job, params) pairs.
        settings: shared by every run (the store and data directory must be reachable from
            the workers).
        cluster: None to run here one after another, a scheduler address
            (``tcp://127.0.0.1:8786``) or a ``distributed.Client``.
        timeout_s: per-run timeout (default ``settings.jobs.timeout_s``).
        jobs_dir: where job names are looked up.

    Raises:
        ConfigError: no items, or ``cluster`` is neither an address nor a client.
    """
    if not items:
        raise ConfigError("The batch is empty; give at least one job.", setting="jobs")
    counts = Counter(str(job) for job, _ in items)
    args = [(str(job), dict(params), settings, counts[str(job)] == 1, timeout_s, jobs_dir)
            for job, params in items]
    if cluster is None:
        return [_run_item(*a) for a in args]
    from distributed import Client  # lazy: only cluster runs need it

    if isinstance(cluster, Client):
        client, owned = cluster, False
    elif isinstance(cluster, str):
        client, owned = Client(cluster), True
    else:
        raise ConfigError(f"cluster={cluster!r} must be a scheduler address like "
                          "'tcp://127.0.0.1:8786' or a distributed.Client.", setting="cluster")
    try:
        futures = [client.submit(_run_item, *a, pure=False) for a in args]
        return list(client.gather(futures))
    finally:
        if owned:
            client.close()

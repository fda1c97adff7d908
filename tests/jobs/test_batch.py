"""Batches of runs: parameter grids, locally and on a real Dask LocalCluster."""

from __future__ import annotations

import pytest

from tests.jobs.conftest import fixture_nb
from workbench.config import Settings
from workbench.errors import ConfigError
from workbench.jobs import expand_params, load_runs, run_batch
from workbench.store import Store


def test_expand_params_is_the_cartesian_product_over_a_base() -> None:
    """Every combination, each merged over the base values."""
    assert expand_params({"a": 1}, {"x": [1, 2], "y": ["u", "v"]}) == [
        {"a": 1, "x": 1, "y": "u"}, {"a": 1, "x": 1, "y": "v"},
        {"a": 1, "x": 2, "y": "u"}, {"a": 1, "x": 2, "y": "v"}]
    assert expand_params({"a": 1}, {}) == [{"a": 1}]


def test_empty_batch_and_bad_cluster(job_settings: Settings) -> None:
    """Both are configuration errors with the fix in the message."""
    with pytest.raises(ConfigError, match="The batch is empty"):
        run_batch([], settings=job_settings)
    with pytest.raises(ConfigError, match="must be a scheduler address like"):
        run_batch([(str(fixture_nb("ok")), {})], settings=job_settings, cluster=42)


@pytest.mark.integration
def test_batch_on_a_local_dask_cluster_records_every_run(
        workbench_kernel: str, job_settings: Settings, job_store: Store) -> None:
    """Three parameter sets of one job and a failing job run on two Dask worker processes;
    records come back in order, with the same metrics a local run gives, and all are stored."""
    from distributed import Client, LocalCluster

    ok, fail = str(fixture_nb("ok")), str(fixture_nb("fail"))
    items = [(ok, {"x": x}) for x in (1, 2, 3)] + [(fail, {"x": 9})]
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        records = run_batch(items, settings=job_settings, cluster=cluster.scheduler_address)
        workers = client.run(lambda: 1)
    assert len(workers) == 2
    assert [r.metrics.get("x2") for r in records[:3]] == [2, 4, 6]
    assert [r.status for r in records] == ["succeeded"] * 3 + ["failed"]
    assert records[3].error.startswith("ValueError: boom: x=9")
    stored = load_runs(job_store)
    assert sorted(stored["run_id"]) == sorted(r.run_id for r in records)
    local = run_batch([(ok, {"x": 2})], settings=job_settings)
    assert local[0].metrics == records[1].metrics

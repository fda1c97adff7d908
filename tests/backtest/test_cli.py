"""``workbench backtest`` commands on real data."""

import json

from typer.testing import CliRunner

from workbench.cli.backtest import app
from workbench.samples import sample_path

DATA = str(sample_path("SOL_USDT-1h.feather"))


def test_run_prints_stats_and_writes_report(tmp_path):
    out = tmp_path / "grid.html"
    res = CliRunner().invoke(app, ["run", "--strategy", "grid", "--data", DATA, "--param",
                                   "lower=90", "--param", "upper=200", "--param",
                                   "n_levels=15", "--cost", "pool_fee_bps=4", "--json",
                                   "--report", str(out)])
    assert res.exit_code == 0, res.output
    payload = json.loads(res.output.splitlines()[0])
    assert payload["costs"]["pool_fee_bps"] == 4.0
    assert int(payload["stats"]["order_count"]) > 0
    assert out.stat().st_size > 100_000


def test_sweep_prints_ranked_table(tmp_path):
    csv = tmp_path / "t.csv"
    res = CliRunner().invoke(app, ["sweep", "-s", "sma_cross", "--data", DATA, "-g",
                                   "fast=5,10", "-g", "slow=50,100", "--no-progress",
                                   "--out", str(csv)])
    assert res.exit_code == 0, res.output
    assert "total_return" in res.output
    assert len(csv.read_text().splitlines()) == 5


def test_bad_param_is_a_config_error():
    res = CliRunner().invoke(app, ["run", "-s", "sma_cross", "--data", DATA, "-p", "fast"])
    assert res.exit_code != 0
    assert "must look like key=value" in str(res.exception)


def test_simulated_failures_and_vectorbt_engine_from_the_shell():
    """--cost failed_tx_mode=simulate --cost seed=N reproduces; --engine vectorbt runs signals."""
    args = ["run", "-s", "grid", "--data", DATA, "-p", "lower=90", "-p", "upper=200", "-p",
            "n_levels=15", "--cost", "failed_tx_mode=simulate", "--cost", "seed=4", "--cost",
            "failed_tx_rate=0.3", "--json"]
    a, b = CliRunner().invoke(app, args), CliRunner().invoke(app, args)
    assert a.exit_code == 0, a.output
    one = json.loads(a.output.splitlines()[0])
    assert one == json.loads(b.output.splitlines()[0])
    assert one["costs"]["seed"] == 4 and int(one["stats"]["failed_orders"]) > 0
    vb = CliRunner().invoke(app, ["run", "-s", "sma_cross", "--data", DATA, "--engine",
                                  "vectorbt", "--cost", "liquidity=none", "--json"])
    assert vb.exit_code == 0, vb.output
    assert json.loads(vb.output.splitlines()[0])["engine"] == "vectorbt"

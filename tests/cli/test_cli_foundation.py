"""The `workbench` CLI: version, config, db, run; errors as one line and an exit code."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from workbench.cli import main


@pytest.fixture(autouse=True)
def _in_tmp(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in list(os.environ):
        if key.startswith("WORKBENCH_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    """`workbench version` prints the package version."""
    import workbench

    assert main(["version"]) == 0
    assert workbench.__version__ in capsys.readouterr().out


def test_config_show_masks_secrets(capsys: pytest.CaptureFixture[str],
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """`config show` prints every section with secrets masked."""
    monkeypatch.setenv("WORKBENCH_DATA__BIRDEYE_API_KEY", "be-secret-key")
    assert main(["config", "show"]) == 0
    out = capsys.readouterr().out
    assert "risk.max_daily_loss" in out and "be-secret-key" not in out and "**********" in out


def test_root_config_holds_for_the_whole_process(capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 tmp_path: Path) -> None:
    """`workbench --config F ...`: code that loads settings on its own later in the process (a
    strategy reading the model registry, a job's kernel) gets F too, not the defaults."""
    from workbench.config import load_settings

    monkeypatch.setenv("WORKBENCH_CONFIG", "")  # restored after the test
    cfg = tmp_path / "elsewhere.toml"
    cfg.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "other.db"}"\n')
    assert main(["--config", str(cfg), "config", "show"]) == 0
    assert "other.db" in capsys.readouterr().out
    assert load_settings().database_url.endswith("other.db")


def test_bad_config_is_one_line_and_code_2(capsys: pytest.CaptureFixture[str],
                                           tmp_path: Path) -> None:
    """A bad config prints one error line (no traceback) and exits with the config code."""
    (tmp_path / "workbench.toml").write_text("[engine]\nmode = 'yolo'\n")
    assert main(["config", "show"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: Invalid configuration") and "engine.mode" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_run_demo_loads_sample_and_db_status(capsys: pytest.CaptureFixture[str],
                                             tmp_path: Path) -> None:
    """`run --demo` migrates SQLite, stores the real sample once, trades it on the paper
    engine (free ports, a short replay), and `db status` shows the schema up to date."""
    from workbench.samples import SAMPLES, load_sample
    from workbench.store import ledger, load_candles, open_store

    shipped = sum(len(load_sample(symbol, tf)) for symbol, tf in SAMPLES)
    args = ["run", "--demo", "--metrics-port", "0", "--dashboard-port", "0", "--speed", "0",
            "--bars", "150", "--duration", "60"]
    assert main(args) == 0
    first = capsys.readouterr().out
    assert f"sample data: {shipped} new candle rows stored" in first
    assert "engine: paper mode, strategies arbitrage, grid" in first
    assert "metrics: http://127.0.0.1:" in first and "dashboard: http://127.0.0.1:" in first
    assert "stopped (replay finished); 150 bars processed" in first
    db = tmp_path / "data" / "workbench.db"
    store = open_store(f"sqlite:///{db}")
    candles = load_candles(store, "SOL/USDT", "5m")
    assert len(candles) == len(load_sample("SOL/USDT", "5m"))
    orders = ledger.load_orders(store)
    assert (orders["status"] == "filled").sum() >= 10, orders["status"].value_counts()
    assert len(ledger.load_fills(store)) >= 10
    store.dispose()
    assert main(args) == 0
    assert "sample data: 0 new candle rows stored" in capsys.readouterr().out
    assert main(["db", "status"]) == 0
    assert "up to date" in capsys.readouterr().out


def test_unreachable_database_exit_code(capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """An unreachable database exits with the store code and a hint."""
    monkeypatch.setenv("WORKBENCH_DATABASE__URL", "postgresql+psycopg://x@127.0.0.1:1/none")
    assert main(["db", "upgrade"]) == 3
    assert "Cannot reach the database" in capsys.readouterr().err


def test_console_script_runs() -> None:
    """The installed console script starts and exits 0."""
    exe = Path(sys.executable).with_name("workbench")
    out = subprocess.run([str(exe), "version"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr


def test_typer_exit_codes_pass_through() -> None:
    """A sub-command that ends with typer.Exit(code) exits with that code, not "unexpected"."""
    import typer

    from workbench.cli import app

    probe = typer.Typer()

    @probe.command("fail")
    def _fail() -> None:
        raise typer.Exit(code=7)

    app.add_typer(probe, name="probe-exit")
    try:
        assert main(["probe-exit", "fail"]) == 7
    finally:
        app.registered_groups = [g for g in app.registered_groups if g.name != "probe-exit"]

"""`workbench run`: a port already taken is one clear line naming the setting, not a traceback."""

from __future__ import annotations

import os
import socket

import pytest

from workbench.cli import main
from workbench.errors import ConfigError
from workbench.live import Engine

from .conftest import fast_config, make_settings


@pytest.fixture
def taken_port():
    """A port something else listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


@pytest.fixture(autouse=True)
def _in_tmp(monkeypatch, tmp_path):
    for key in list(os.environ):
        if key.startswith("WORKBENCH_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize(("flag", "setting", "extra"), [
    ("--metrics-port", "engine.metrics_port", ["--no-dashboard"]),
    ("--dashboard-port", "dashboard.port", ["--metrics-port", "0"]),
])
@pytest.mark.integration
def test_run_refuses_a_taken_port_in_one_line(capsys, tmp_path, taken_port, flag, setting,
                                              extra):
    """The port check runs before anything starts: exit 2, one line naming setting and flag."""
    rc = main(["run", "--demo", flag, str(taken_port), *extra, "--bars", "5", "--speed", "0"])
    captured = capsys.readouterr()
    assert rc == 2
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert f"Port {taken_port}" in lines[0] and setting in lines[0] and flag in lines[0]
    assert "Traceback" not in captured.err + captured.out
    assert not (tmp_path / "data" / "workbench.db").exists()


@pytest.mark.integration
async def test_engine_refuses_a_taken_metrics_port_naming_the_setting(tmp_path, sol_bars,
                                                                      taken_port):
    """Between the CLI's check and the bind, another process may take the port: the engine
    stops with a ConfigError naming engine.metrics_port instead of serving elsewhere."""
    eng = Engine(make_settings(tmp_path), config=fast_config(
        sol_bars.iloc[:5], serve_metrics=True, metrics_port=taken_port))
    with pytest.raises(ConfigError, match=rf"port {taken_port}.*engine\.metrics_port") as info:
        await eng.run()
    assert info.value.setting == "engine.metrics_port"

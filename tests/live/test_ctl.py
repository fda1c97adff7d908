"""`workbench ctl` through the CLI against a store, with a paper engine running in a thread."""

from __future__ import annotations

import asyncio
import getpass
import json
import os
import threading
import time

import pytest

from workbench.cli import main
from workbench.live import Engine
from workbench.risk import TradingState
from workbench.store import ledger, open_store

from .conftest import fast_config, make_settings

ACTOR = f"cli:{getpass.getuser()}"


@pytest.fixture(autouse=True)
def _cli_env(monkeypatch, tmp_path):
    """The CLI reads the same data directory (hence the same SQLite store) as the engine."""
    for key in list(os.environ):
        if key.startswith("WORKBENCH_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WORKBENCH_DATA__DIR", str(tmp_path))


class EngineThread:
    """A paper engine on its own event loop in a daemon thread."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.loop = asyncio.new_event_loop()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            self.loop.run_until_complete(self.engine.run())
        except BaseException as exc:  # reported by stop()
            self.error = exc

    def __enter__(self) -> EngineThread:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.loop.call_soon_threadsafe(self.engine.stop, "test done")
        self.thread.join(30)
        assert not self.thread.is_alive()
        if self.error is not None:
            raise self.error


def _wait(predicate, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def _ctl(capsys, *args: str) -> tuple[int, str]:
    rc = main(["ctl", *args])
    out = capsys.readouterr()
    return rc, out.out + out.err


def test_ctl_queues_audited_commands_and_status_without_engine(capsys, tmp_path, monkeypatch):
    """Without an engine, `--no-wait` commands are queued pending with who and when, each
    audited; `kill` asks first and queues nothing when refused; status says it never ran."""
    open_store(f"sqlite:///{tmp_path / 'workbench.db'}").upgrade()
    rc, out = _ctl(capsys, "status")
    assert rc == 0 and "engine: never ran against this store" in out
    assert _ctl(capsys, "stop", "grid", "--no-wait")[0] == 0
    assert _ctl(capsys, "set-limit", "max_order_notional=250", "max_daily_loss=50",
                "--no-wait")[0] == 0
    assert _ctl(capsys, "set-param", "grid", "n_levels=12", "--no-wait")[0] == 0
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("n\n"))
    rc, out = _ctl(capsys, "kill", "--flatten")
    assert rc == 1 and "Pull the kill switch and flatten all positions?" in out
    assert "Kill switch not pulled: not confirmed" in out
    rc, out = _ctl(capsys, "set-limit", "no_equals_sign", "--no-wait")
    assert rc == 2 and "Expected key=value, got 'no_equals_sign'" in out
    store = open_store(f"sqlite:///{tmp_path / 'workbench.db'}")
    cmds = ledger.load_commands(store).sort_values("id")
    assert list(cmds["command"]) == ["stop", "set_limit", "set_param"]
    assert set(cmds["status"]) == {"pending"} and set(cmds["actor"]) == {ACTOR}
    assert list(cmds["args"]) == [{"name": "grid"},
                                  {"limits": {"max_order_notional": "250",
                                              "max_daily_loss": "50"}},
                                  {"name": "grid", "params": {"n_levels": "12"}}]
    audit = ledger.load_audit(store)
    assert sorted(audit["action"]) == ["command:set_limit", "command:set_param", "command:stop"]
    assert set(audit["actor"]) == {ACTOR}


@pytest.mark.integration
def test_ctl_controls_a_running_engine(capsys, tmp_path, sol_bars):
    """Against an engine running in a thread: status, stop (applied within a second), start,
    set-limit, kill --flatten and reset-breaker each apply, with their results and audit."""
    settings = make_settings(tmp_path)
    eng = Engine(settings, config=fast_config(sol_bars, speed=4_000.0, poll_s=0.05))
    with EngineThread(eng):
        _wait(lambda: eng.bars_done >= 10 and eng.slots["grid"].position > 0)
        _wait(lambda: ledger.get_state(eng.store, "heartbeat") is not None)
        rc, out = _ctl(capsys, "status")
        assert rc == 0 and "engine: running" in out and "mode paper" in out
        assert "breaker: active" in out and "grid" in out and "arbitrage" in out
        rc, out = _ctl(capsys, "status", "--json")
        doc = json.loads(out)
        assert doc["heartbeat"]["mode"] == "paper" and doc["strategies"]["grid"]["enabled"]

        t0 = time.monotonic()
        rc, out = _ctl(capsys, "stop", "grid")
        elapsed = time.monotonic() - t0
        assert rc == 0 and "applied: grid stopped" in out
        assert elapsed < 1.0, elapsed
        assert not eng.slots["grid"].enabled
        bars_then = eng.bars_done
        orders_then = len(ledger.load_orders(eng.store, strategy="grid"))
        _wait(lambda: eng.bars_done >= bars_then + 8)
        assert len(ledger.load_orders(eng.store, strategy="grid")) == orders_then

        rc, out = _ctl(capsys, "start", "grid")
        assert rc == 0 and "applied: grid running" in out and eng.slots["grid"].enabled
        rc, out = _ctl(capsys, "stop", "nope")
        assert rc == 1 and "failed: no strategy 'nope'" in out

        rc, out = _ctl(capsys, "set-limit", "max_order_notional=500")
        assert rc == 0 and "applied: max_order_notional: 1000 -> 500" in out
        assert eng.gate.limits.max_order_notional == 500

        held = eng._tradable_base()
        assert held > 0
        rc, out = _ctl(capsys, "kill", "--flatten", "--yes")
        assert rc == 0 and "applied: kill switch" in out and "1 flatten orders sent" in out
        assert eng.breaker.state is TradingState.REDUCING  # exits only, while it flattens
        assert not any(s.enabled for s in eng.slots.values())
        assert eng._tradable_base() == 0  # every base unit sold
        flat = ledger.load_orders(eng.store, strategy="kill-switch")
        assert list(flat["status"]) == ["filled"]  # the grid trades on until the kill applies
        sold = ledger.load_fills(eng.store, client_order_id=flat["client_order_id"].iloc[0])
        # one fill per pool when the router split the sale; together the whole amount
        assert set(sold["side"]) == {"sell"} and sold["signature"].nunique() == 1
        assert sum(sold["base_amount"]) == flat["amount"].iloc[0]

        rc, out = _ctl(capsys, "reset-breaker")
        assert rc == 0 and "applied: breaker reset to active" in out
        assert eng.breaker.state is TradingState.ACTIVE

    cmds = ledger.load_commands(eng.store).sort_values("id")
    assert list(cmds["command"]) == ["stop", "start", "stop", "set_limit", "kill",
                                     "reset_breaker"]
    assert list(cmds["status"]) == ["applied", "applied", "failed", "applied", "applied",
                                    "applied"]
    assert set(cmds["actor"]) == {ACTOR}
    assert cmds["ts_applied"].notna().all()
    audit = ledger.load_audit(eng.store)
    mine = audit[audit["actor"] == ACTOR]
    assert {"command:stop", "command:start", "command:set_limit", "command:kill",
            "command:reset_breaker", "limit_changed"} <= set(mine["action"])
    change = mine[mine["action"] == "limit_changed"]["detail"].iloc[0]
    assert change["field"] == "max_order_notional" and change["new"] in ("500", 500)

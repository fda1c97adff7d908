"""Control commands: role check on the server, validation, confirmation, audit."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from workbench.dashboard import Controller, ControlRefused, Role
from workbench.errors import ConfigError
from workbench.store import ledger, open_store
from workbench.store.db import Store


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = open_store(f"sqlite:///{tmp_path / 'c.db'}")
    s.upgrade()
    ledger.save_strategy_config(s, name="grid-sol", kind="grid", symbol="SOL/USDT",
                                params={"n_levels": 10})
    return s


def test_operator_commands_reach_the_store_with_the_actor(store: Store) -> None:
    """Each action queues exactly the command and args the engine expects, audited as ana."""
    c = Controller(store=store, actor="ana", role=Role.OPERATOR)
    c.stop_strategy("grid-sol")
    c.start_strategy("grid-sol")
    c.set_params("grid-sol", {"n_levels": 12})
    c.set_limit("max_order_notional", "250")
    c.reset_breaker()
    c.kill(confirmation="KILL", flatten=True)
    got = ledger.load_commands(store)[::-1]
    assert list(zip(got["command"], got["args"], strict=True)) == [
        ("stop_strategy", {"strategy": "grid-sol"}),
        ("start_strategy", {"strategy": "grid-sol"}),
        ("set_param", {"strategy": "grid-sol", "params": {"n_levels": 12}}),
        ("set_limit", {"name": "max_order_notional", "value": "250"}),
        ("reset_breaker", {}),
        ("kill", {"flatten": True}),
    ]
    assert set(got["actor"]) == {"ana"}
    assert set(got["status"]) == {"pending"}
    assert len(ledger.load_audit(store)) == 6


@pytest.mark.parametrize("role", [Role.READONLY, Role.ANONYMOUS])
def test_non_operators_are_refused_and_audited(store: Store, role: Role) -> None:
    """Read-only and anonymous users get ControlRefused, no command, and an audit line."""
    c = Controller(store=store, actor="bob", role=role)
    with pytest.raises(ControlRefused, match=f"has the {role} role and cannot stop_strategy"):
        c.stop_strategy("grid-sol")
    with pytest.raises(ControlRefused):
        c.kill(confirmation="KILL", flatten=False)
    assert ledger.load_commands(store).empty
    audit = ledger.load_audit(store)
    assert list(audit["action"]) == ["refused:kill", "refused:stop_strategy"]


def test_kill_needs_the_confirmation_word(store: Store) -> None:
    """Kill without typing KILL is refused even for an operator."""
    c = Controller(store=store, actor="ana", role=Role.OPERATOR)
    with pytest.raises(ControlRefused, match="type KILL to confirm"):
        c.kill(confirmation="kill", flatten=True)
    assert ledger.load_commands(store).empty


def test_bad_input_is_reported_before_queueing(store: Store) -> None:
    """Unknown strategies, unknown limits and bad values never reach the engine."""
    c = Controller(store=store, actor="ana", role=Role.OPERATOR)
    with pytest.raises(ConfigError, match="No strategy named 'nope'; known: grid-sol"):
        c.stop_strategy("nope")
    with pytest.raises(ConfigError, match="Unknown risk limit 'max_fun'"):
        c.set_limit("max_fun", "1")
    with pytest.raises(ConfigError, match="is not a valid Decimal"):
        c.set_limit("max_order_notional", "lots")
    with pytest.raises(ConfigError, match="above max_order_notional"):
        c.set_limit("min_order_notional", "5000")
    with pytest.raises(ConfigError, match="No parameter changes"):
        c.set_params("grid-sol", {})
    assert ledger.load_commands(store).empty


def test_set_limit_validates_against_the_engines_published_limits(store: Store) -> None:
    """With limits published as the engine does ({field: str(value)}), a change is checked
    against them: the minimum may not exceed the published maximum."""
    from workbench.risk import RiskLimits

    published = {k: str(v) for k, v in RiskLimits(max_order_notional=Decimal(300)).as_dict()
                 .items()}
    c = Controller(store=store, actor="ana", role=Role.OPERATOR)
    with pytest.raises(ConfigError, match="above max_order_notional=300"):
        c.set_limit("min_order_notional", "400", current=published)
    c.set_limit("max_open_positions", "3", current=published)
    assert ledger.load_commands(store)["args"].iloc[0] == {"name": "max_open_positions",
                                                          "value": "3"}

"""Control actions from the dashboard: checked for role, validated, queued for the engine, audited.

Every action becomes one row in ``control_commands`` (``ledger.submit_command``), which the
engine claims and applies within a second; ``submit_command`` also writes the audit log with
the user's name. The check of the user's role happens here, on the server, for every call:
a read-only user whose browser was tampered with to enable a button still gets nothing but a
``refused:<command>`` line in the audit log.

Commands and their arguments (the contract with ``workbench.live``):

=================  ==============================================
``stop_strategy``  ``{"strategy": name}``
``start_strategy`` ``{"strategy": name}``
``set_param``      ``{"strategy": name, "params": {key: value}}``
``set_limit``      ``{"name": limit, "value": text}``
``reset_breaker``  ``{}``
``kill``           ``{"flatten": bool}``
=================  ==============================================
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from workbench.dashboard.auth import Role
from workbench.errors import ConfigError, ControlRefused
from workbench.risk import change_limit, limits_from_settings
from workbench.store import ledger
from workbench.store.db import Store

__all__ = ["COMMANDS", "KILL_CONFIRMATION", "ControlRefused", "Controller"]

#: The commands the dashboard sends.
COMMANDS = ("stop_strategy", "start_strategy", "set_param", "set_limit", "reset_breaker", "kill")

#: What the user types to confirm the kill switch.
KILL_CONFIRMATION = "KILL"


@dataclass(frozen=True, slots=True, kw_only=True)
class Controller:
    """Sends control commands for one dashboard user.

    Attributes:
        store: the ledger store the engine polls.
        actor: the user's name, recorded with every command.
        role: what the user may do.
    """

    store: Store
    actor: str
    role: Role

    def _submit(self, command: str, args: Mapping[str, Any]) -> int:
        if not self.role.can_act:
            ledger.audit(self.store, actor=self.actor, action=f"refused:{command}",
                         detail={"args": dict(args), "role": str(self.role)})
            raise ControlRefused(
                f"User {self.actor!r} has the {self.role} role and cannot {command}; ask an "
                "operator, or log in as one.", actor=self.actor, command=command)
        return ledger.submit_command(self.store, actor=self.actor, command=command, args=args)

    def _known_strategy(self, name: str) -> None:
        names = set(ledger.load_strategy_configs(self.store)["name"])
        if name not in names:
            raise ConfigError(
                f"No strategy named {name!r}; known: {', '.join(sorted(names)) or 'none'}.",
                setting="strategy")

    def stop_strategy(self, name: str) -> int:
        """Ask the engine to stop ``name``; returns the command id."""
        self._known_strategy(name)
        return self._submit("stop_strategy", {"strategy": name})

    def start_strategy(self, name: str) -> int:
        """Ask the engine to start ``name``; returns the command id."""
        self._known_strategy(name)
        return self._submit("start_strategy", {"strategy": name})

    def set_params(self, name: str, params: Mapping[str, Any]) -> int:
        """Ask the engine to change some of ``name``'s parameters; returns the command id.

        Raises:
            ConfigError: unknown strategy, or no parameter given.
        """
        self._known_strategy(name)
        if not params:
            raise ConfigError(f"No parameter changes for {name!r}; edit a value first.")
        return self._submit("set_param", {"strategy": name, "params": dict(params)})

    def set_limit(self, name: str, value: str, *, current: Mapping[str, Any] | None = None) -> int:
        """Ask the engine to change one risk limit; returns the command id.

        The value is checked against the same rules the engine applies (``change_limit``),
        so a typo is reported here instead of failing in the engine.

        Raises:
            ConfigError: unknown limit, unparsable value, or inconsistent limits.
        """
        base = limits_from_settings_like(current)
        change_limit(base, name, value, actor=self.actor)
        return self._submit("set_limit", {"name": name, "value": str(value)})

    def reset_breaker(self) -> int:
        """Ask the engine to reset a tripped circuit breaker; returns the command id."""
        return self._submit("reset_breaker", {})

    def kill(self, *, confirmation: str, flatten: bool) -> int:
        """Trip the kill switch (and flatten every position when ``flatten``).

        Raises:
            ControlRefused: ``confirmation`` is not exactly ``KILL``.
        """
        if confirmation.strip() != KILL_CONFIRMATION:
            ledger.audit(self.store, actor=self.actor, action="refused:kill",
                         detail={"flatten": flatten, "reason": "not confirmed"})
            raise ControlRefused(
                f"Kill switch not confirmed: type {KILL_CONFIRMATION} to confirm "
                f"(got {confirmation!r}).", actor=self.actor, command="kill")
        return self._submit("kill", {"flatten": bool(flatten)})


def limits_from_settings_like(current: Mapping[str, Any] | None) -> Any:
    """``RiskLimits`` from limit values as published by the engine (``{field: str(value)}``).

    Only scalar limits are taken over; sets and mappings (mints, groups) keep their defaults,
    because their published text (``"['USDC', 'USDT']"``) is a display form, not an input
    form, and a scalar change is validated against the scalars alone.
    """
    from workbench.config import RiskSettings
    from workbench.risk import RiskLimits

    base = limits_from_settings(RiskSettings())
    if not current:
        return base
    overrides: dict[str, Any] = {}
    for f in dataclasses.fields(RiskLimits):
        value = current.get(f.name)
        if value is None or str(f.type) not in {"Decimal", "int", "bool"}:
            continue
        overrides[f.name] = value
    try:
        return limits_from_settings(RiskSettings(), **overrides)
    except ConfigError:
        return base

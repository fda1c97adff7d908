"""The control plane: commands from the dashboard and ``workbench ctl``, applied within a second.

Commands travel through the store (``ledger.submit_command``, which also audits who and when;
the engine claims them every ``poll_s``) or, when ``engine.redis_url`` is set, additionally
through the Redis Stream ``workbench:control`` (``XADD`` by the client, ``XREAD BLOCK`` by the
engine, so they apply in milliseconds). Every applied command is recorded: store commands get
their status and result (``finish_command``), Redis commands are written to the audit log with
their actor when applied, and both are published on the bus (topic ``command``).

Vocabulary (``command`` -> ``args``):

==================  ===========================================================
``start``           ``{"name": strategy}`` (alias ``start_strategy``, ``{"strategy": ...}``)
``stop``            ``{"name": strategy}`` (alias ``stop_strategy``)
``set_param``       ``{"name": strategy, "params": {key: value, ...}}``
``set_limit``       ``{"limits": {field: value, ...}}`` or ``{"name": field, "value": v}``
``reset_breaker``   ``{}``
``kill``            ``{"flatten": bool}``: halt, cancel pending, optionally sell all
==================  ===========================================================

Dashes are accepted for underscores (``set-param``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from workbench.errors import ConfigError
from workbench.store import Store, ledger

__all__ = ["COMMANDS", "CONTROL_STREAM", "ControlPlane", "normalise", "submit"]

log = logging.getLogger(__name__)

CONTROL_STREAM = "workbench:control"
COMMANDS = ("start", "stop", "set_param", "set_limit", "reset_breaker", "kill")
#: The dashboard's names for the same commands.
ALIASES = {"start_strategy": "start", "stop_strategy": "stop", "set_params": "set_param",
           "set_limits": "set_limit"}

Apply = Callable[[str, Mapping[str, Any], str], Awaitable[tuple[bool, str]]]


def normalise(command: str) -> str:
    """The canonical command name.

    Raises:
        ConfigError: unknown command (lists the known ones).
    """
    name = command.strip().lower().replace("-", "_")
    name = ALIASES.get(name, name)
    if name not in COMMANDS:
        raise ConfigError(f"Unknown control command {command!r}; known: {', '.join(COMMANDS)}.",
                          setting="command")
    return name


def submit(store: Store, *, actor: str, command: str, args: Mapping[str, Any] | None = None,
           redis_url: str = "") -> int:
    """Queue a command for the engine (audited in the store; also sent via Redis if set).

    Returns:
        The command's id in the store.
    """
    name = normalise(command)
    cid = ledger.submit_command(store, actor=actor, command=name, args=dict(args or {}))
    if redis_url:
        import redis

        client = redis.Redis.from_url(redis_url)
        try:
            client.xadd(CONTROL_STREAM, {"id": str(cid), "actor": actor, "command": name,
                                         "args": json.dumps(dict(args or {}), default=str),
                                         "ts": str(time.time_ns())}, maxlen=1000,
                        approximate=True)
        finally:
            client.close()
    return cid


class ControlPlane:
    """Claims commands and hands them to the engine's ``apply``.

    Args:
        store: the ledger store.
        apply: ``(command, args, actor) -> (ok, result)``.
        poll_s: how often the store is polled.
        redis_url: also listen on the Redis control stream.
        on_applied: ``(command, ok, actor)`` callback (metrics, bus).
    """

    def __init__(self, store: Store, apply: Apply, *, poll_s: float = 0.2,
                 redis_url: str = "",
                 on_applied: Callable[[str, bool, str, str], Any] | None = None) -> None:
        self.store = store
        self.apply = apply
        self.poll_s = poll_s
        self.redis_url = redis_url
        self.on_applied = on_applied
        self.applied = 0
        self._done_ids: set[int] = set()

    async def _apply_one(self, command: str, args: Mapping[str, Any], actor: str) -> tuple[
            bool, str]:
        try:
            name = normalise(command)
            ok, result = await self.apply(name, args, actor)
        except Exception as exc:  # a bad command is a failed command, not a dead engine
            ok, result, name = False, f"{type(exc).__name__}: {exc}", command
        self.applied += 1
        if self.on_applied is not None:
            self.on_applied(name, ok, actor, result)
        return ok, result

    async def poll_store_once(self) -> int:
        """Apply every pending store command; returns how many."""
        cmds = ledger.claim_commands(self.store)
        for cmd in cmds:
            if cmd["id"] in self._done_ids:  # already applied from Redis
                continue
            self._done_ids.add(cmd["id"])
            ok, result = await self._apply_one(cmd["command"], cmd["args"], cmd["actor"])
            ledger.finish_command(self.store, cmd["id"], ok=ok, result=result)
        return len(cmds)

    async def run_store(self) -> None:
        """Poll the store until cancelled."""
        while True:
            await self.poll_store_once()
            await asyncio.sleep(self.poll_s)

    async def run_redis(self) -> None:
        """Read the Redis control stream until cancelled (errors propagate to the supervisor)."""
        import redis.asyncio as aioredis

        client = aioredis.from_url(self.redis_url)
        last = "$"
        try:
            while True:
                resp = await client.xread({CONTROL_STREAM: last}, block=200, count=50)
                for _stream, entries in resp or []:
                    for entry_id, fields in entries:
                        last = entry_id
                        f = {k.decode(): v.decode() for k, v in fields.items()}
                        cid = int(f.get("id", "0") or 0)
                        if cid and cid in self._done_ids:
                            continue  # the store poller got it first
                        if cid:
                            self._done_ids.add(cid)
                        args = json.loads(f.get("args", "{}"))
                        ok, result = await self._apply_one(f["command"], args,
                                                           f.get("actor", "redis"))
                        if cid:
                            ledger.finish_command(self.store, cid, ok=ok, result=result)
                        else:
                            ledger.audit(self.store, actor=f.get("actor", "redis"),
                                         action=f"command:{f['command']}",
                                         detail={"args": args, "via": "redis", "ok": ok,
                                                 "result": result})
        finally:
            await client.aclose()

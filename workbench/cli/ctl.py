"""``workbench ctl``: control a running engine through the store (and Redis when configured).

Every command is queued with ``ledger.submit_command`` (which audits who and when) and applied
by the engine within a second; ``--wait`` (default) waits for its result.
"""

from __future__ import annotations

import getpass
import json
import time
from typing import Annotated, Any

import typer

from workbench.errors import ConfigError, ControlRefused, WorkbenchError

__all__ = ["app"]

app = typer.Typer(help="Control the running engine: status, start/stop strategies, limits, "
                  "breaker, kill switch.", no_args_is_help=True)


def _store() -> Any:
    from workbench.cli import settings_from
    from workbench.store import open_store

    settings = settings_from()
    store = open_store(settings)
    store.require_current()
    return settings, store


def _kv(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ConfigError(f"Expected key=value, got {pair!r}.", setting=pair)
        out[key.strip()] = value.strip()
    return out


def _send(command: str, args: dict[str, Any], wait: bool, timeout_s: float = 5.0) -> None:
    from workbench.live.control import submit
    from workbench.store import ledger

    settings, store = _store()
    actor = f"cli:{getpass.getuser()}"
    cid = submit(store, actor=actor, command=command, args=args,
                 redis_url=settings.engine.redis_url)
    typer.echo(f"queued {command} (id {cid}) as {actor}")
    if not wait:
        return
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        cmds = ledger.load_commands(store, limit=50)
        row = cmds[cmds["id"] == cid]
        if len(row) and row["status"].iloc[0] in ("applied", "failed"):
            if row["status"].iloc[0] == "failed":
                # an error, not typer.Exit: the CLI prints it as one line and exits 1
                raise WorkbenchError(f"failed: {row['result'].iloc[0]}")
            typer.echo(f"applied: {row['result'].iloc[0]}")
            return
        time.sleep(0.1)
    raise WorkbenchError(f"Command {cid} not applied within {timeout_s:.0f}s; is the engine "
                         "running (`workbench ctl status`)?")


_WAIT = typer.Option("--wait/--no-wait", help="Wait for the engine to apply it.")


@app.command("status")
def status(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Engine heartbeat, breaker and strategies."""
    from workbench.store import ledger

    _settings, store = _store()
    out = {k: ledger.get_state(store, k) for k in ("heartbeat", "breaker", "strategies",
                                                    "limits")}
    if as_json:
        typer.echo(json.dumps(out, indent=2, default=str))
        return
    beat = out["heartbeat"]
    if beat is None:
        typer.echo("engine: never ran against this store")
    else:
        age = (time.time_ns() - int(beat["ts_updated"])) / 1e9
        typer.echo(f"engine: {'running' if age < 15 else 'not running'} (heartbeat {age:.1f}s "
                   f"ago, pid {beat.get('pid')}, {beat.get('bars')} bars, mode "
                   f"{beat.get('mode')})")
    br = out["breaker"] or {}
    typer.echo(f"breaker: {br.get('trading_state', br.get('state', 'unknown'))} "
               f"{br.get('reason') or ''} {br.get('detail') or ''}".rstrip())
    configs = ledger.load_strategy_configs(store)
    reported = out["strategies"] or {}
    for row in configs.itertuples(index=False):
        info = reported.get(row.name, {})
        typer.echo(f"  {row.name:<12} {row.kind:<10} {row.symbol:<10} "
                   f"{info.get('status', 'enabled' if row.enabled else 'stopped'):<10} "
                   f"position {info.get('position', '-')} params {json.dumps(row.params)}")


@app.command("start")
def start(name: str, wait: Annotated[bool, _WAIT] = True) -> None:
    """Start strategy NAME."""
    _send("start", {"name": name}, wait)


@app.command("stop")
def stop(name: str, wait: Annotated[bool, _WAIT] = True) -> None:
    """Stop strategy NAME."""
    _send("stop", {"name": name}, wait)


@app.command("set-param")
def set_param(name: str, pairs: Annotated[list[str], typer.Argument(help="key=value ...")],
              wait: Annotated[bool, _WAIT] = True) -> None:
    """Change parameters of strategy NAME (its state restarts)."""
    _send("set_param", {"name": name, "params": _kv(pairs)}, wait)


@app.command("set-limit")
def set_limit(pairs: Annotated[list[str], typer.Argument(help="limit=value ...")],
              wait: Annotated[bool, _WAIT] = True) -> None:
    """Change risk limits (audited)."""
    _send("set_limit", {"limits": _kv(pairs)}, wait)


@app.command("reset-breaker")
def reset_breaker(wait: Annotated[bool, _WAIT] = True) -> None:
    """Return a tripped circuit breaker to active."""
    _send("reset_breaker", {}, wait)


@app.command("kill")
def kill(flatten: Annotated[bool, typer.Option("--flatten", help="Also sell every position."
                                               )] = False,
         yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
         wait: Annotated[bool, _WAIT] = True) -> None:
    """Kill switch: halt trading, stop every strategy, optionally flatten."""
    if not yes and not typer.confirm(
            f"Pull the kill switch{' and flatten all positions' if flatten else ''}?"):
        raise ControlRefused("Kill switch not pulled: not confirmed (pass --yes to skip the "
                             "question).", actor=f"cli:{getpass.getuser()}", command="kill")
    _send("kill", {"flatten": flatten}, wait)

"""``workbench dashboard``: serve the Panel dashboard, and hash passwords for its users."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from workbench.cli import settings_from

app = typer.Typer(help="The live dashboard: serve it, or hash a password for a user.",
                  invoke_without_command=True)

_ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="TOML config file.")]


def _serve(config: Path | None, port: int | None, show: bool, origin: list[str] | None) -> None:
    from workbench.dashboard import serve_dashboard

    settings = settings_from(config)
    users = bool(settings.dashboard.users)
    chosen = settings.dashboard.port if port is None else port
    where = f"http://{'0.0.0.0' if users else '127.0.0.1'}:{chosen}/"
    note = "login required" if users else "no users configured: 127.0.0.1 only, no login"
    typer.echo(f"dashboard at {where} ({note}); Ctrl-C stops it")
    live = ("engine events from Redis (engine.redis_url), store polling as fallback"
            if settings.engine.redis_url else "store polling (set engine.redis_url for events)")
    typer.echo(f"live updates: {live}")
    serve_dashboard(settings, port, show=show, origins=origin or ())


@app.callback()
def _default(
    ctx: typer.Context,
    config: _ConfigOpt = None,
    port: Annotated[int | None, typer.Option("--port", help="TCP port (default: "
                                             "dashboard.port).")] = None,
) -> None:
    """Serve the dashboard when no subcommand is given."""
    if ctx.invoked_subcommand is None:
        _serve(config, port, False, None)


@app.command()
def serve(
    config: _ConfigOpt = None,
    port: Annotated[int | None, typer.Option("--port", help="TCP port (default: "
                                             "dashboard.port).")] = None,
    show: Annotated[bool, typer.Option("--show", help="Open a browser tab.")] = False,
    origin: Annotated[list[str] | None, typer.Option(
        "--origin", help="Extra host[:port] browsers may connect from (repeat).")] = None,
) -> None:
    """Serve the dashboard until Ctrl-C (login required when dashboard.users is set)."""
    _serve(config, port, show, origin)


@app.command("hash")
def hash_cmd(
    password: Annotated[str, typer.Argument(help="The password to hash.")],
    scheme: Annotated[str, typer.Option("--scheme", help="argon2 (default) or pbkdf2.")
                      ] = "argon2",
) -> None:
    """Print a password hash for settings.dashboard.users (the password is not stored)."""
    from workbench.dashboard.auth import hash_password

    typer.echo(hash_password(password, scheme=scheme))

"""The ``workbench`` command line.

Every area adds its commands as a module ``workbench/cli/<area>.py`` exposing ``app``; they are
registered here as ``workbench <area> ...``. Errors the workbench raises on purpose print one
line and exit non-zero (the code names the kind); ``--debug`` shows the traceback.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import pkgutil
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from workbench import __version__
from workbench.config import Settings, load_settings
from workbench.errors import (
    ConfigError,
    DataError,
    KeystoreError,
    StoreError,
    WorkbenchError,
)

__all__ = ["app", "exit_code", "main", "settings_from"]

app = typer.Typer(
    name="workbench",
    help="Solana Trading Workbench: research, backtest and trade Solana DEXs.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
config_app = typer.Typer(help="Show and check configuration.", no_args_is_help=True)
db_app = typer.Typer(help="The ledger database.", no_args_is_help=True)
app.add_typer(config_app, name="config")
app.add_typer(db_app, name="db")

_STATE: dict[str, Any] = {"debug": False, "config": None}

#: Exit codes by error kind, so scripts can react without parsing messages.
EXIT_CODES: dict[type[WorkbenchError], int] = {
    ConfigError: 2,
    StoreError: 3,
    DataError: 4,
    KeystoreError: 5,
}


def exit_code(exc: WorkbenchError) -> int:
    """The process exit code for an error (1 when no more specific code applies)."""
    for kind, code in EXIT_CODES.items():
        if isinstance(exc, kind):
            return code
    return 1


def settings_from(config: Path | None = None) -> Settings:
    """Settings for a command: ``--config`` of the command, else the global one, else defaults."""
    return load_settings(config or _STATE["config"])


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
    config: Annotated[
        Path | None, typer.Option(
            "--config", "-c", help="TOML config file (for the whole process, as WORKBENCH_CONFIG).")
    ] = None,
) -> None:
    _STATE["debug"] = debug
    _STATE["config"] = config
    if config is not None:
        # the whole process (a strategy reading the model registry, a job's notebook kernel)
        # then loads the same file as the command, not ./workbench.toml or nothing
        os.environ["WORKBENCH_CONFIG"] = str(config.resolve())
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@app.command()
def version() -> None:
    """Print the workbench version."""
    typer.echo(f"solana-workbench {__version__}")


@config_app.command("show")
def config_show(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print the effective settings, secrets masked."""
    settings = settings_from()
    dump = settings.masked()
    if as_json:
        typer.echo(json.dumps(dump, indent=2, default=str))
        return
    for section, values in dump.items():
        if isinstance(values, dict):
            for key, value in values.items():
                typer.echo(f"{section}.{key} = {value!r}")
        else:
            typer.echo(f"{section} = {values!r}")
    typer.echo(f"# database: {settings.database_url.split('@')[-1]}")


@config_app.command("reference")
def config_reference() -> None:
    """Print every setting as a Markdown table (the README's configuration reference)."""
    typer.echo(Settings.reference(), nl=False)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the ledger database to the newest schema."""
    from workbench.store import open_store

    store = open_store(settings_from())
    status = store.upgrade()
    typer.echo(f"{store.url}: schema at {status.current} ({status.backend}"
               f"{', timescaledb' if status.timescaledb else ''})")


@db_app.command("status")
def db_status() -> None:
    """Show the schema revision and what is stored."""
    from workbench.store import candle_summary, open_store

    store = open_store(settings_from())
    status = store.check_version()
    state = "up to date" if status.is_current else "needs `workbench db upgrade`"
    typer.echo(f"{store.url}: revision {status.current} of {status.head} ({state})")
    if status.current is not None:
        summary = candle_summary(store)
        typer.echo(summary.to_string(index=False) if len(summary) else "no candles stored")


def _register_subcommands() -> None:
    """Add every ``workbench/cli/<area>.py`` that exposes ``app``."""
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        sub = getattr(module, "app", None)
        if isinstance(sub, typer.Typer):
            app.add_typer(sub, name=info.name)
        register = getattr(module, "register", None)
        if callable(register):
            register(app)


_register_subcommands()


def main(argv: list[str] | None = None) -> int:
    """Console entry point: run the CLI, turning workbench errors into one line and a code."""
    try:
        rc = app(args=argv, standalone_mode=False)
    except WorkbenchError as exc:
        if _STATE["debug"]:
            raise
        typer.secho(f"error: {exc}", err=True, fg=typer.colors.RED)
        return exit_code(exc)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # click usage errors and the unexpected
        import click

        if isinstance(exc, click.exceptions.Exit | typer.Exit):
            return int(exc.exit_code)
        if isinstance(exc, click.ClickException):
            exc.show()
            return int(exc.exit_code)
        if isinstance(exc, click.exceptions.Abort | typer.Abort):
            return 130
        if _STATE["debug"]:
            raise
        typer.secho(f"error: unexpected {type(exc).__name__}: {exc} (rerun with --debug for the "
                    "traceback)", err=True, fg=typer.colors.RED)
        return 1
    return rc if isinstance(rc, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

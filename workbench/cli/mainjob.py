"""``workbench run``: the main job: migrate, start the engine (paper by default) and the dashboard.

``make run`` is ``workbench run --demo``: SQLite in ``data/``, the shipped real SOL/USDT 5m
bars replayed onto LiteSVM pools, the grid and arbitrage strategies, the dashboard when it is
installed, ``/metrics`` and ``/health``; Ctrl-C (or SIGTERM) stops everything cleanly.
"""

from __future__ import annotations

import asyncio
import errno
import socket
from pathlib import Path
from typing import Annotated, Any

import typer

from workbench.errors import ConfigError
from workbench.samples import SAMPLES, load_sample

__all__ = ["check_port", "load_samples_into_store", "register"]


def check_port(port: int, *, setting: str, flag: str, what: str) -> None:
    """Refuse early, in one line, when ``port`` is already taken (0 means any free port).

    Raises:
        ConfigError: the port is in use, naming ``setting`` and ``flag`` to change it.
    """
    if port == 0:
        return
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("0.0.0.0", port))  # probing only: closed at once
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
            env = "WORKBENCH_" + setting.upper().replace(".", "__")
            raise ConfigError(
                f"Port {port} for {what} is already in use (another `workbench run`?). Set "
                f"{setting} ({env}) to a free port, or pass {flag} PORT (0 picks a free one).",
                setting=setting) from None


def load_samples_into_store(store: object) -> int:
    """Store every shipped sample series (idempotent); returns rows newly stored."""
    from workbench.store import Store, save_candles

    assert isinstance(store, Store)
    written = 0
    for symbol, timeframe in SAMPLES:
        frame = load_sample(symbol, timeframe)
        source = "binance" if symbol.endswith("/USDT") else "freqtrade-testdata"
        written += save_candles(store, frame, source=source, symbol=symbol, timeframe=timeframe)
    return written


def _start_dashboard(settings: Any, port: int | None) -> Any:
    """Serve the dashboard from a thread when the dashboard package is importable."""
    try:
        from workbench.dashboard import serve_dashboard
    except ImportError as exc:
        typer.echo(f"dashboard: unavailable ({exc})")
        return None
    try:
        return serve_dashboard(settings, port, threaded=True)
    except Exception as exc:  # the engine runs without a dashboard
        typer.echo(f"dashboard: failed to start ({type(exc).__name__}: {exc})")
        return None


def run(
    config: Annotated[Path | None, typer.Option("--config", "-c", help="TOML config.")] = None,
    demo: Annotated[bool, typer.Option("--demo", help="Embedded defaults: SQLite, shipped "
                                       "data, paper mode, grid + arbitrage.")] = False,
    no_dashboard: Annotated[bool, typer.Option("--no-dashboard",
                                               help="Do not start the dashboard.")] = False,
    duration: Annotated[float | None, typer.Option("--duration", help="Stop after S seconds."
                                                   )] = None,
    speed: Annotated[float | None, typer.Option("--speed", help="Replay multiplier (0 = as "
                                                "fast as possible).")] = None,
    bars: Annotated[int | None, typer.Option("--bars", help="Replay only the first N bars."
                                             )] = None,
    metrics_port: Annotated[int | None, typer.Option(
        "--metrics-port", help="Port of /metrics and /health (default engine.metrics_port; "
        "0 = any free port).")] = None,
    dashboard_port: Annotated[int | None, typer.Option(
        "--dashboard-port", help="Dashboard port (default dashboard.port; 0 = any free "
        "port).")] = None,
) -> None:
    """Start the trading engine (paper mode on replayed real data unless configured live).

    Live mode (``engine.mode = "live"``, ``engine.live_opt_in = true`` and
    ``execution.keystore_path``) asks for the keystore passphrase unless
    ``WORKBENCH_KEYSTORE_PASSPHRASE`` is set.
    """
    from workbench.cli import settings_from
    from workbench.live import Engine, EngineConfig
    from workbench.store import open_store

    settings = settings_from(config)
    check_port(settings.engine.metrics_port if metrics_port is None else metrics_port,
               setting="engine.metrics_port", flag="--metrics-port", what="/metrics")
    if not no_dashboard:
        check_port(settings.dashboard.port if dashboard_port is None else dashboard_port,
                   setting="dashboard.port", flag="--dashboard-port", what="the dashboard")
    store = open_store(settings)
    status = store.upgrade()
    typer.echo(f"store: {store.url} (schema {status.current})")
    new = load_samples_into_store(store)
    typer.echo(f"sample data: {new} new candle rows stored")
    if demo and speed is None:
        speed = 120.0  # a 5m bar every 2.5 s: trades show up on the dashboard quickly
    engine = Engine(settings, store=store, config=EngineConfig(
        speed=speed, max_bars=bars, stop_at_end=bars is not None, metrics_port=metrics_port,
        price_source=settings.engine.price_source, use_jito=settings.engine.use_jito))
    dashboard = None if no_dashboard else _start_dashboard(settings, dashboard_port)

    async def main() -> None:
        await engine.start()
        typer.echo(f"engine: {engine.mode} mode, strategies "
                   f"{', '.join(n for n, s in engine.slots.items() if s.enabled) or 'none'}; "
                   f"wallet {engine.market.owner if engine.market else '-'}")
        if engine.recovery is not None and any(engine.recovery.as_dict().values()):
            typer.echo(f"recovery: {engine.recovery.as_dict()}")
        if engine.metrics_server is not None:
            typer.echo(f"metrics: {engine.metrics_server.url}/metrics  health: "
                       f"{engine.metrics_server.url}/health")
        if dashboard is not None:
            where = "" if not dashboard.is_local_only else " (no users configured: localhost only)"
            typer.echo(f"dashboard: {dashboard.url}{where}")
        typer.echo("press Ctrl-C to stop")

    async def runner() -> None:
        import contextlib
        import signal

        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, engine.stop, f"signal {sig.name}")
        try:
            await main()
            if duration is not None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(engine._stop.wait(), duration)
                engine.stop(f"--duration {duration:g}s reached")
            else:
                await engine._stop.wait()
        finally:
            await engine.shutdown()

    try:
        asyncio.run(runner())
    finally:
        if dashboard is not None:
            dashboard.stop()
    typer.echo(f"stopped ({engine.stop_reason}); {engine.bars_done} bars processed")


def register(app: typer.Typer) -> None:
    """Add ``workbench run``."""
    app.command("run")(run)

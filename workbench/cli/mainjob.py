"""``workbench run``: the main job (grows into the paper engine and dashboard)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from workbench.samples import SAMPLES, load_sample

__all__ = ["load_samples_into_store", "register"]


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


def run(
    config: Annotated[Path | None, typer.Option("--config", "-c", help="TOML config.")] = None,
    demo: Annotated[bool, typer.Option("--demo", help="Embedded defaults: SQLite, shipped "
                                       "data, paper mode.")] = False,
) -> None:
    """Migrate the store, load the shipped sample data, and show what is stored."""
    from workbench.cli import settings_from
    from workbench.store import candle_summary, open_store

    settings = settings_from(config)
    store = open_store(settings)
    status = store.upgrade()
    typer.echo(f"store: {store.url} (schema {status.current})")
    new = load_samples_into_store(store)
    typer.echo(f"sample data: {new} new rows stored")
    typer.echo(candle_summary(store).to_string(index=False))


def register(app: typer.Typer) -> None:
    """Add ``workbench run``."""
    app.command("run")(run)

"""``workbench data``: import, backfill, collect and load market data.

Bars go to the Parquet lake (what ``workbench.data.load`` reads) and, unless ``--no-store`` is
given, to the ledger store's candles table too (what dashboards and ``load_candles`` read). The
store is the configured database (``WORKBENCH_DATABASE__URL``, SQLite in ``data.dir`` by
default); a new, empty database is migrated first, an older one must be upgraded with
``workbench db upgrade``.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from functools import partial
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from workbench.cli import settings_from
from workbench.data.collect import backfill_ohlcv, collect_ticks
from workbench.data.files import parse_freqtrade_name, read_ohlcv_file
from workbench.data.loading import load
from workbench.data.quality import check_bars
from workbench.errors import ConfigError, DataError
from workbench.store.candles import save_candles
from workbench.store.db import Store
from workbench.store.lake import Lake, LakeKey

app = typer.Typer(help="Import, backfill, collect and load market data.", no_args_is_help=True)

_ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="TOML config file.")]
_LakeOpt = Annotated[
    Path | None, typer.Option("--lake", help="Lake root (default <data.dir>/lake).")
]
_StoreOpt = Annotated[
    bool, typer.Option("--store/--no-store",
                       help="Also write bars to the ledger store (the configured database).")
]


def _lake(lake: Path | None, config: Path | None) -> Lake:
    if lake is not None:
        return Lake(lake)
    return Lake(Path(settings_from(config).data.dir) / "lake")


def _store(enabled: bool, config: Path | None) -> Store | None:
    """The configured ledger store, migrated if brand new; None with ``--no-store``."""
    if not enabled:
        return None
    from workbench.store import open_store

    store = open_store(settings_from(config))
    if store.status().current is None:
        store.upgrade()
    else:
        store.require_current()
    return store


def _sinks(store: Store | None) -> tuple[str, ...]:
    return ("lake", "store") if store is not None else ("lake",)


def _written(by_sink: dict[str, int]) -> str:
    return ", ".join(f"{n} new in the {sink}" for sink, n in by_sink.items())


@app.command("import")
def import_file(
    file: Annotated[Path, typer.Argument(help="CSV, Parquet, freqtrade .feather or .json(.gz).")],
    symbol: Annotated[
        str | None, typer.Option(help="Pair, e.g. SOL/USDT (default: from name).")
    ] = None,
    timeframe: Annotated[str | None, typer.Option(help="e.g. 5m (default: from name).")] = None,
    source: Annotated[str, typer.Option(help="Source name in the lake and store.")] = "file",
    lake: _LakeOpt = None,
    store: _StoreOpt = True,
    config: _ConfigOpt = None,
) -> None:
    """Import an OHLCV file into the lake and store (idempotent; bad rows are not stored)."""
    if symbol is None or timeframe is None:
        sym, tf = parse_freqtrade_name(file)
        symbol, timeframe = symbol or sym, timeframe or tf
    db = _store(store, config)  # opened first: a store that cannot be used fails before any write
    bars = read_ohlcv_file(file)
    report = check_bars(bars)
    written = _lake(lake, config).write(report.accepted,
                                        LakeKey(source=source, symbol=symbol, timeframe=timeframe))
    in_store = ""
    if db is not None:
        try:
            n = save_candles(db, report.accepted, source=source, symbol=symbol,
                             timeframe=timeframe) if len(report.accepted) else 0
        finally:
            db.dispose()
        in_store = f" ({n} new in the store)"
    typer.echo(f"{file.name}: {len(bars)} rows read, {written} new rows stored as "
               f"{source}/{symbol}/{timeframe}{in_store}, {report.rejected_total} rejected "
               f"{ {k: v for k, v in report.rejected.items() if v} or ''}".rstrip())


@app.command("load")
def load_cmd(
    symbol: Annotated[str, typer.Argument(help="Pair, e.g. SOL/USDT.")],
    timeframe: Annotated[str, typer.Argument(help="e.g. 5m.")],
    start: Annotated[str | None, typer.Option(help="UTC start, inclusive.")] = None,
    end: Annotated[str | None, typer.Option(help="UTC end, exclusive.")] = None,
    source: Annotated[str | None, typer.Option(help="Source, when several hold the pair.")] = None,
    rows: Annotated[int, typer.Option(help="Rows to show from each end.")] = 5,
    lake: _LakeOpt = None,
    config: _ConfigOpt = None,
) -> None:
    """Show stored bars (first and last rows and a count)."""
    bars = load(symbol, timeframe, start, end, source, lake=_lake(lake, config))
    typer.echo(f"{symbol} {timeframe}: {len(bars)} bars {bars.index[0]} .. {bars.index[-1]}")
    with pd.option_context("display.width", 120):
        typer.echo(pd.concat([bars.head(rows), bars.tail(rows)]).to_string())


@app.command("backfill")
def backfill(
    symbol: Annotated[str, typer.Argument(help="Pair name to store under, e.g. SOL/USDC.")],
    address: Annotated[str, typer.Option(help="Token mint to fetch (Birdeye address).")],
    timeframe: Annotated[str, typer.Option(help="Bar timeframe.")] = "5m",
    start: Annotated[str, typer.Option(help="UTC start.")] = "2024-01-01",
    end: Annotated[str | None, typer.Option(help="UTC end (default: now).")] = None,
    lake: _LakeOpt = None,
    store: _StoreOpt = True,
    config: _ConfigOpt = None,
) -> None:
    """Backfill Birdeye OHLCV into the lake (and store), resuming after the newest stored bar."""
    from workbench.data.sources.birdeye import BirdeyeClient, BirdeyeConfig

    settings = settings_from(config)
    key = settings.data.birdeye_api_key
    if key is None:
        raise ConfigError("Backfill from Birdeye needs data.birdeye_api_key "
                          "(WORKBENCH_DATA__BIRDEYE_API_KEY).", setting="data.birdeye_api_key")
    cfg = BirdeyeConfig(api_key=key.get_secret_value(), base_url=settings.data.birdeye_base_url,
                        requests_per_s=settings.data.requests_per_s)
    stop_at = end or pd.Timestamp.now(tz="UTC").floor("min").isoformat()

    db = _store(store, config)

    async def run() -> None:
        client = BirdeyeClient(cfg)
        try:
            res = await backfill_ohlcv(partial(client.fetch_ohlcv, address, timeframe),
                                       _lake(lake, config),
                                       LakeKey(source="birdeye", symbol=symbol,
                                               timeframe=timeframe),
                                       start=start, end=stop_at, store=db, sinks=_sinks(db))
        finally:
            await client.aclose()
            if db is not None:
                db.dispose()
        typer.echo(f"{symbol} {timeframe}: {res.written} new bars "
                   f"({_written(res.written_by_sink)}), rejected {res.rejected or 0}"
                   + (f", resumed after {res.resumed_from}" if res.resumed_from else ""))

    asyncio.run(run())


@app.command("collect")
def collect(
    symbol: Annotated[str, typer.Argument(help="Name to store ticks under, e.g. SOL/USD.")],
    mint: Annotated[str, typer.Option(help="Mint whose Jupiter USD price is polled.")],
    interval: Annotated[float, typer.Option(help="Seconds between polls.")] = 5.0,
    polls: Annotated[
        int | None, typer.Option(help="Stop after N polls (default: until Ctrl-C).")
    ] = None,
    bar: Annotated[str, typer.Option(help="Bar length written to the store.")] = "1m",
    lake: _LakeOpt = None,
    store: _StoreOpt = True,
    config: _ConfigOpt = None,
) -> None:
    """Poll Jupiter's USD price as ticks into the lake (and closed bars into the store)."""
    from workbench.data.sources.jupiter import JupiterClient, JupiterConfig

    settings = settings_from(config)
    if interval <= 0:
        raise DataError(f"--interval {interval} must be > 0 seconds.")
    db = _store(store, config)

    async def run() -> None:
        key = settings.data.jupiter_api_key
        client = JupiterClient(JupiterConfig(base_url=settings.data.jupiter_base_url,
                                             api_key=key.get_secret_value() if key else None,
                                             requests_per_s=settings.data.requests_per_s))
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signal.SIGINT, stop.set)

        async def poll() -> pd.DataFrame:
            prices = [p for p in await client.fetch_prices([mint]) if p.mint == mint]
            index = pd.to_datetime([p.ts_init for p in prices], unit="ns", utc=True)
            return pd.DataFrame({"price": [float(p.usd_price) for p in prices]},
                                index=pd.DatetimeIndex(index, name="date"))

        try:
            res = await collect_ticks(poll, _lake(lake, config),
                                      LakeKey(source="jupiter", symbol=symbol, timeframe="tick"),
                                      interval_s=interval, stop=stop,
                                      max_jump_pct=settings.data.max_jump_pct, max_polls=polls,
                                      store=db, sinks=_sinks(db), store_timeframe=bar)
        finally:
            await client.aclose()
            if db is not None:
                db.dispose()
        bars = (f", {res.written_by_sink.get('store', 0)} closed {bar} bars in the store"
                if db is not None else "")
        typer.echo(f"{symbol}: {res.written} ticks stored{bars}, rejected {res.rejected or 0}")

    asyncio.run(run())

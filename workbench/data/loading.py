"""Loading stored market data for notebooks and the backtester, and the shipped sample.

``load`` reads only the local Parquet lake (never the network); use the collectors or
``workbench data import`` to fill it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from workbench.errors import DataError, DataUnavailable
from workbench.store.lake import Lake, LakeKey

__all__ = ["SAMPLE_DIR_ENV", "default_lake", "load", "sample_path"]

SAMPLE_DIR_ENV = "WORKBENCH_SAMPLE_DIR"
"""Environment variable naming another sample directory (the lead's ``workbench.samples`` reads
the same one). Unset, only the checkout's ``data/sample/`` is searched."""


def _sample_dir() -> Path:
    env = os.environ.get(SAMPLE_DIR_ENV)
    return Path(env) if env else Path(__file__).resolve().parents[2] / "data" / "sample"


def sample_path(name: str) -> Path:
    """Path of a shipped sample file, e.g. ``sample_path("SOL_USDT-5m.feather")``.

    Looks only in the repository's ``data/sample/`` (what a clean clone has), or in the
    directory named by ``$WORKBENCH_SAMPLE_DIR`` when that is set; never anywhere else, so
    tests and demos behave the same on every machine. ``.feather`` and ``.parquet`` are both
    accepted for a bare stem like ``"SOL_USDT-5m"``.

    Raises:
        DataUnavailable: the sample is not there, naming the directory searched.
    """
    folder = _sample_dir()
    candidates = [name] if Path(name).suffix else [f"{name}.feather", f"{name}.parquet"]
    for cand in candidates:
        p = folder / cand
        if p.exists():
            return p
    raise DataUnavailable(f"Sample {name!r} not found in {folder}. The shipped samples live in "
                          f"data/sample/ (see its PROVENANCE.md); set {SAMPLE_DIR_ENV} to use "
                          "another directory.")


def default_lake() -> Lake:
    """The lake under the configured data directory (``<data.dir>/lake``)."""
    from workbench.config import load_settings

    return Lake(Path(load_settings().data.dir) / "lake")


def load(
    symbol: str,
    timeframe: str,
    start: pd.Timestamp | str | None = None,
    end: pd.Timestamp | str | None = None,
    source: str | None = None,
    *,
    lake: Lake | str | Path | None = None,
    columns: list[str] | None = None,
) -> pd.DataFrame:
    """Stored bars of ``symbol`` at ``timeframe`` from the Parquet lake.

    Args:
        symbol: pair symbol, e.g. ``"SOL/USDC"``.
        timeframe: e.g. ``"5m"``.
        start / end: UTC bounds, ``start <= date < end``; strings are parsed by pandas.
        source: which source's series; may be omitted when only one source holds the pair.
        lake: a Lake or its root; defaults to ``<data.dir>/lake`` from the settings.
        columns: read only these value columns (e.g. ``["close"]``), which is faster.

    Returns:
        DataFrame indexed by UTC ``date`` with float64 ``open high low close volume`` (and any
        extra columns the series stores).

    Raises:
        DataUnavailable: nothing stored for that symbol, timeframe and range.
        DataError: several sources hold the pair and ``source`` was not given.

    Example:
        >>> bars = load("SOL/USDT", "5m", start="2024-03-01", end="2024-03-02")  # doctest: +SKIP
    """
    lk = lake if isinstance(lake, Lake) else Lake(lake) if lake is not None else default_lake()
    if source is None:
        sources = lk.sources_for(symbol, timeframe)
        if not sources:
            raise DataUnavailable(
                f"No {timeframe} bars for {symbol} in {lk.root}. Import a file with "
                f"`workbench data import FILE --symbol {symbol}` or run `workbench data backfill`.")
        if len(sources) > 1:
            raise DataError(f"{symbol} {timeframe} is stored from several sources {sources}; "
                            "pass source=... to choose one.")
        source = sources[0]
    return lk.read(LakeKey(source=source, symbol=symbol, timeframe=timeframe), start, end,
                   columns=columns)

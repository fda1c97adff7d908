"""Loading stored market data for notebooks and the backtester, and the shipped sample.

``load`` reads only the local Parquet lake (never the network); use the collectors or
``workbench data import`` to fill it.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from workbench.errors import DataError, DataUnavailable
from workbench.store.lake import Lake, LakeKey

__all__ = ["default_lake", "load", "sample_path"]

_REPO_ROOT = Path(__file__).resolve().parents[2]
_SAMPLE_DIRS = (
    _REPO_ROOT / "data" / "sample",
    Path("/work/shared/data/ohlcv/binance_2024"),
    Path("/work/shared/data/ohlcv/freqtrade"),
)


def sample_path(name: str) -> Path:
    """Path of a shipped sample file, e.g. ``sample_path("SOL_USDT-5m.feather")``.

    Looks in ``data/sample/`` of the repository first (the shipped copy), then in the shared
    real-data folders it was copied from (``.feather`` and ``.parquet`` are both accepted for a
    bare stem like ``"SOL_USDT-5m"``).

    Raises:
        DataUnavailable: the sample is nowhere to be found, listing where it looked.
    """
    candidates = [name] if Path(name).suffix else [f"{name}.feather", f"{name}.parquet"]
    for folder in _SAMPLE_DIRS:
        for cand in candidates:
            p = folder / cand
            if p.exists():
                return p
    looked = ", ".join(str(d) for d in _SAMPLE_DIRS)
    raise DataUnavailable(f"Sample {name!r} not found in {looked}. The shipped samples live in "
                          "data/sample/; see its PROVENANCE.md.")


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
) -> pd.DataFrame:
    """Stored bars of ``symbol`` at ``timeframe`` from the Parquet lake.

    Args:
        symbol: pair symbol, e.g. ``"SOL/USDC"``.
        timeframe: e.g. ``"5m"``.
        start / end: UTC bounds, ``start <= date < end``; strings are parsed by pandas.
        source: which source's series; may be omitted when only one source holds the pair.
        lake: a Lake or its root; defaults to ``<data.dir>/lake`` from the settings.

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
    return lk.read(LakeKey(source=source, symbol=symbol, timeframe=timeframe), start, end)

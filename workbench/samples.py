"""The real market data shipped with the workbench (``data/sample/``), for demos and tests.

See ``data/sample/PROVENANCE.md`` for where every file comes from.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from workbench.errors import DataUnavailable

__all__ = ["SAMPLES", "load_sample", "sample_dir", "sample_path"]

#: (symbol, timeframe) -> file name of the shipped OHLCV samples.
SAMPLES: dict[tuple[str, str], str] = {
    ("SOL/USDT", "5m"): "SOL_USDT-5m.feather",
    ("SOL/USDT", "1h"): "SOL_USDT-1h.feather",
    ("BTC/USDT", "1h"): "BTC_USDT-1h.feather",
    ("ETH/USDT", "1h"): "ETH_USDT-1h.feather",
    ("XRP/ETH", "1m"): "XRP_ETH-1m.feather",
    ("XRP/ETH", "5m"): "XRP_ETH-5m.feather",
}


def sample_dir() -> Path:
    """The sample directory: ``$WORKBENCH_SAMPLE_DIR`` or ``data/sample`` in the checkout."""
    env = os.environ.get("WORKBENCH_SAMPLE_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[1] / "data" / "sample"


def sample_path(name: str) -> Path:
    """Path of one shipped file, e.g. ``sample_path("SOL_USDT-5m.feather")``.

    Raises:
        DataUnavailable: the file is not there (names the directory searched).
    """
    path = sample_dir() / name
    if not path.exists():
        raise DataUnavailable(
            f"Sample file {name!r} is not in {sample_dir()}; set WORKBENCH_SAMPLE_DIR to the "
            "checkout's data/sample directory."
        )
    return path


def load_sample(symbol: str = "SOL/USDT", timeframe: str = "5m", *, bars: int | None = None
                ) -> pd.DataFrame:
    """A shipped OHLCV sample as a frame indexed by UTC ``ts``.

    Args:
        symbol / timeframe: one of :data:`SAMPLES`.
        bars: keep only the first ``bars`` rows (small data for tests and smoke runs).

    Raises:
        DataUnavailable: no such sample (lists those shipped).
    """
    try:
        name = SAMPLES[(symbol, timeframe)]
    except KeyError:
        known = ", ".join(f"{s} {t}" for s, t in SAMPLES)
        raise DataUnavailable(
            f"No shipped sample for {symbol} {timeframe}; shipped: {known}."
        ) from None
    frame = pd.read_feather(sample_path(name))
    frame = frame.rename(columns={"date": "ts"}).set_index("ts")
    frame.index = pd.DatetimeIndex(frame.index, name="ts").tz_convert("UTC")
    frame = frame[["open", "high", "low", "close", "volume"]].astype("float64")
    return frame.iloc[:bars] if bars is not None else frame

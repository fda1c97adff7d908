"""Birdeye responses -> OHLCV DataFrames (pure)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from workbench.data.sources._parsing import convert
from workbench.data.sources.birdeye.schemas import OhlcvResponse
from workbench.errors import SchemaError, VenueError

__all__ = ["BIRDEYE_TIMEFRAMES", "parse_ohlcv"]

BIRDEYE_TIMEFRAMES = {
    "1m": "1m", "3m": "3m", "5m": "5m", "15m": "15m", "30m": "30m", "1h": "1H", "2h": "2H",
    "4h": "4H", "6h": "6H", "12h": "12H", "1d": "1D",
}
"""Workbench timeframe -> Birdeye ``type`` parameter."""

OHLCV_COLUMNS = ["open", "high", "low", "close", "volume"]


def parse_ohlcv(body: Any) -> pd.DataFrame:
    """Parse ``/defi/ohlcv`` into an OHLCV frame.

    Returns:
        DataFrame indexed by UTC open time (``date``), float64 ``open high low close volume``,
        sorted, possibly empty.

    Raises:
        VenueError: ``success`` is false (the message says why, e.g. a bad address).
        SchemaError: fields missing or mistyped.
    """
    resp = convert(body, OhlcvResponse, source="birdeye.ohlcv")
    if not resp.success:
        raise VenueError(f"Birdeye refused the OHLCV request: {resp.message}", venue="birdeye",
                         payload=body)
    if resp.data is None:
        raise SchemaError("Birdeye OHLCV response has success=true but no data.",
                          source="birdeye.ohlcv", payload=body)
    items = resp.data.items
    arr = np.array([[i.o, i.h, i.l, i.c, i.v] for i in items], dtype=np.float64).reshape(-1, 5)
    index = pd.DatetimeIndex(
        pd.to_datetime(np.array([i.unixTime for i in items], dtype=np.int64), unit="s", utc=True),
        name="date",
    )
    return pd.DataFrame(arr, index=index, columns=OHLCV_COLUMNS).sort_index()

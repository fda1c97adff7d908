"""Birdeye ``/defi/ohlcv`` wire structs."""

from __future__ import annotations

import msgspec

__all__ = ["OhlcvData", "OhlcvItem", "OhlcvResponse"]


class OhlcvItem(msgspec.Struct, frozen=True):
    """One candle; ``unixTime`` is the open time in seconds."""

    o: float
    h: float
    l: float  # noqa: E741
    c: float
    v: float
    unixTime: int
    address: str | None = None
    type: str | None = None
    currency: str | None = None


class OhlcvData(msgspec.Struct, frozen=True):
    """The ``data`` object."""

    items: list[OhlcvItem]
    isScaledUiToken: bool | None = None


class OhlcvResponse(msgspec.Struct, frozen=True):
    """Envelope; ``success`` false carries a ``message``."""

    success: bool
    data: OhlcvData | None = None
    message: str | None = None

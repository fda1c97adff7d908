"""Hermes ``/v2/updates/price/latest`` wire structs (documented schema)."""

from __future__ import annotations

import msgspec

__all__ = ["BinaryUpdate", "HermesPriceFields", "ParsedPriceUpdate", "PriceUpdateResponse"]


class HermesPriceFields(msgspec.Struct, frozen=True):
    """A price with its confidence; integers as decimal strings, scaled by 10**expo."""

    price: str
    conf: str
    expo: int
    publish_time: int  # unix seconds


class ParsedMetadata(msgspec.Struct, frozen=True):
    """Where and when the update was produced."""

    slot: int | None = None  # Pythnet slot
    proof_available_time: int | None = None
    prev_publish_time: int | None = None


class ParsedPriceUpdate(msgspec.Struct, frozen=True):
    """One feed's update."""

    id: str  # feed id, 64 hex chars without 0x
    price: HermesPriceFields
    ema_price: HermesPriceFields
    metadata: ParsedMetadata | None = None


class BinaryUpdate(msgspec.Struct, frozen=True):
    """The signed update (hex or base64) to post on chain; not needed for reading prices."""

    encoding: str
    data: list[str]


class PriceUpdateResponse(msgspec.Struct, frozen=True):
    """``GET /v2/updates/price/latest?ids[]=...&parsed=true``."""

    binary: BinaryUpdate
    parsed: list[ParsedPriceUpdate] | None = None

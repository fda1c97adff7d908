"""Hermes responses -> HermesPrice values (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from workbench.data.sources._parsing import convert
from workbench.data.sources.pyth.schemas import PriceUpdateResponse
from workbench.errors import SchemaError

__all__ = ["HermesPrice", "parse_latest_price_updates"]


@dataclass(frozen=True, slots=True, kw_only=True)
class HermesPrice:
    """A Pyth price for one feed.

    Attributes:
        feed_id: 64 hex chars, no ``0x``.
        price / conf: human values (integer * 10**expo).
        ema_price / ema_conf: exponential moving averages.
        publish_time_s: unix seconds when the price was published.
        slot: Pythnet slot, when given.
        ts_init: when we received it, ns.
    """

    feed_id: str
    price: Decimal
    conf: Decimal
    ema_price: Decimal
    ema_conf: Decimal
    publish_time_s: int
    slot: int | None
    ts_init: int


def _scaled(value: str, expo: int, field: str, body: Any) -> Decimal:
    if not value.lstrip("-").isdigit():
        raise SchemaError(f"Hermes {field}={value!r} is not an integer string.",
                          source="pyth.hermes", payload=body)
    return Decimal(int(value)).scaleb(expo)


def parse_latest_price_updates(body: Any, *, ts_init: int) -> list[HermesPrice]:
    """Parse a ``/v2/updates/price/latest`` body requested with ``parsed=true``.

    Raises:
        SchemaError: no ``parsed`` section (request it with parsed=true), wrong field types,
            or a non-positive price.
    """
    resp = convert(body, PriceUpdateResponse, source="pyth.hermes")
    if resp.parsed is None:
        raise SchemaError("Hermes response has no 'parsed' section; request with parsed=true.",
                          source="pyth.hermes", payload=body)
    out = []
    for u in resp.parsed:
        price = _scaled(u.price.price, u.price.expo, "price", body)
        if price <= 0:
            raise SchemaError(f"Hermes feed {u.id} price={price} is not positive.",
                              source="pyth.hermes", payload=body)
        out.append(HermesPrice(
            feed_id=u.id.removeprefix("0x"),
            price=price,
            conf=_scaled(u.price.conf, u.price.expo, "conf", body),
            ema_price=_scaled(u.ema_price.price, u.ema_price.expo, "ema_price", body),
            ema_conf=_scaled(u.ema_price.conf, u.ema_price.expo, "ema_conf", body),
            publish_time_s=u.price.publish_time,
            slot=u.metadata.slot if u.metadata else None,
            ts_init=ts_init,
        ))
    return out

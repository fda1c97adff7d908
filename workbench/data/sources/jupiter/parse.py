"""Jupiter responses -> domain values (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from workbench.data.sources._parsing import convert
from workbench.data.sources.jupiter.schemas import PriceV3Entry, QuoteResponse
from workbench.domain import Quote
from workbench.errors import SchemaError

__all__ = ["TokenPrice", "parse_price_v3", "parse_quote"]


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenPrice:
    """A token's USD price from an aggregator.

    Attributes:
        source: "jupiter".
        mint: base58 mint.
        usd_price: price in USD per whole token.
        decimals: the token's decimals.
        slot: the slot the price was computed at, when given.
        ts_init: when we received it, ns.
    """

    source: str
    mint: str
    usd_price: Decimal
    decimals: int
    slot: int | None
    ts_init: int


def parse_price_v3(body: Any, *, ts_init: int) -> list[TokenPrice]:
    """Parse ``GET /price/v3`` (``{mint: {usdPrice, decimals, blockId, ...}}``).

    Mints without a reliable price are simply absent, as the API documents.

    Raises:
        SchemaError: the body is not an object of price entries, or a price is not positive.
    """
    entries = convert(body, dict[str, PriceV3Entry], source="jupiter.price_v3")
    out = []
    for mint, e in entries.items():
        price = Decimal(repr(e.usdPrice))
        if not price.is_finite() or price <= 0:
            raise SchemaError(f"Jupiter price for {mint} is {e.usdPrice!r}; expected > 0.",
                              source="jupiter.price_v3", payload=body)
        out.append(TokenPrice(source="jupiter", mint=mint, usd_price=price, decimals=e.decimals,
                              slot=e.blockId, ts_init=ts_init))
    return out


def _int(value: str, field: str, body: Any) -> int:
    try:
        return int(value)
    except ValueError:
        raise SchemaError(f"Jupiter quote {field}={value!r} is not an integer string.",
                          source="jupiter.quote", payload=body) from None


def parse_quote(body: Any, *, ts_init: int) -> Quote:
    """Parse ``GET /swap/v1/quote`` into a Quote (amounts in base units).

    ``min_out_amount_raw`` is ``otherAmountThreshold`` for ExactIn; for ExactOut, where that
    field is the maximum input, it is the exact output.

    Raises:
        SchemaError: missing fields, non-integer amounts, or a non-numeric price impact.
    """
    q = convert(body, QuoteResponse, source="jupiter.quote")
    in_raw = _int(q.inAmount, "inAmount", body)
    out_raw = _int(q.outAmount, "outAmount", body)
    threshold = _int(q.otherAmountThreshold, "otherAmountThreshold", body)
    try:
        impact = Decimal(q.priceImpactPct)
    except InvalidOperation:
        raise SchemaError(f"Jupiter priceImpactPct={q.priceImpactPct!r} is not a number.",
                          source="jupiter.quote", payload=body) from None
    return Quote(
        venue="jupiter",
        input_mint=q.inputMint,
        output_mint=q.outputMint,
        in_amount_raw=in_raw,
        out_amount_raw=out_raw,
        min_out_amount_raw=threshold if q.swapMode == "ExactIn" else out_raw,
        price_impact_bps=float(impact * 10_000),
        ts_init=ts_init,
        route=q,
    )

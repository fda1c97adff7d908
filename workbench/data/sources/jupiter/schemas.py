"""Jupiter wire structs, field for field as the API sends them."""

from __future__ import annotations

import msgspec

__all__ = ["PriceV3Entry", "QuoteResponse", "RoutePlanStep", "SwapInfo"]


class PriceV3Entry(msgspec.Struct, frozen=True):
    """One mint in a Price v3 response (the response is ``{mint: PriceV3Entry}``)."""

    usdPrice: float
    decimals: int
    blockId: int | None = None  # slot the price was computed at
    priceChange24h: float | None = None  # percent


class SwapInfo(msgspec.Struct, frozen=True):
    """One AMM leg of a route."""

    ammKey: str
    inputMint: str
    outputMint: str
    inAmount: str  # base units as a decimal string
    outAmount: str
    label: str | None = None
    feeAmount: str | None = None
    feeMint: str | None = None


class RoutePlanStep(msgspec.Struct, frozen=True):
    """A leg and the percent of the input routed through it."""

    swapInfo: SwapInfo
    percent: int


class QuoteResponse(msgspec.Struct, frozen=True):
    """``GET /swap/v1/quote`` response."""

    inputMint: str
    inAmount: str
    outputMint: str
    outAmount: str
    otherAmountThreshold: str  # min out (ExactIn) or max in (ExactOut)
    swapMode: str  # "ExactIn" | "ExactOut"
    slippageBps: int
    priceImpactPct: str  # a fraction as a string: "0.0012" = 0.12%
    routePlan: list[RoutePlanStep]
    contextSlot: int | None = None
    timeTaken: float | None = None

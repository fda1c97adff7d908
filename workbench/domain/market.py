"""Market values: pairs, bars, quotes and trades observed on venues."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from workbench.domain.tokens import Token
from workbench.errors import BadPriceError

__all__ = [
    "TIMEFRAMES",
    "Bar",
    "Pair",
    "Quote",
    "QuoteRequest",
    "SwapPlan",
    "TokenBalanceChange",
    "Trade",
    "timeframe_seconds",
]

TIMEFRAMES: dict[str, int] = {
    "1s": 1, "1m": 60, "3m": 180, "5m": 300, "15m": 900, "30m": 1800,
    "1h": 3600, "2h": 7200, "4h": 14400, "6h": 21600, "12h": 43200, "1d": 86400,
}


def timeframe_seconds(timeframe: str) -> int:
    """Seconds in a timeframe like ``"5m"``.

    Raises:
        BadPriceError: unknown timeframe (lists the known ones).
    """
    try:
        return TIMEFRAMES[timeframe]
    except KeyError:
        raise BadPriceError(
            f"Unknown timeframe {timeframe!r}; use one of {', '.join(TIMEFRAMES)}."
        ) from None


@dataclass(frozen=True, slots=True, kw_only=True)
class Pair:
    """A base/quote pair; prices are quote per base in human units."""

    base: Token
    quote: Token

    @property
    def symbol(self) -> str:
        """``BASE/QUOTE``, e.g. ``SOL/USDC``."""
        return f"{self.base.symbol}/{self.quote.symbol}"

    def __str__(self) -> str:
        return self.symbol


def _check_price(name: str, value: Decimal) -> None:
    if not value.is_finite() or value <= 0:
        raise BadPriceError(f"{name}={value} must be a finite positive price.")


@dataclass(frozen=True, slots=True, kw_only=True)
class Bar:
    """One OHLCV candle; ``ts_event`` is the bar's open time in UTC nanoseconds."""

    symbol: str
    timeframe: str
    ts_event: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal

    def __post_init__(self) -> None:
        for name in ("open", "high", "low", "close"):
            _check_price(name, getattr(self, name))
        if self.low > min(self.open, self.close) or self.high < max(self.open, self.close):
            raise BadPriceError(
                f"Bar {self.symbol} at {self.ts_event}: low={self.low} high={self.high} do not "
                f"contain open={self.open} close={self.close}."
            )
        if self.volume < 0:
            raise BadPriceError(f"Bar {self.symbol} volume={self.volume} is negative.")


@dataclass(frozen=True, slots=True, kw_only=True)
class Quote:
    """A venue's answer to "how much out for this much in".

    Attributes:
        venue: venue name.
        input_mint / output_mint: base58 mint addresses.
        in_amount_raw / out_amount_raw: base units in and out.
        min_out_amount_raw: output floor after slippage.
        fee_raw: fee in input base units, when the venue reports it.
        price_impact_bps: impact of this size versus the marginal price.
        ts_init: when we received it, ns.
        route: opaque venue-specific route data, for building the swap.
    """

    venue: str
    input_mint: str
    output_mint: str
    in_amount_raw: int
    out_amount_raw: int
    min_out_amount_raw: int
    fee_raw: int = 0
    price_impact_bps: float = 0.0
    ts_init: int = 0
    route: object = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Trade:
    """A swap observed on a venue (from chain or an API)."""

    venue: str
    symbol: str
    ts_event: int
    side: str  # "buy" or "sell" of the base token, from the taker's view
    price: Decimal
    base_amount: Decimal
    quote_amount: Decimal
    signature: str | None = None
    slot: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class QuoteRequest:
    """Ask a venue how much ``output_mint`` it gives for ``in_amount_raw`` of ``input_mint``.

    Attributes:
        input_mint / output_mint: base58 mint addresses.
        in_amount_raw: exact input in base units.
        slippage_bps: tolerated slippage; sets the quote's ``min_out_amount_raw``.
    """

    input_mint: str
    output_mint: str
    in_amount_raw: int
    slippage_bps: int = 50


@dataclass(frozen=True, slots=True, kw_only=True)
class SwapPlan:
    """What a venue needs executed for a quote: instructions to put in one transaction.

    Attributes:
        venue: venue name.
        quote: the quote it executes.
        instructions: the swap instructions (compute-budget, memo and tip are added by the
            transaction builder, not the venue).
        lookup_tables: address lookup table accounts the instructions need (v0 transactions).
        prebuilt_tx: a whole unsigned/partially signed transaction when the venue returns one
            (Jupiter ``/swap``, Ultra ``/order``), serialized bytes; None otherwise.
        cosigners: extra keypairs that must sign (the local AMM's pool authority in paper
            mode); live venues need none.
        last_valid_block_height: for a prebuilt transaction, the height after which its
            blockhash expires, when the venue reports it (Jupiter ``/swap`` does).
    """

    venue: str
    quote: Quote
    instructions: tuple[Instruction, ...] = ()
    lookup_tables: tuple[Pubkey, ...] = ()
    prebuilt_tx: bytes | None = None
    cosigners: tuple[Keypair, ...] = ()
    last_valid_block_height: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenBalanceChange:
    """An owner's change in one mint across a confirmed transaction (post - pre), base units."""

    owner: str
    mint: str
    delta_raw: int
    decimals: int

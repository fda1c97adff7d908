"""Drift perpetuals as a ``workbench.ports.Venue``: market orders against an oracle price.

Perps fit the swap-shaped port with a naming convention: a ``QuoteRequest`` between the quote
mint (USDC) and ``drift-perp:<SYMBOL>`` is a market order. USDC -> perp opens/increases a long
for ``in_amount_raw`` USDC (1e6) of notional; perp -> USDC shorts ``in_amount_raw`` base units
(1e9). The quote's limit price is the oracle price moved by the slippage; Drift's auction then
fills at or better than it. A perp fill moves no tokens, so ``parse`` (balance changes) returns
(0, 0); fills are read from the confirmed transaction's ``OrderActionRecord`` events
(``parse_logs``), and the User account's positions (``fetch_positions`` +
``events.reconcile_fills``) cross-check them.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from solders.pubkey import Pubkey

from workbench.domain import Quote, QuoteRequest, SwapPlan, TokenBalanceChange
from workbench.errors import BadPriceError, OrderRejected
from workbench.execution.drift.config import DriftConfig, DriftPerpMarket
from workbench.execution.drift.events import DriftFill, fills_for_user, order_action_records
from workbench.execution.drift.instructions import build_place_perp_order, user_pda
from workbench.execution.drift.parse import decode_perp_positions, decode_spot_positions
from workbench.execution.drift.schemas import (
    MarketType,
    OrderParams,
    OrderType,
    PerpPosition,
    PositionDirection,
)
from workbench.ports import Clock

__all__ = ["PERP_PREFIX", "AccountSource", "DriftRoute", "DriftVenue", "OraclePrice"]

VENUE = "drift"
PERP_PREFIX = "drift-perp:"
BASE_PRECISION = 10**9
PRICE_PRECISION = 10**6
QUOTE_SPOT_MARKET_INDEX = 0
_BPS = 10_000

# market_index -> oracle price in PRICE_PRECISION (1e6 USDC per base unit of 1e9)
OraclePrice = Callable[[int], Awaitable[int]]


class AccountSource(Protocol):
    """Anything that reads account data (the chain RPC client, ``PumpFunClient``, a fake)."""

    async def fetch_account_data(self, pubkey: Pubkey) -> bytes | None:
        """The account's data, or None when it does not exist."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class DriftRoute:
    """What a Drift quote carries to ``build``: the order to place and the price it assumed."""

    market: DriftPerpMarket
    direction: PositionDirection
    base_asset_amount: int
    limit_price: int
    oracle_price: int
    slippage_bps: int


class _WallClock:
    def now_ns(self) -> int:
        return time.time_ns()


class DriftVenue:
    """Place Drift perp market orders.

    Args:
        accounts: reads the User account (for remaining accounts and positions).
        config: program, sub-account and markets.
        oracle_price: async function returning a market's oracle price (1e6 precision), e.g.
            from Pyth Hermes.
        clock: time source for quote timestamps.
    """

    name = VENUE

    def __init__(
        self,
        accounts: AccountSource,
        config: DriftConfig,
        oracle_price: OraclePrice,
        *,
        clock: Clock | None = None,
    ) -> None:
        self._accounts = accounts
        self._config = config
        self._oracle_price = oracle_price
        self._clock: Clock = clock or _WallClock()

    def _market(self, mint: str) -> DriftPerpMarket:
        return self._config.market_by_symbol(mint.removeprefix(PERP_PREFIX))

    async def quote(self, request: QuoteRequest) -> Quote:
        """Price a market order from the oracle; the limit is the oracle +/- slippage."""
        usdc = self._config.quote_mint
        if request.input_mint == usdc and request.output_mint.startswith(PERP_PREFIX):
            direction, market = PositionDirection.LONG, self._market(request.output_mint)
        elif request.output_mint == usdc and request.input_mint.startswith(PERP_PREFIX):
            direction, market = PositionDirection.SHORT, self._market(request.input_mint)
        else:
            raise OrderRejected(
                f"Drift trades {usdc} against '{PERP_PREFIX}<SYMBOL>' markets; got "
                f"{request.input_mint} -> {request.output_mint}.",
                reason="unsupported_pair",
                venue=VENUE,
            )
        price = await self._oracle_price(market.market_index)
        if price <= 0:
            raise BadPriceError(f"Drift oracle price {price} for {market.symbol} must be > 0.")
        slip = request.slippage_bps
        if direction is PositionDirection.LONG:
            limit = price * (_BPS + slip) // _BPS
            base = request.in_amount_raw * BASE_PRECISION // limit
            out, min_out = base, base
        else:
            limit = price * (_BPS - slip) // _BPS
            base = request.in_amount_raw
            out = base * price // BASE_PRECISION
            min_out = base * limit // BASE_PRECISION
        if base <= 0:
            raise OrderRejected(
                f"Drift order of {request.in_amount_raw} on {market.symbol} is below one base "
                "unit at the current price; size it up.",
                reason="too_small",
                venue=VENUE,
            )
        return Quote(
            venue=VENUE,
            input_mint=request.input_mint,
            output_mint=request.output_mint,
            in_amount_raw=request.in_amount_raw,
            out_amount_raw=out,
            min_out_amount_raw=min_out,
            ts_init=self._clock.now_ns(),
            route=DriftRoute(
                market=market,
                direction=direction,
                base_asset_amount=base,
                limit_price=limit,
                oracle_price=price,
                slippage_bps=slip,
            ),
        )

    async def fetch_user(self, owner: Pubkey) -> bytes:
        """The owner's User account data.

        Raises:
            OrderRejected: the account does not exist (the wallet never initialized Drift).
        """
        address = user_pda(owner, self._config.sub_account_id, self._config.program_id)
        data = await self._accounts.fetch_account_data(address)
        if data is None:
            raise OrderRejected(
                f"No Drift user account {address} for {owner} (sub-account "
                f"{self._config.sub_account_id}); initialize it and deposit USDC collateral on "
                "Drift first.",
                reason="no_user",
                venue=VENUE,
            )
        return data

    async def fetch_positions(self, owner: Pubkey) -> list[PerpPosition]:
        """The owner's open perp positions."""
        return decode_perp_positions(await self.fetch_user(owner))

    async def build(self, quote: Quote, owner: Pubkey) -> SwapPlan:
        """A ``place_perp_order`` market order with the margin accounts Drift reads."""
        route = quote.route
        if quote.venue != VENUE or not isinstance(route, DriftRoute):
            raise OrderRejected(
                f"A quote from venue {quote.venue!r} cannot be built by Drift.",
                reason="foreign_quote",
                venue=VENUE,
            )
        user = await self.fetch_user(owner)
        perp_indexes = [route.market.market_index] + [
            p.market_index for p in decode_perp_positions(user)
        ]
        # spot market 0 (USDC) settles every perp's PnL, so margin checks always load it;
        # without it the program fails with SpotMarketNotFound (6087)
        spot_indexes = [QUOTE_SPOT_MARKET_INDEX] + [
            s.market_index for s in decode_spot_positions(user)
        ]
        oracles = []
        for index in dict.fromkeys(perp_indexes):
            market = self._config.perp_markets.get(index)
            if market is None:
                raise OrderRejected(
                    f"{owner} has a Drift position in perp market {index}, which is not in "
                    "DriftConfig.perp_markets; add it (with its oracle) so margin can be checked.",
                    reason="unknown_market",
                    venue=VENUE,
                )
            oracles.append(market.oracle)
        for index in dict.fromkeys(spot_indexes):
            oracle = self._config.spot_oracles.get(index)
            if oracle is None:
                raise OrderRejected(
                    f"Drift spot market {index} (collateral of {owner}'s orders) has no oracle in "
                    "DriftConfig.spot_oracles; add it (market 0, USDC, is always needed).",
                    reason="unknown_market",
                    venue=VENUE,
                )
            oracles.append(oracle)
        params = OrderParams(
            order_type=OrderType.MARKET,
            market_type=MarketType.PERP,
            direction=route.direction,
            base_asset_amount=route.base_asset_amount,
            price=route.limit_price,
            market_index=route.market.market_index,
            auction_duration=self._config.auction_duration_slots,
        )
        ix = build_place_perp_order(
            authority=owner,
            params=params,
            program_id=self._config.program_id,
            sub_account_id=self._config.sub_account_id,
            oracles=oracles,
            spot_market_indexes=spot_indexes,
            perp_market_indexes=perp_indexes,
        )
        return SwapPlan(venue=VENUE, quote=quote, instructions=(ix,))

    def parse(self, quote: Quote, changes: Sequence[TokenBalanceChange]) -> tuple[int, int]:
        """(0, 0): a perp fill moves no tokens; use ``parse_logs`` with the transaction's logs."""
        return 0, 0

    def fills(self, logs: Sequence[str], owner: Pubkey) -> list[DriftFill]:
        """The owner's fills (as taker or maker) in a confirmed transaction's log messages."""
        user = user_pda(owner, self._config.sub_account_id, self._config.program_id)
        return fills_for_user(order_action_records(logs, self._config.program_id), user)

    def parse_logs(self, quote: Quote, logs: Sequence[str], owner: Pubkey) -> tuple[int, int]:
        """(in_amount_raw, out_amount_raw) of ``quote``'s market filled in this transaction.

        In the quote's units: a long spends USDC (notional plus fee, 1e6) and gets base (1e9);
        a short spends base and gets USDC (notional less fee). (0, 0) when the order was only
        placed: a market order's auction is usually filled by a keeper in a later transaction,
        whose logs give the fills the same way.
        """
        route = quote.route
        if not isinstance(route, DriftRoute):
            raise OrderRejected(
                f"A quote from venue {quote.venue!r} cannot be parsed by Drift.",
                reason="foreign_quote",
                venue=VENUE,
            )
        mine = [f for f in self.fills(logs, owner) if f.market_index == route.market.market_index]
        base = sum(f.base_asset_amount for f in mine)
        notional = sum(f.quote_asset_amount for f in mine)
        fees = sum(f.fee for f in mine)
        if route.direction is PositionDirection.LONG:
            return notional + fees, base
        return base, notional - fees

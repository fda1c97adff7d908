"""Pump.fun bonding curves as a ``workbench.ports.Venue`` (SOL <-> curve token)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Protocol

from solders.pubkey import Pubkey

from workbench.domain import Quote, QuoteRequest, SwapPlan, TokenBalanceChange
from workbench.errors import OrderRejected
from workbench.execution.pumpfun.config import PumpFunConfig
from workbench.execution.pumpfun.fees import FeeConfig, PumpFees, decode_fee_config, fees_for_curve
from workbench.execution.pumpfun.instructions import (
    TOKEN_2022_PROGRAM_ID,
    TOKEN_PROGRAM_ID,
    bonding_curve_pda,
    build_buy,
    build_create_user_ata,
    build_sell,
    fee_config_pda,
)
from workbench.execution.pumpfun.parse import (
    VENUE,
    WSOL_MINT,
    PumpRoute,
    decode_bonding_curve,
    ensure_tradable,
    quote_buy,
    quote_sell,
    swap_amounts,
)
from workbench.execution.pumpfun.schemas import BondingCurve
from workbench.execution.quotes import route_of
from workbench.ports import Clock

__all__ = ["AccountSource", "PumpFunVenue"]

_BPS = 10_000
_FEE_CONFIG_TTL_NS = 60 * 10**9  # tiers change by admin transaction, rarely
_SPL_MINT_LEN = 82  # spl_token::state::Mint::LEN; Token-2022 mints with extensions are longer


class AccountSource(Protocol):
    """Anything that reads account data (``PumpFunClient``, or the chain RPC client)."""

    async def fetch_account_data(self, pubkey: Pubkey) -> bytes | None:
        """The account's data, or None when it does not exist."""
        ...


class _WallClock:
    def now_ns(self) -> int:
        return time.time_ns()


def _impact_bps(curve: BondingCurve, sol: int, tokens: int) -> float:
    """How much worse the average price is than the marginal price vs/vt, in bps."""
    spot = curve.virtual_sol_reserves / curve.virtual_token_reserves
    return (sol / tokens / spot - 1.0) * _BPS if tokens and spot else 0.0


class PumpFunVenue:
    """Buy and sell tokens on their Pump.fun bonding curve.

    A buy names an exact token amount and a SOL ceiling; so the quote's ``out_amount_raw`` is
    exact and slippage applies to the SOL side: ``max_sol_cost = in * (1 + slippage)``. A sell
    names exact tokens and a SOL floor: ``min_sol_output = out * (1 - slippage)``.

    Fees (current layout) come from the Pump Fees ``FeeConfig`` account, read with the curve
    and kept for a minute; when it cannot be read the Global flat fees in the config apply.

    Args:
        accounts: reads the bonding curve and fee config accounts.
        config: program addresses, fees, layout, quote age.
        clock: time source for quote ages.
    """

    name = VENUE

    def __init__(
        self, accounts: AccountSource, config: PumpFunConfig, *, clock: Clock | None = None
    ) -> None:
        self._accounts = accounts
        self._config = config
        self._clock: Clock = clock or _WallClock()
        self._fee_config: tuple[int, FeeConfig | None] | None = None
        self._token_programs: dict[Pubkey, Pubkey] = {}

    async def fetch_curve(self, mint: Pubkey) -> BondingCurve:
        """Read and decode the mint's bonding curve.

        Raises:
            OrderRejected: no curve exists for the mint (not a Pump.fun token).
        """
        address = bonding_curve_pda(mint, self._config.program_id)
        data = await self._accounts.fetch_account_data(address)
        if data is None:
            raise OrderRejected(
                f"No Pump.fun bonding curve at {address} for mint {mint}: the mint was not "
                "launched on Pump.fun. Trade it through Jupiter instead.",
                reason="no_curve",
                venue=VENUE,
            )
        return decode_bonding_curve(data, source=f"bonding curve {address}")

    async def token_program_of(self, mint: Pubkey) -> Pubkey:
        """The mint's token program (cached: it never changes).

        Coins created by ``create_v2`` are Token-2022 mints with metadata extensions, whose
        data is longer than an SPL Token mint's 82 bytes; the reader returns data only, so the
        length decides. A Token-2022 mint without extensions (82 bytes) would be taken for SPL
        Token and the program would refuse the token accounts.

        Raises:
            OrderRejected: the mint does not exist.
        """
        known = self._token_programs.get(mint)
        if known is not None:
            return known
        data = await self._accounts.fetch_account_data(mint)
        if data is None:
            raise OrderRejected(
                f"Mint {mint} does not exist; check the token address.",
                reason="no_mint",
                venue=VENUE,
            )
        program = TOKEN_2022_PROGRAM_ID if len(data) > _SPL_MINT_LEN else TOKEN_PROGRAM_ID
        self._token_programs[mint] = program
        return program

    async def fetch_fee_config(self) -> FeeConfig | None:
        """The FeeConfig (cached for a minute), or None when the account does not exist."""
        now = self._clock.now_ns()
        if self._fee_config is not None and now - self._fee_config[0] < _FEE_CONFIG_TTL_NS:
            return self._fee_config[1]
        address = fee_config_pda(self._config.program_id, self._config.fee_program_id)
        data = await self._accounts.fetch_account_data(address)
        config = None if data is None else decode_fee_config(data, source=f"fee config {address}")
        self._fee_config = (now, config)
        return config

    async def fees_for(self, curve: BondingCurve) -> PumpFees:
        """The fees a trade on ``curve`` pays under the configured layout.

        legacy: the 2024 flat protocol fee, rounded down, no creator fee. creator_vault: the
        Global flat protocol and creator fees, rounded up. current: the FeeConfig tier of the
        curve's market cap, rounded up (Global flat fees when the FeeConfig is missing).
        """
        cfg = self._config
        if cfg.layout == "legacy":
            return PumpFees(protocol_bps=cfg.fee_bps, creator_bps=0, round_up=False)
        fee_config = await self.fetch_fee_config() if cfg.layout == "current" else None
        return fees_for_curve(
            curve,
            fee_config=fee_config,
            fallback_protocol_bps=cfg.fee_bps,
            fallback_creator_bps=cfg.creator_fee_bps,
        )

    async def quote(self, request: QuoteRequest) -> Quote:
        """Price a SOL -> token buy or a token -> SOL sell on the current curve.

        Raises:
            OrderRejected: neither side is SOL, the curve is complete (graduated), or the
                amount is unusable.
        """
        if request.input_mint == WSOL_MINT and request.output_mint != WSOL_MINT:
            side, mint = "buy", request.output_mint
        elif request.output_mint == WSOL_MINT and request.input_mint != WSOL_MINT:
            side, mint = "sell", request.input_mint
        else:
            raise OrderRejected(
                f"Pump.fun trades SOL against a curve token; {request.input_mint} -> "
                f"{request.output_mint} has no SOL side (or both are SOL).",
                reason="unsupported_pair",
                venue=VENUE,
            )
        mint_key = Pubkey.from_string(mint)
        curve = await self.fetch_curve(mint_key)
        ensure_tradable(curve, mint)
        if curve.is_mayhem_mode and self._config.mayhem_fee_recipient is None:
            raise OrderRejected(
                f"Pump.fun curve of {mint} is in mayhem mode, whose fees go to one of Global's "
                "reserved fee recipients; set PumpFunConfig.mayhem_fee_recipient to one of them.",
                reason="mayhem_fee_recipient",
                venue=VENUE,
            )
        fees, slip = await self.fees_for(curve), request.slippage_bps
        token_program = await self.token_program_of(mint_key)
        if side == "buy":
            buy = quote_buy(curve, request.in_amount_raw, fees)
            token_amount = out = min_out = buy.token_amount
            limit = request.in_amount_raw * (_BPS + slip) // _BPS  # the most SOL it may cost
            fee_raw = buy.fee_lamports
            impact = _impact_bps(curve, buy.sol_cost_lamports, buy.token_amount)
        else:
            sell = quote_sell(curve, request.in_amount_raw, fees)
            token_amount, out = request.in_amount_raw, sell.net_lamports
            min_out = limit = sell.net_lamports * (_BPS - slip) // _BPS
            fee_raw = 0  # the fee is taken in SOL, the output; it is inside out_amount_raw
            impact = -_impact_bps(curve, sell.sol_out_lamports, request.in_amount_raw)
        route = PumpRoute(
            side=side,
            mint=mint_key,
            token_amount=token_amount,
            sol_limit_lamports=limit,
            slippage_bps=slip,
            curve=curve,
            fees=fees,
            token_program=token_program,
        )
        return Quote(
            venue=VENUE,
            input_mint=request.input_mint,
            output_mint=request.output_mint,
            in_amount_raw=request.in_amount_raw,
            out_amount_raw=out,
            min_out_amount_raw=min_out,
            fee_raw=fee_raw,
            price_impact_bps=impact,
            ts_init=self._clock.now_ns(),
            route=route,
        )

    def is_stale(self, quote: Quote) -> bool:
        """True when ``quote`` is older than ``max_quote_age_s``."""
        return self._clock.now_ns() - quote.ts_init > self._config.max_quote_age_s * 1e9

    async def build(self, quote: Quote, owner: Pubkey) -> SwapPlan:
        """Instructions for ``quote``; re-reads the curve and re-quotes when the quote is stale.

        A buy also creates the owner's token account (idempotent, so it is harmless when the
        account exists).
        """
        route = self._route(quote)
        if self.is_stale(quote):
            quote = await self.quote(
                QuoteRequest(
                    input_mint=quote.input_mint,
                    output_mint=quote.output_mint,
                    in_amount_raw=quote.in_amount_raw,
                    slippage_bps=route.slippage_bps,
                )
            )
            route = self._route(quote)
        curve = route.curve
        creator = curve.creator
        if self._config.layout != "legacy" and creator is None:
            raise OrderRejected(
                f"Bonding curve of {route.mint} has no creator, which the {self._config.layout} "
                "layout needs for the creator vault; the curve predates creator fees (call the "
                "program's extend_account / set_creator first) or use layout='legacy'.",
                reason="no_creator",
                venue=VENUE,
            )
        fee_recipient = self._config.mayhem_fee_recipient if curve.is_mayhem_mode else None
        if route.side == "buy":
            instructions = (
                build_create_user_ata(owner, route.mint, route.token_program),
                build_buy(
                    user=owner,
                    mint=route.mint,
                    token_amount=route.token_amount,
                    max_sol_cost_lamports=route.sol_limit_lamports,
                    config=self._config,
                    creator=creator,
                    fee_recipient=fee_recipient,
                    token_program=route.token_program,
                ),
            )
        else:
            instructions = (
                build_sell(
                    user=owner,
                    mint=route.mint,
                    token_amount=route.token_amount,
                    min_sol_output_lamports=route.sol_limit_lamports,
                    config=self._config,
                    creator=creator,
                    fee_recipient=fee_recipient,
                    is_cashback_coin=curve.is_cashback_coin,
                    token_program=route.token_program,
                ),
            )
        return SwapPlan(venue=VENUE, quote=quote, instructions=instructions)

    def parse(self, quote: Quote, changes: Sequence[TokenBalanceChange]) -> tuple[int, int]:
        """(in_amount_raw, out_amount_raw) from the owner's balance changes."""
        return swap_amounts(quote, changes)

    @staticmethod
    def _route(quote: Quote) -> PumpRoute:
        return route_of(quote, venue=VENUE, route_type=PumpRoute, display="Pump.fun")

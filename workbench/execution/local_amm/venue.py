"""A local pool as a :class:`~workbench.ports.Venue`: quote, build, parse."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from workbench.chain.programs import (
    associated_token_address,
    create_ata_idempotent_ix,
    transfer_checked_ix,
)
from workbench.domain import Quote, QuoteRequest, SwapPlan, TokenBalanceChange
from workbench.errors import OrderRejected, SlippageExceeded
from workbench.execution.local_amm.math import amount_out, fee_raw, min_out_raw, price_impact_bps
from workbench.execution.local_amm.pool import LocalMarket, Pool
from workbench.execution.quotes import swap_amounts

__all__ = ["LocalAmmRoute", "LocalAmmVenue"]


@dataclass(frozen=True, slots=True, kw_only=True)
class LocalAmmRoute:
    """What a local quote was priced on (``Quote.route``)."""

    pool: str
    reserve_in_raw: int
    reserve_out_raw: int


class LocalAmmVenue:
    """One local constant-product pool.

    Swaps need the pool authority's signature; :meth:`cosigners` hands it to the executor
    (venues whose swaps only the owner signs have no such method).
    """

    def __init__(self, market: LocalMarket, pool: Pool) -> None:
        self.market = market
        self.pool = pool
        self.name = pool.name
        self._chain = market.chain
        self._mints = {str(pool.base.mint): pool.base.mint, str(pool.quote.mint): pool.quote.mint}
        self._atas: dict[tuple[Pubkey, Pubkey], Pubkey] = {}

    def __repr__(self) -> str:
        return f"LocalAmmVenue({self.name!r})"

    def _ata(self, owner: Pubkey, mint: Pubkey) -> Pubkey:
        # a PDA search costs ~40 µs and never changes for (owner, mint)
        key = (owner, mint)
        ata = self._atas.get(key)
        if ata is None:
            ata = self._atas[key] = associated_token_address(owner, mint)
        return ata

    def _sides(self, input_mint: str, output_mint: str) -> tuple[Pubkey, Pubkey]:
        mint_in, mint_out = self._mints.get(input_mint), self._mints.get(output_mint)
        if mint_in is None or mint_out is None or mint_in == mint_out:
            raise OrderRejected(
                f"Pool {self.name} trades {self.pool.base}/{self.pool.quote}; it has no route "
                f"{input_mint} -> {output_mint}.",
                reason="no_route", venue=self.name,
            )
        return mint_in, mint_out

    def quote_sync(self, request: QuoteRequest) -> Quote:
        """Price ``request`` on the vaults' current balances."""
        mint_in, mint_out = self._sides(request.input_mint, request.output_mint)
        r_in = self._chain.token_amount(self.pool.vault_for(mint_in))
        r_out = self._chain.token_amount(self.pool.vault_for(mint_out))
        out = amount_out(request.in_amount_raw, r_in, r_out, self.pool.fee_bps)
        return Quote(
            venue=self.name,
            input_mint=request.input_mint,
            output_mint=request.output_mint,
            in_amount_raw=request.in_amount_raw,
            out_amount_raw=out,
            min_out_amount_raw=min_out_raw(out, request.slippage_bps),
            fee_raw=fee_raw(request.in_amount_raw, self.pool.fee_bps),
            price_impact_bps=price_impact_bps(request.in_amount_raw, r_in, r_out, out,
                                              self.pool.fee_bps),
            ts_init=time.time_ns(),
            route=LocalAmmRoute(pool=self.name, reserve_in_raw=r_in, reserve_out_raw=r_out),
        )

    async def quote(self, request: QuoteRequest) -> Quote:
        """See :class:`~workbench.ports.Venue`."""
        return self.quote_sync(request)

    def out_curve(self, request: QuoteRequest) -> Callable[[int], int]:
        """``amount_in -> out_amount_raw`` on the vaults' balances read once, now.

        The router's split search evaluates it a few dozen times; each call is the same
        integer maths as :meth:`quote_sync` without reading accounts or building a Quote.
        """
        mint_in, mint_out = self._sides(request.input_mint, request.output_mint)
        r_in = self._chain.token_amount(self.pool.vault_for(mint_in))
        r_out = self._chain.token_amount(self.pool.vault_for(mint_out))
        fee_bps = self.pool.fee_bps
        return lambda amount_in: amount_out(amount_in, r_in, r_out, fee_bps)

    def build_sync(self, quote: Quote, owner: Pubkey) -> SwapPlan:
        """The two-transfer swap for ``owner``, re-priced on current reserves.

        Raises:
            SlippageExceeded: the reserves moved so the output is below the quote's minimum.
        """
        mint_in, mint_out = self._sides(quote.input_mint, quote.output_mint)
        pool = self.pool
        vault_in, vault_out = pool.vault_for(mint_in), pool.vault_for(mint_out)
        out = amount_out(quote.in_amount_raw, self._chain.token_amount(vault_in),
                         self._chain.token_amount(vault_out), pool.fee_bps)
        if out < quote.min_out_amount_raw:
            raise SlippageExceeded(
                f"Pool {self.name} now gives {out} for {quote.in_amount_raw}, below the minimum "
                f"{quote.min_out_amount_raw}; re-quote or widen slippage.",
                venue=self.name, payload={"out": out, "min_out": quote.min_out_amount_raw},
            )
        tok_in, tok_out = pool.token_for(mint_in), pool.token_for(mint_out)
        owner_in, owner_out = self._ata(owner, mint_in), self._ata(owner, mint_out)
        ixs: list[Instruction] = []
        if self._chain.svm.get_account(owner_out) is None:
            ixs.append(create_ata_idempotent_ix(payer=owner, owner=owner, mint=mint_out))
        ixs.append(transfer_checked_ix(source=owner_in, mint=mint_in, destination=vault_in,
                                       owner=owner, amount_raw=quote.in_amount_raw,
                                       decimals=tok_in.decimals))
        ixs.append(transfer_checked_ix(source=vault_out, mint=mint_out, destination=owner_out,
                                       owner=pool.authority_pubkey, amount_raw=out,
                                       decimals=tok_out.decimals))
        return SwapPlan(venue=self.name, quote=quote, instructions=tuple(ixs))

    async def build(self, quote: Quote, owner: Pubkey) -> SwapPlan:
        """See :class:`~workbench.ports.Venue`."""
        return self.build_sync(quote, owner)

    def cosigners(self, plan: SwapPlan) -> tuple[Keypair, ...]:
        """Keypairs besides the owner that must sign ``plan``: the pool authority."""
        return (self.pool.authority,)

    def parse(self, quote: Quote, changes: Sequence[TokenBalanceChange]) -> tuple[int, int]:
        """(in, out) from the owner's balance changes: -delta of input, +delta of output."""
        return swap_amounts(quote, changes)

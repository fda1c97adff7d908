"""Stubs and factories for tests and notebooks: seeded keypairs, stub mints, a paper market.

Everything here is real on LiteSVM (real mints, token accounts and transactions); "stub" only
means deterministic and cheap to make.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from solders.keypair import Keypair
from solders.pubkey import Pubkey

from workbench.chain.litesvm import LiteSVMChain
from workbench.domain import Token
from workbench.execution.local_amm import LocalAmmVenue, LocalMarket

__all__ = ["PaperMarket", "paper_market", "seeded_keypair", "stub_mint", "stub_token"]


def seeded_keypair(seed: int | str) -> Keypair:
    """A deterministic keypair from a small seed (never use for real funds)."""
    return Keypair.from_seed(hashlib.sha256(f"workbench-test-{seed}".encode()).digest())


def stub_mint(seed: int | str = 0) -> Pubkey:
    """A deterministic mint address (not created on any chain)."""
    return seeded_keypair(f"mint-{seed}").pubkey()


def stub_token(symbol: str = "STUB", decimals: int = 6, seed: int | str = 0) -> Token:
    """A Token on a deterministic stub mint."""
    return Token(mint=stub_mint(seed), symbol=symbol, decimals=decimals)


@dataclass(slots=True, kw_only=True)
class PaperMarket:
    """A LiteSVM chain with SOL/USDC pools and a funded wallet, for tests and notebooks."""

    chain: LiteSVMChain
    market: LocalMarket
    base: Token
    quote: Token
    venues: list[LocalAmmVenue]
    wallet: Keypair


def paper_market(
    prices: tuple[str, ...] = ("150",),
    *,
    base_reserve_sol: int = 1_000,
    wallet_sol: int = 100,
    wallet_usdc: int = 20_000,
    fee_bps: int = 25,
    wallet_seed: int | str | None = None,
) -> PaperMarket:
    """SOL/USDC pools at ``prices`` (USDC per SOL) and a wallet holding wSOL and USDC.

    Each pool holds ``base_reserve_sol`` SOL and ``price * base_reserve_sol`` USDC.
    """
    from decimal import Decimal

    chain = LiteSVMChain()
    market = LocalMarket(chain)
    sol, usdc = market.token("SOL"), market.token("USDC")
    venues = []
    for p in prices:
        pool = market.create_pool(
            sol, usdc, base_reserve_raw=base_reserve_sol * 10**9,
            quote_reserve_raw=int(Decimal(p) * base_reserve_sol * 10**6), fee_bps=fee_bps)
        venues.append(LocalAmmVenue(market, pool))
    wallet = market.fund_wallet(
        {sol: wallet_sol * 10**9, usdc: wallet_usdc * 10**6},
        keypair=None if wallet_seed is None else seeded_keypair(wallet_seed))
    return PaperMarket(chain=chain, market=market, base=sol, quote=usdc, venues=venues,
                       wallet=wallet)

"""Drift account reads; I/O only, through any ``AccountSource`` (the chain RPC client).

``driftpy`` pins solana 0.36 / solders 0.26, which conflict with the workbench's versions, so
accounts are read as bytes and decoded by ``parse``.
"""

from __future__ import annotations

from solders.pubkey import Pubkey

from workbench.execution.drift.config import DriftConfig
from workbench.execution.drift.instructions import perp_market_pda
from workbench.execution.drift.parse import perp_market_oracle
from workbench.execution.drift.venue import AccountSource

__all__ = ["fetch_perp_market_oracle"]


async def fetch_perp_market_oracle(
    accounts: AccountSource, config: DriftConfig, market_index: int
) -> Pubkey | None:
    """Read a perp market's oracle from its account (None when the market does not exist)."""
    data = await accounts.fetch_account_data(perp_market_pda(market_index, config.program_id))
    return None if data is None else perp_market_oracle(data)

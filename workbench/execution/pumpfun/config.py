"""Settings of the Pump.fun adapter: program addresses, fee and account layout.

Addresses are mainnet constants (the Global PDA, event authority and a fee recipient listed in
the Global account); they are settings so a devnet or a changed fee recipient needs no code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from solders.pubkey import Pubkey

from workbench.errors import ConfigError

__all__ = ["PUMP_PROGRAM_ID", "PumpFunConfig", "PumpLayout"]

PUMP_PROGRAM_ID = Pubkey.from_string("6EF8rrecthR5Dkzon8Nwu78hRvfCKubJ14M5uBEwF6P")

# "legacy": the 12-account buy/sell of 2024, verified byte for byte against recorded mainnet
#   transactions (tests/fixtures/pumpfun). "creator_vault": the 2025 upgrade documented in
#   pump-fun/pump-public-docs PUMP_CREATOR_FEE_README.md, where Buy's rent account and Sell's
#   associated-token-program account become the creator-vault PDA (not verified on recorded data).
PumpLayout = Literal["legacy", "creator_vault"]


@dataclass(frozen=True, slots=True, kw_only=True)
class PumpFunConfig:
    """How the Pump.fun venue builds and prices trades.

    Attributes:
        rpc_url: JSON-RPC endpoint used to read bonding-curve accounts.
        commitment: commitment for account reads.
        program_id: the Pump program.
        fee_recipient: one of the Global account's fee recipients (writable in buy/sell).
        fee_bps: protocol fee on the SOL side, Global.fee_basis_points (100 = 1%).
        layout: account list of buy/sell (see ``PumpLayout``).
        timeout_s: per-request timeout.
        max_quote_age_s: re-read the curve and re-quote when a quote is older.
    """

    rpc_url: str = "https://api.mainnet-beta.solana.com"
    commitment: Literal["processed", "confirmed", "finalized"] = "confirmed"
    program_id: Pubkey = PUMP_PROGRAM_ID
    fee_recipient: Pubkey = field(
        default_factory=lambda: Pubkey.from_string("CebN5WGQ4jvEPvsVU4EoHEpgzq1VV7AbicfhtW4xC9iM")
    )
    fee_bps: int = 100
    layout: PumpLayout = "legacy"
    timeout_s: float = 10.0
    max_quote_age_s: float = 2.0

    def __post_init__(self) -> None:
        if not 0 <= self.fee_bps < 10_000:
            raise ConfigError(
                f"Pump.fun fee_bps={self.fee_bps} must be in 0..9999 (the program uses 100).",
                setting="pumpfun.fee_bps",
            )
        if self.layout not in ("legacy", "creator_vault"):
            raise ConfigError(
                f"Pump.fun layout={self.layout!r} is not one of legacy, creator_vault.",
                setting="pumpfun.layout",
            )
        if self.timeout_s <= 0 or self.max_quote_age_s <= 0:
            raise ConfigError(
                f"Pump.fun timeout_s={self.timeout_s} and max_quote_age_s="
                f"{self.max_quote_age_s} must be > 0.",
                setting="execution.max_quote_age_s",
            )

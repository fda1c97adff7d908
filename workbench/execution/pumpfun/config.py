"""Settings of the Pump.fun adapter: program addresses, fees and the buy/sell account layout.

Addresses are mainnet constants (the Pump program, the Pump Fees program, a fee recipient listed
in the Global account); they are settings so a devnet or a changed fee recipient needs no code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from solders.pubkey import Pubkey

from workbench.errors import ConfigError

__all__ = ["PUMP_FEE_PROGRAM_ID", "PUMP_PROGRAM_ID", "PumpFunConfig", "PumpLayout"]

PUMP_PROGRAM_ID = Pubkey.from_string("6EF8rrecthR5Dkzon8Nwu78hRvfCKubJ14M5uBEwF6P")
PUMP_FEE_PROGRAM_ID = Pubkey.from_string("pfeeUxB6jkeY1Hxd7CsFCAjcbHA9rWtchMGdZ6VojVZ")

# The three account lists the program has had for `buy` / `sell` (see instructions.py):
# "legacy"        12 accounts, 24-byte data; the 2024 program. Every recorded transaction in
#                 tests/fixtures/pumpfun (slots 278_536_429..292_743_221, 2024-07-20..2024-09-29)
#                 has this layout; fees are floor(1%) of the SOL amount.
# "creator_vault" 12 accounts; the May 2025 creator-fee upgrade (pump-public-docs
#                 PUMP_CREATOR_FEE_README.md): the creator vault replaces rent / the ATA program.
# "current"       the layout of pump-public-docs idl/pump.json (commit 2293f9a): buy has 16
#                 accounts (+ volume accumulators, fee config, fee program) and data
#                 amount, max_sol_cost, track_volume: OptionBool, partial_fill: OptionBool;
#                 sell has 14 accounts and data amount, min_sol_output. Fees come from the
#                 Pump Fees FeeConfig tiers and round up. No recorded transaction available.
PumpLayout = Literal["legacy", "creator_vault", "current"]
_LAYOUTS = ("legacy", "creator_vault", "current")


@dataclass(frozen=True, slots=True, kw_only=True)
class PumpFunConfig:
    """How the Pump.fun venue builds and prices trades.

    Attributes:
        rpc_url: JSON-RPC endpoint used to read bonding-curve and fee-config accounts.
        commitment: commitment for account reads.
        program_id: the Pump program.
        fee_program_id: the Pump Fees program that owns ``FeeConfig`` (current layout).
        fee_recipient: one of the Global account's fee recipients (writable in buy/sell).
        mayhem_fee_recipient: one of Global.reserved_fee_recipients, required to trade
            mayhem-mode curves; None refuses them.
        buyback_fee_recipient: one of Global.buyback_fee_recipients. When set, buy/sell of the
            current layout append the remaining accounts ``bonding_curve_v2`` and this recipient
            (program error 6062 BuybackFeeRecipientMissing names the requirement; the order is
            not in the IDL and not verified on a recorded transaction).
        fee_bps: protocol fee when no FeeConfig is readable (Global.fee_basis_points).
        creator_fee_bps: creator fee when no FeeConfig is readable
            (Global.creator_fee_basis_points); ignored by the legacy layout.
        layout: account list of buy/sell (see ``PumpLayout``).
        track_volume: the buy's ``track_volume`` flag (volume counts toward PUMP incentives).
        partial_fill: the buy's ``partial_fill`` flag (False: all tokens or fail).
        timeout_s: per-request timeout.
        max_quote_age_s: re-read the curve and re-quote when a quote is older.
    """

    rpc_url: str = "https://api.mainnet-beta.solana.com"
    commitment: Literal["processed", "confirmed", "finalized"] = "confirmed"
    program_id: Pubkey = PUMP_PROGRAM_ID
    fee_program_id: Pubkey = PUMP_FEE_PROGRAM_ID
    fee_recipient: Pubkey = field(
        default_factory=lambda: Pubkey.from_string("CebN5WGQ4jvEPvsVU4EoHEpgzq1VV7AbicfhtW4xC9iM")
    )
    mayhem_fee_recipient: Pubkey | None = None
    buyback_fee_recipient: Pubkey | None = None
    fee_bps: int = 100
    creator_fee_bps: int = 0
    layout: PumpLayout = "current"
    track_volume: bool = True
    partial_fill: bool = False
    timeout_s: float = 10.0
    max_quote_age_s: float = 2.0

    def __post_init__(self) -> None:
        for name, bps in (("fee_bps", self.fee_bps), ("creator_fee_bps", self.creator_fee_bps)):
            if not 0 <= bps < 10_000:
                raise ConfigError(
                    f"Pump.fun {name}={bps} must be in 0..9999 (the program uses 100 and 5).",
                    setting=f"pumpfun.{name}",
                )
        if self.layout not in _LAYOUTS:
            raise ConfigError(
                f"Pump.fun layout={self.layout!r} is not one of {', '.join(_LAYOUTS)}.",
                setting="pumpfun.layout",
            )
        if self.timeout_s <= 0 or self.max_quote_age_s <= 0:
            raise ConfigError(
                f"Pump.fun timeout_s={self.timeout_s} and max_quote_age_s="
                f"{self.max_quote_age_s} must be > 0.",
                setting="execution.max_quote_age_s",
            )

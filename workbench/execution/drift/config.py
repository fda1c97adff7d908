"""Settings of the Drift adapter: program, sub-account and the oracles of the markets traded.

A perp market's oracle lives in its on-chain ``PerpMarket`` account; Drift's instructions need it
as a remaining account. The oracles are settings here (from Drift's published market list, or
read once from the market account with ``parse.perp_market_oracle``) so no address is guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from solders.pubkey import Pubkey

from workbench.errors import ConfigError

__all__ = ["DRIFT_PROGRAM_ID", "DriftConfig", "DriftPerpMarket"]

DRIFT_PROGRAM_ID = Pubkey.from_string("dRiftyHA39MWEi3m9aunc5MzRF1JYuBsbn6VPcn33UH")


@dataclass(frozen=True, slots=True, kw_only=True)
class DriftPerpMarket:
    """One perp market the workbench may trade.

    Attributes:
        market_index: Drift's index (0 = SOL-PERP on mainnet).
        symbol: display name, e.g. ``SOL-PERP``; QuoteRequests name the market as
            ``drift-perp:<symbol>``.
        oracle: the market's oracle account (``PerpMarket.amm.oracle``).
    """

    market_index: int
    symbol: str
    oracle: Pubkey


@dataclass(frozen=True, slots=True, kw_only=True)
class DriftConfig:
    """How the Drift venue builds orders.

    Attributes:
        program_id: the Drift v2 program.
        sub_account_id: the user's sub-account (``User`` PDA seed).
        perp_markets: the markets that may be traded, by index.
        spot_oracles: spot market index -> oracle, for collateral markets (0 = USDC).
        quote_mint: the collateral mint quotes are denominated in (USDC, 6 decimals).
        auction_duration_slots: market-order auction length; None lets the program choose.
        rpc_url / commitment / timeout_s: where ``User`` accounts are read.
    """

    program_id: Pubkey = DRIFT_PROGRAM_ID
    sub_account_id: int = 0
    perp_markets: dict[int, DriftPerpMarket] = field(default_factory=dict)
    spot_oracles: dict[int, Pubkey] = field(default_factory=dict)
    quote_mint: str = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"
    auction_duration_slots: int | None = None
    rpc_url: str = "https://api.mainnet-beta.solana.com"
    commitment: str = "confirmed"
    timeout_s: float = 10.0

    def __post_init__(self) -> None:
        if not 0 <= self.sub_account_id <= 0xFFFF:
            raise ConfigError(
                f"Drift sub_account_id={self.sub_account_id} must fit a u16 (0..65535).",
                setting="drift.sub_account_id",
            )
        for index, market in self.perp_markets.items():
            if index != market.market_index or not 0 <= index <= 0xFFFF:
                raise ConfigError(
                    f"Drift perp_markets key {index} does not match market_index="
                    f"{market.market_index} (or is not a u16).",
                    setting="drift.perp_markets",
                )

    def market_by_symbol(self, symbol: str) -> DriftPerpMarket:
        """The configured market named ``symbol``.

        Raises:
            ConfigError: not configured; lists the configured symbols.
        """
        for market in self.perp_markets.values():
            if market.symbol == symbol:
                return market
        known = ", ".join(sorted(m.symbol for m in self.perp_markets.values())) or "none"
        raise ConfigError(
            f"Drift market {symbol!r} is not configured (configured: {known}); add it to "
            "DriftConfig.perp_markets with its index and oracle.",
            setting="drift.perp_markets",
        )

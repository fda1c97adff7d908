"""Paper-mode venue: constant-product pools of real SPL token accounts on LiteSVM."""

from workbench.execution.local_amm.math import (
    RAYDIUM_FEE_BPS,
    amount_out,
    fee_raw,
    min_out_raw,
    reserves_for_price,
)
from workbench.execution.local_amm.pool import LocalMarket, Pool
from workbench.execution.local_amm.venue import LocalAmmRoute, LocalAmmVenue

__all__ = [
    "RAYDIUM_FEE_BPS",
    "LocalAmmRoute",
    "LocalAmmVenue",
    "LocalMarket",
    "Pool",
    "amount_out",
    "fee_raw",
    "min_out_raw",
    "reserves_for_price",
]

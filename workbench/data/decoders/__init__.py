"""Pure decoders from raw Solana account bytes to pool and oracle state.

Single-account functions return frozen dataclasses with exact integers; ``*_many`` functions
view many accounts as one NumPy structured array for bulk work (100k+ accounts/s).
"""

from workbench.data.decoders.pumpfun import (
    PUMPFUN_PROGRAM_ID,
    BondingCurve,
    decode_bonding_curve,
    decode_bonding_curve_many,
)
from workbench.data.decoders.pyth import (
    PythPrice,
    PythPriceStatus,
    PythProduct,
    decode_pyth_mapping,
    decode_pyth_price,
    decode_pyth_product,
)
from workbench.data.decoders.raydium_amm_v4 import (
    RAYDIUM_AMM_V4_PROGRAM_ID,
    RaydiumAmmV4Pool,
    decode_raydium_amm_v4,
    decode_raydium_amm_v4_many,
)
from workbench.data.decoders.spl_token import decode_token_amounts
from workbench.data.decoders.whirlpool import (
    WHIRLPOOL_PROGRAM_ID,
    Whirlpool,
    decode_whirlpool,
    decode_whirlpool_many,
    whirlpool_prices,
)

__all__ = [
    "PUMPFUN_PROGRAM_ID",
    "RAYDIUM_AMM_V4_PROGRAM_ID",
    "WHIRLPOOL_PROGRAM_ID",
    "BondingCurve",
    "PythPrice",
    "PythPriceStatus",
    "PythProduct",
    "RaydiumAmmV4Pool",
    "Whirlpool",
    "decode_bonding_curve",
    "decode_bonding_curve_many",
    "decode_pyth_mapping",
    "decode_pyth_price",
    "decode_pyth_product",
    "decode_raydium_amm_v4",
    "decode_raydium_amm_v4_many",
    "decode_token_amounts",
    "decode_whirlpool",
    "decode_whirlpool_many",
    "whirlpool_prices",
]

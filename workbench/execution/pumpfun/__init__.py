"""Pump.fun adapter: bonding-curve decoding and quote math, buy/sell instructions, the venue.

Modules: ``config`` (addresses, fee, layout), ``schemas`` (RPC envelope and on-chain records),
``parse`` (pure decoding and curve math), ``instructions`` (pure builders and PDAs), ``client``
(RPC reads only), ``venue`` (the Venue port).
"""

from workbench.execution.pumpfun.client import PumpFunClient
from workbench.execution.pumpfun.config import PUMP_PROGRAM_ID, PumpFunConfig
from workbench.execution.pumpfun.instructions import (
    BUY_DISCRIMINATOR,
    SELL_DISCRIMINATOR,
    bonding_curve_pda,
    build_buy,
    build_sell,
    creator_vault_pda,
)
from workbench.execution.pumpfun.parse import (
    BuyQuote,
    PumpRoute,
    SellQuote,
    buy_cost_lamports,
    decode_bonding_curve,
    decode_trade_event,
    quote_buy,
    quote_sell,
)
from workbench.execution.pumpfun.schemas import BondingCurve, TradeEvent
from workbench.execution.pumpfun.venue import AccountSource, PumpFunVenue

__all__ = [
    "BUY_DISCRIMINATOR",
    "PUMP_PROGRAM_ID",
    "SELL_DISCRIMINATOR",
    "AccountSource",
    "BondingCurve",
    "BuyQuote",
    "PumpFunClient",
    "PumpFunConfig",
    "PumpFunVenue",
    "PumpRoute",
    "SellQuote",
    "TradeEvent",
    "bonding_curve_pda",
    "build_buy",
    "build_sell",
    "buy_cost_lamports",
    "creator_vault_pda",
    "decode_bonding_curve",
    "decode_trade_event",
    "quote_buy",
    "quote_sell",
]

"""Wire structs: the JSON-RPC ``getAccountInfo`` envelope and Pump.fun's on-chain records.

On-chain records are Anchor accounts/events (8-byte discriminator, then little-endian fields);
they are decoded in ``parse.py`` into the frozen structs below.
"""

from __future__ import annotations

import msgspec
from solders.pubkey import Pubkey

__all__ = [
    "AccountInfoValue",
    "BondingCurve",
    "GetAccountInfoResponse",
    "RpcError",
    "TradeEvent",
]


class RpcError(msgspec.Struct, frozen=True):
    """A JSON-RPC error object."""

    code: int
    message: str
    data: object | None = None


class AccountInfoValue(msgspec.Struct, frozen=True, rename="camel"):
    """``result.value`` of ``getAccountInfo`` with ``encoding: base64``."""

    data: list[str]  # [base64 bytes, "base64"]
    owner: str
    lamports: int
    executable: bool = False
    rent_epoch: int | None = None
    space: int | None = None


class _Context(msgspec.Struct, frozen=True):
    slot: int


class _AccountInfoResult(msgspec.Struct, frozen=True):
    context: _Context
    value: AccountInfoValue | None  # null when the account does not exist


class GetAccountInfoResponse(msgspec.Struct, frozen=True):
    """The JSON-RPC envelope: either ``result`` or ``error``."""

    jsonrpc: str
    id: int | str | None = None
    result: _AccountInfoResult | None = None
    error: RpcError | None = None


class BondingCurve(msgspec.Struct, frozen=True, kw_only=True):
    """Pump.fun ``BondingCurve`` account (PDA ``["bonding-curve", mint]``), base units.

    Prices come from the *virtual* reserves (constant product x*y=k); the *real* reserves are
    what the curve can actually pay out. ``complete`` turns true when real tokens run out and the
    liquidity migrates to PumpSwap/Raydium.
    """

    virtual_token_reserves: int
    virtual_sol_reserves: int  # lamports
    real_token_reserves: int
    real_sol_reserves: int  # lamports
    token_total_supply: int
    complete: bool
    creator: Pubkey | None = None  # newer accounts only (>= 81 bytes); None when all zero
    is_mayhem_mode: bool = False  # byte 81 when present
    is_cashback_coin: bool = False  # byte 82 when present
    quote_mint: Pubkey | None = None  # bytes 83..115 when present; None (default key) = SOL


class TradeEvent(msgspec.Struct, frozen=True, kw_only=True):
    """Pump.fun ``TradeEvent`` (logged as ``Program data:``); reserves are *after* the trade."""

    mint: Pubkey
    sol_amount: int  # lamports to/from the curve, before the fee
    token_amount: int
    is_buy: bool
    user: Pubkey
    timestamp: int
    virtual_sol_reserves: int
    virtual_token_reserves: int
    real_sol_reserves: int | None = None
    real_token_reserves: int | None = None
    # fields of the creator-fee era event (None in the 2024 event, which ends at real reserves)
    fee_recipient: Pubkey | None = None
    fee_basis_points: int | None = None
    fee: int | None = None  # protocol fee, lamports
    creator: Pubkey | None = None
    creator_fee_basis_points: int | None = None
    creator_fee: int | None = None

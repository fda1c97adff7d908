"""Drift PDAs and the ``place_perp_order`` instruction (pure).

Seeds (``programs/drift``): state ``["drift_state"]``; user ``["user", authority,
sub_account_id u16 LE]``; user stats ``["user_stats", authority]``; perp market
``["perp_market", market_index u16 LE]``; spot market ``["spot_market", market_index u16 LE]``.

``place_perp_order`` accounts: state (r), user (w), authority (signer), then remaining accounts
the program reads for margin: oracles, spot markets, perp markets (all read-only), in that order,
as Drift's SDKs pass them.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable

from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey

from workbench.execution.drift.parse import encode_order_params
from workbench.execution.drift.schemas import OrderParams

__all__ = [
    "PLACE_PERP_ORDER_DISCRIMINATOR",
    "build_place_perp_order",
    "perp_market_pda",
    "spot_market_pda",
    "state_pda",
    "user_pda",
    "user_stats_pda",
]

PLACE_PERP_ORDER_DISCRIMINATOR = hashlib.sha256(b"global:place_perp_order").digest()[:8]


def state_pda(program_id: Pubkey) -> Pubkey:
    """The global State account."""
    return Pubkey.find_program_address([b"drift_state"], program_id)[0]


def user_pda(authority: Pubkey, sub_account_id: int, program_id: Pubkey) -> Pubkey:
    """A wallet's User account for one sub-account."""
    seeds = [b"user", bytes(authority), struct.pack("<H", sub_account_id)]
    return Pubkey.find_program_address(seeds, program_id)[0]


def user_stats_pda(authority: Pubkey, program_id: Pubkey) -> Pubkey:
    """A wallet's UserStats account."""
    return Pubkey.find_program_address([b"user_stats", bytes(authority)], program_id)[0]


def perp_market_pda(market_index: int, program_id: Pubkey) -> Pubkey:
    """A perp market account."""
    seeds = [b"perp_market", struct.pack("<H", market_index)]
    return Pubkey.find_program_address(seeds, program_id)[0]


def spot_market_pda(market_index: int, program_id: Pubkey) -> Pubkey:
    """A spot market account."""
    seeds = [b"spot_market", struct.pack("<H", market_index)]
    return Pubkey.find_program_address(seeds, program_id)[0]


def _unique(keys: Iterable[Pubkey]) -> list[Pubkey]:
    seen: dict[Pubkey, None] = {}
    for key in keys:
        seen.setdefault(key, None)
    return list(seen)


def build_place_perp_order(
    *,
    authority: Pubkey,
    params: OrderParams,
    program_id: Pubkey,
    sub_account_id: int = 0,
    oracles: Iterable[Pubkey] = (),
    spot_market_indexes: Iterable[int] = (),
    perp_market_indexes: Iterable[int] = (),
) -> Instruction:
    """``place_perp_order(params)`` for ``authority``'s sub-account.

    Args:
        authority: the wallet (signer).
        params: the order.
        program_id: the Drift program.
        sub_account_id: the User sub-account.
        oracles: oracles of every market in the remaining accounts.
        spot_market_indexes: collateral markets the user holds (margin needs them).
        perp_market_indexes: the traded market and every market with an open position.
    """
    accounts = [
        AccountMeta(state_pda(program_id), False, False),
        AccountMeta(user_pda(authority, sub_account_id, program_id), False, True),
        AccountMeta(authority, True, False),
    ]
    accounts += [AccountMeta(k, False, False) for k in _unique(oracles)]
    accounts += [
        AccountMeta(spot_market_pda(i, program_id), False, False)
        for i in dict.fromkeys(spot_market_indexes)
    ]
    accounts += [
        AccountMeta(perp_market_pda(i, program_id), False, False)
        for i in dict.fromkeys(perp_market_indexes)
    ]
    data = PLACE_PERP_ORDER_DISCRIMINATOR + encode_order_params(params)
    return Instruction(program_id, data, accounts)

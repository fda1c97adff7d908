"""Pump.fun buy/sell instruction builders and PDAs (pure; verified on recorded transactions).

Instruction data is Anchor's: ``sha256("global:buy")[:8]`` or ``sha256("global:sell")[:8]``,
then ``amount: u64`` (tokens) and ``max_sol_cost: u64`` / ``min_sol_output: u64`` (lamports),
little endian: 24 bytes.
"""

from __future__ import annotations

import hashlib
import struct

from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey
from spl.token.instructions import (
    create_idempotent_associated_token_account,
    get_associated_token_address,
)

from workbench.execution.pumpfun.config import PumpFunConfig

__all__ = [
    "ASSOCIATED_TOKEN_PROGRAM_ID",
    "BUY_DISCRIMINATOR",
    "RENT_SYSVAR_ID",
    "SELL_DISCRIMINATOR",
    "SYSTEM_PROGRAM_ID",
    "TOKEN_PROGRAM_ID",
    "bonding_curve_pda",
    "build_buy",
    "build_create_user_ata",
    "build_sell",
    "creator_vault_pda",
    "event_authority_pda",
    "global_pda",
]

BUY_DISCRIMINATOR = hashlib.sha256(b"global:buy").digest()[:8]
SELL_DISCRIMINATOR = hashlib.sha256(b"global:sell").digest()[:8]
SYSTEM_PROGRAM_ID = Pubkey.from_string("11111111111111111111111111111111")
TOKEN_PROGRAM_ID = Pubkey.from_string("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA")
ASSOCIATED_TOKEN_PROGRAM_ID = Pubkey.from_string("ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL")
RENT_SYSVAR_ID = Pubkey.from_string("SysvarRent111111111111111111111111111111111")
_ARGS = struct.Struct("<QQ")


def global_pda(program_id: Pubkey) -> Pubkey:
    """The Global config account: PDA ``["global"]``."""
    return Pubkey.find_program_address([b"global"], program_id)[0]


def event_authority_pda(program_id: Pubkey) -> Pubkey:
    """Anchor's event authority: PDA ``["__event_authority"]``."""
    return Pubkey.find_program_address([b"__event_authority"], program_id)[0]


def bonding_curve_pda(mint: Pubkey, program_id: Pubkey) -> Pubkey:
    """A mint's bonding curve: PDA ``["bonding-curve", mint]``."""
    return Pubkey.find_program_address([b"bonding-curve", bytes(mint)], program_id)[0]


def creator_vault_pda(creator: Pubkey, program_id: Pubkey) -> Pubkey:
    """The creator fee vault: PDA ``["creator-vault", creator]`` (creator_vault layout)."""
    return Pubkey.find_program_address([b"creator-vault", bytes(creator)], program_id)[0]


def _head(user: Pubkey, mint: Pubkey, config: PumpFunConfig) -> list[AccountMeta]:
    program = config.program_id
    curve = bonding_curve_pda(mint, program)
    return [
        AccountMeta(global_pda(program), False, False),
        AccountMeta(config.fee_recipient, False, True),
        AccountMeta(mint, False, False),
        AccountMeta(curve, False, True),
        AccountMeta(get_associated_token_address(curve, mint), False, True),
        AccountMeta(get_associated_token_address(user, mint), False, True),
        AccountMeta(user, True, True),
        AccountMeta(SYSTEM_PROGRAM_ID, False, False),
    ]


def _tail(config: PumpFunConfig) -> list[AccountMeta]:
    return [
        AccountMeta(event_authority_pda(config.program_id), False, False),
        AccountMeta(config.program_id, False, False),
    ]


def _vault(creator: Pubkey | None, config: PumpFunConfig) -> AccountMeta:
    if creator is None:
        raise ValueError("creator_vault layout needs the curve's creator; this curve has none")
    return AccountMeta(creator_vault_pda(creator, config.program_id), False, True)


def build_buy(
    *,
    user: Pubkey,
    mint: Pubkey,
    token_amount: int,
    max_sol_cost_lamports: int,
    config: PumpFunConfig,
    creator: Pubkey | None = None,
) -> Instruction:
    """The ``buy`` instruction: exactly ``token_amount`` tokens for at most the given lamports.

    Accounts (legacy): global, fee_recipient (w), mint, bonding_curve (w), associated_bonding_curve
    (w), associated_user (w), user (s, w), system_program, token_program, rent, event_authority,
    program. The creator_vault layout puts the creator vault (w) where rent was.
    """
    slot9 = (
        AccountMeta(RENT_SYSVAR_ID, False, False)
        if config.layout == "legacy"
        else _vault(creator, config)
    )
    accounts = [
        *_head(user, mint, config),
        AccountMeta(TOKEN_PROGRAM_ID, False, False),
        slot9,
        *_tail(config),
    ]
    data = BUY_DISCRIMINATOR + _ARGS.pack(token_amount, max_sol_cost_lamports)
    return Instruction(config.program_id, data, accounts)


def build_sell(
    *,
    user: Pubkey,
    mint: Pubkey,
    token_amount: int,
    min_sol_output_lamports: int,
    config: PumpFunConfig,
    creator: Pubkey | None = None,
) -> Instruction:
    """The ``sell`` instruction: exactly ``token_amount`` tokens for at least the given lamports.

    Accounts (legacy): global, fee_recipient (w), mint, bonding_curve (w), associated_bonding_curve
    (w), associated_user (w), user (s, w), system_program, associated_token_program,
    token_program, event_authority, program. The creator_vault layout puts the creator vault (w)
    where the associated token program was.
    """
    slot8 = (
        AccountMeta(ASSOCIATED_TOKEN_PROGRAM_ID, False, False)
        if config.layout == "legacy"
        else _vault(creator, config)
    )
    accounts = [
        *_head(user, mint, config),
        slot8,
        AccountMeta(TOKEN_PROGRAM_ID, False, False),
        *_tail(config),
    ]
    data = SELL_DISCRIMINATOR + _ARGS.pack(token_amount, min_sol_output_lamports)
    return Instruction(config.program_id, data, accounts)


def build_create_user_ata(user: Pubkey, mint: Pubkey) -> Instruction:
    """Create the user's token account for ``mint`` if missing (idempotent), paid by the user."""
    return create_idempotent_associated_token_account(payer=user, owner=user, mint=mint)

"""Pump.fun buy/sell instruction builders, decoders and PDAs (pure).

Instruction data is Anchor's: ``sha256("global:buy")[:8]`` or ``sha256("global:sell")[:8]``,
then little-endian args. Three account layouts (``PumpLayout`` in config.py):

legacy (2024; byte for byte on the recorded mainnet transactions), 12 accounts, data
``amount u64 | max_sol_cost u64`` (buy) or ``amount u64 | min_sol_output u64`` (sell)::

    buy:  global, fee_recipient(w), mint, bonding_curve(w), associated_bonding_curve(w),
          associated_user(w), user(s,w), system_program, token_program, rent,
          event_authority, program
    sell: ... user(s,w), system_program, associated_token_program, token_program,
          event_authority, program

creator_vault (May 2025): the creator vault (w) takes the place of ``rent`` (buy) and of
``associated_token_program`` (sell).

current (pump-public-docs ``idl/pump.json``, commit 2293f9a)::

    buy (16): global, fee_recipient(w), mint, bonding_curve(w), associated_bonding_curve(w),
          associated_user(w), user(s,w), system_program, token_program, creator_vault(w),
          event_authority, program, global_volume_accumulator, user_volume_accumulator(w),
          fee_config, fee_program
          data: amount u64 | max_sol_cost u64 | track_volume OptionBool | partial_fill OptionBool
    sell (14): global, fee_recipient(w), mint, bonding_curve(w), associated_bonding_curve(w),
          associated_user(w), user(s,w), system_program, creator_vault(w), token_program,
          event_authority, program, fee_config, fee_program
          data: amount u64 | min_sol_output u64

``OptionBool`` is a one-field struct: one byte. PDA seeds (IDL): global ``["global"]``; curve
``["bonding-curve", mint]``; creator vault ``["creator-vault", curve.creator]``; global volume
accumulator ``["global_volume_accumulator"]``; user volume accumulator
``["user_volume_accumulator", user]``; fee config ``["fee_config", pump program id]`` under the
Pump Fees program; bonding curve v2 ``["bonding-curve-v2", mint]``; event authority
``["__event_authority"]``. Remaining accounts (not in the IDL's list): a cashback coin's sell
takes ``[user_volume_accumulator(w), bonding_curve_v2]`` (IDL ``sell`` docs); the buyback fee
recipient (program error 6062) follows ``bonding_curve_v2`` when configured.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey
from spl.token.instructions import (
    create_idempotent_associated_token_account,
    get_associated_token_address,
)

from workbench.errors import SchemaError
from workbench.execution.pumpfun.config import PumpFunConfig, PumpLayout

__all__ = [
    "ASSOCIATED_TOKEN_PROGRAM_ID",
    "BUY_DISCRIMINATOR",
    "CURRENT_BUY_ACCOUNTS",
    "CURRENT_SELL_ACCOUNTS",
    "LEGACY_BUY_ACCOUNTS",
    "LEGACY_SELL_ACCOUNTS",
    "RENT_SYSVAR_ID",
    "SELL_DISCRIMINATOR",
    "SYSTEM_PROGRAM_ID",
    "TOKEN_2022_PROGRAM_ID",
    "TOKEN_PROGRAM_ID",
    "DecodedTrade",
    "bonding_curve_pda",
    "bonding_curve_v2_pda",
    "build_buy",
    "build_create_user_ata",
    "build_sell",
    "creator_vault_pda",
    "decode_trade_instruction",
    "event_authority_pda",
    "fee_config_pda",
    "global_pda",
    "global_volume_accumulator_pda",
    "user_volume_accumulator_pda",
]

BUY_DISCRIMINATOR = hashlib.sha256(b"global:buy").digest()[:8]
SELL_DISCRIMINATOR = hashlib.sha256(b"global:sell").digest()[:8]
SYSTEM_PROGRAM_ID = Pubkey.from_string("11111111111111111111111111111111")
TOKEN_PROGRAM_ID = Pubkey.from_string("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA")
TOKEN_2022_PROGRAM_ID = Pubkey.from_string("TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb")
ASSOCIATED_TOKEN_PROGRAM_ID = Pubkey.from_string("ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL")
RENT_SYSVAR_ID = Pubkey.from_string("SysvarRent111111111111111111111111111111111")
_ARGS = struct.Struct("<QQ")

_HEAD = (
    "global",
    "fee_recipient",
    "mint",
    "bonding_curve",
    "associated_bonding_curve",
    "associated_user",
    "user",
    "system_program",
)
LEGACY_BUY_ACCOUNTS = (*_HEAD, "token_program", "rent", "event_authority", "program")
LEGACY_SELL_ACCOUNTS = (
    *_HEAD,
    "associated_token_program",
    "token_program",
    "event_authority",
    "program",
)
_CREATOR_VAULT_BUY = (*_HEAD, "token_program", "creator_vault", "event_authority", "program")
_CREATOR_VAULT_SELL = (*_HEAD, "creator_vault", "token_program", "event_authority", "program")
CURRENT_BUY_ACCOUNTS = (
    *_CREATOR_VAULT_BUY,
    "global_volume_accumulator",
    "user_volume_accumulator",
    "fee_config",
    "fee_program",
)
CURRENT_SELL_ACCOUNTS = (*_CREATOR_VAULT_SELL, "fee_config", "fee_program")


def _pda(seeds: list[bytes], program_id: Pubkey) -> Pubkey:
    return Pubkey.find_program_address(seeds, program_id)[0]


def global_pda(program_id: Pubkey) -> Pubkey:
    """The Global config account: PDA ``["global"]``."""
    return _pda([b"global"], program_id)


def event_authority_pda(program_id: Pubkey) -> Pubkey:
    """Anchor's event authority: PDA ``["__event_authority"]``."""
    return _pda([b"__event_authority"], program_id)


def bonding_curve_pda(mint: Pubkey, program_id: Pubkey) -> Pubkey:
    """A mint's bonding curve: PDA ``["bonding-curve", mint]``."""
    return _pda([b"bonding-curve", bytes(mint)], program_id)


def bonding_curve_v2_pda(mint: Pubkey, program_id: Pubkey) -> Pubkey:
    """A mint's bonding-curve extension: PDA ``["bonding-curve-v2", mint]``."""
    return _pda([b"bonding-curve-v2", bytes(mint)], program_id)


def creator_vault_pda(creator: Pubkey, program_id: Pubkey) -> Pubkey:
    """The creator fee vault: PDA ``["creator-vault", creator]``."""
    return _pda([b"creator-vault", bytes(creator)], program_id)


def global_volume_accumulator_pda(program_id: Pubkey) -> Pubkey:
    """Volume totals for PUMP incentives: PDA ``["global_volume_accumulator"]``."""
    return _pda([b"global_volume_accumulator"], program_id)


def user_volume_accumulator_pda(user: Pubkey, program_id: Pubkey) -> Pubkey:
    """A user's volume (and cashback): PDA ``["user_volume_accumulator", user]``."""
    return _pda([b"user_volume_accumulator", bytes(user)], program_id)


def fee_config_pda(program_id: Pubkey, fee_program_id: Pubkey) -> Pubkey:
    """The Pump program's FeeConfig: PDA ``["fee_config", program_id]`` of the fee program."""
    return _pda([b"fee_config", bytes(program_id)], fee_program_id)


def _addresses(
    names: Sequence[str],
    *,
    user: Pubkey,
    mint: Pubkey,
    config: PumpFunConfig,
    creator: Pubkey | None,
    fee_recipient: Pubkey,
    token_program: Pubkey,
) -> list[AccountMeta]:
    program = config.program_id
    curve = bonding_curve_pda(mint, program)
    fixed = {
        "global": (global_pda(program), False),
        "fee_recipient": (fee_recipient, True),
        "mint": (mint, False),
        "bonding_curve": (curve, True),
        "associated_bonding_curve": (
            get_associated_token_address(curve, mint, token_program),
            True,
        ),
        "associated_user": (get_associated_token_address(user, mint, token_program), True),
        "system_program": (SYSTEM_PROGRAM_ID, False),
        "token_program": (token_program, False),
        "rent": (RENT_SYSVAR_ID, False),
        "associated_token_program": (ASSOCIATED_TOKEN_PROGRAM_ID, False),
        "event_authority": (event_authority_pda(program), False),
        "program": (program, False),
        "global_volume_accumulator": (global_volume_accumulator_pda(program), False),
        "user_volume_accumulator": (user_volume_accumulator_pda(user, program), True),
        "fee_config": (fee_config_pda(program, config.fee_program_id), False),
        "fee_program": (config.fee_program_id, False),
    }
    metas = [AccountMeta(user, True, True) if n == "user" else None for n in names]
    for i, name in enumerate(names):
        if name == "creator_vault":
            if creator is None:
                raise ValueError(
                    f"the {config.layout} layout needs the curve's creator; this curve has none"
                )
            metas[i] = AccountMeta(creator_vault_pda(creator, program), False, True)
        elif metas[i] is None:
            key, writable = fixed[name]
            metas[i] = AccountMeta(key, False, writable)
    return [m for m in metas if m is not None]


def _names(side: Literal["buy", "sell"], layout: PumpLayout) -> tuple[str, ...]:
    table = {
        ("buy", "legacy"): LEGACY_BUY_ACCOUNTS,
        ("sell", "legacy"): LEGACY_SELL_ACCOUNTS,
        ("buy", "creator_vault"): _CREATOR_VAULT_BUY,
        ("sell", "creator_vault"): _CREATOR_VAULT_SELL,
        ("buy", "current"): CURRENT_BUY_ACCOUNTS,
        ("sell", "current"): CURRENT_SELL_ACCOUNTS,
    }
    return table[(side, layout)]


def _remaining(
    side: Literal["buy", "sell"],
    *,
    user: Pubkey,
    mint: Pubkey,
    config: PumpFunConfig,
    is_cashback_coin: bool,
) -> list[AccountMeta]:
    if config.layout != "current":
        return []
    program = config.program_id
    out: list[AccountMeta] = []
    if side == "sell" and is_cashback_coin:
        out.append(AccountMeta(user_volume_accumulator_pda(user, program), False, True))
    if out or config.buyback_fee_recipient is not None:
        out.append(AccountMeta(bonding_curve_v2_pda(mint, program), False, False))
    if config.buyback_fee_recipient is not None:
        out.append(AccountMeta(config.buyback_fee_recipient, False, True))
    return out


def build_buy(
    *,
    user: Pubkey,
    mint: Pubkey,
    token_amount: int,
    max_sol_cost_lamports: int,
    config: PumpFunConfig,
    creator: Pubkey | None = None,
    fee_recipient: Pubkey | None = None,
    token_program: Pubkey = TOKEN_PROGRAM_ID,
) -> Instruction:
    """The ``buy`` instruction: exactly ``token_amount`` tokens for at most the given lamports.

    ``max_sol_cost_lamports`` includes the protocol and creator fees. ``fee_recipient``
    overrides ``config.fee_recipient`` (mayhem-mode curves need a reserved recipient).
    """
    accounts = _addresses(
        _names("buy", config.layout),
        user=user,
        mint=mint,
        config=config,
        creator=creator,
        fee_recipient=fee_recipient or config.fee_recipient,
        token_program=token_program,
    )
    accounts += _remaining("buy", user=user, mint=mint, config=config, is_cashback_coin=False)
    data = BUY_DISCRIMINATOR + _ARGS.pack(token_amount, max_sol_cost_lamports)
    if config.layout == "current":
        data += bytes([config.track_volume, config.partial_fill])
    return Instruction(config.program_id, data, accounts)


def build_sell(
    *,
    user: Pubkey,
    mint: Pubkey,
    token_amount: int,
    min_sol_output_lamports: int,
    config: PumpFunConfig,
    creator: Pubkey | None = None,
    fee_recipient: Pubkey | None = None,
    is_cashback_coin: bool = False,
    token_program: Pubkey = TOKEN_PROGRAM_ID,
) -> Instruction:
    """The ``sell`` instruction: exactly ``token_amount`` tokens for at least the given lamports.

    ``min_sol_output_lamports`` is net of the fees. A cashback coin's sell appends the user
    volume accumulator and bonding_curve_v2 so the creator fee is credited back to the user.
    """
    accounts = _addresses(
        _names("sell", config.layout),
        user=user,
        mint=mint,
        config=config,
        creator=creator,
        fee_recipient=fee_recipient or config.fee_recipient,
        token_program=token_program,
    )
    accounts += _remaining(
        "sell", user=user, mint=mint, config=config, is_cashback_coin=is_cashback_coin
    )
    data = SELL_DISCRIMINATOR + _ARGS.pack(token_amount, min_sol_output_lamports)
    return Instruction(config.program_id, data, accounts)


def build_create_user_ata(
    user: Pubkey, mint: Pubkey, token_program: Pubkey = TOKEN_PROGRAM_ID
) -> Instruction:
    """Create the user's token account for ``mint`` if missing (idempotent), paid by the user."""
    return create_idempotent_associated_token_account(
        payer=user, owner=user, mint=mint, token_program_id=token_program
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class DecodedTrade:
    """A buy/sell instruction read back: which layout, its arguments and named accounts.

    Attributes:
        side: ``buy`` or ``sell``.
        layout: the account layout the instruction matches.
        token_amount: ``amount``.
        sol_limit_lamports: ``max_sol_cost`` (buy) or ``min_sol_output`` (sell).
        track_volume / partial_fill: the current buy's flags; None when absent.
        accounts: account name -> address, in instruction order.
        remaining: accounts after the layout's list.
    """

    side: Literal["buy", "sell"]
    layout: PumpLayout
    token_amount: int
    sol_limit_lamports: int
    track_volume: bool | None
    partial_fill: bool | None
    accounts: dict[str, str]
    remaining: tuple[str, ...]


def decode_trade_instruction(data: bytes, accounts: Sequence[Pubkey | str]) -> DecodedTrade:
    """Decode a Pump ``buy``/``sell`` of any known layout from its data and account keys.

    Raises:
        SchemaError: not a buy/sell, or the accounts match no known layout.
    """
    keys = [str(k) for k in accounts]
    head = data[:8]
    side: Literal["buy", "sell"]
    if head == BUY_DISCRIMINATOR:
        side = "buy"
    elif head == SELL_DISCRIMINATOR:
        side = "sell"
    else:
        raise SchemaError(
            f"Instruction data {data[:8].hex()} is not Pump buy ({BUY_DISCRIMINATOR.hex()}) or "
            f"sell ({SELL_DISCRIMINATOR.hex()}).",
            source="pump instruction",
            payload=data[:32].hex(),
        )
    if len(data) < 24:
        raise SchemaError(
            f"Pump {side} data has {len(data)} bytes; at least 24 (discriminator + 2 x u64).",
            source="pump instruction",
            payload=data.hex(),
        )
    amount, limit = _ARGS.unpack_from(data, 8)
    layout: PumpLayout
    if len(keys) == 12:
        # the slot the 2025 upgrade gave to the creator vault
        slot = 9 if side == "buy" else 8
        legacy = RENT_SYSVAR_ID if side == "buy" else ASSOCIATED_TOKEN_PROGRAM_ID
        layout = "legacy" if keys[slot] == str(legacy) else "creator_vault"
    elif len(keys) >= len(_names(side, "current")):
        layout = "current"
    else:
        raise SchemaError(
            f"Pump {side} with {len(keys)} accounts matches no known layout (12 legacy or "
            f"creator_vault, {len(_names(side, 'current'))}+ current).",
            source="pump instruction",
            payload=",".join(keys)[:500],
        )
    names = _names(side, layout)
    flags = data[24:26]
    return DecodedTrade(
        side=side,
        layout=layout,
        token_amount=amount,
        sol_limit_lamports=limit,
        track_volume=bool(flags[0]) if len(flags) >= 1 else None,
        partial_fill=bool(flags[1]) if len(flags) >= 2 else None,
        accounts=dict(zip(names, keys, strict=False)),
        remaining=tuple(keys[len(names) :]),
    )

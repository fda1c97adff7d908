"""Raydium AMM v4 (``675kPX9MHTjS2zt1qfr1NYHuzeLXfQM9H24wFSUt1Mp8``) pool state.

The ``AmmInfo`` account is 752 bytes of packed u64s and pubkeys (raydium-amm
``program/src/state.rs``). It does not hold reserves: those are the balances of the two vault
token accounts it names (``coin_vault``, ``pc_vault``), minus the protocol's pending PnL
(``need_take_pnl_*``), which is why :func:`pool_reserves` needs both vault balances.

Layout (offsets in bytes)::

    0    16 x u64   status, nonce, order_num, depth, coin_decimals, pc_decimals, state,
                    reset_flag, min_size, vol_max_cut_ratio, amount_wave, coin_lot_size,
                    pc_lot_size, min_price_multiplier, max_price_multiplier, sys_decimal_value
    128  Fees       8 x u64 (min_separate n/d, trade_fee n/d, pnl n/d, swap_fee n/d)
    192  StateData  need_take_pnl_coin, need_take_pnl_pc, total_pnl_pc, total_pnl_coin,
                    pool_open_time, 2 x padding, orderbook_to_init_time (u64 each), then
                    swap_coin_in u128, swap_pc_out u128, swap_acc_pc_fee u64,
                    swap_pc_in u128, swap_coin_out u128, swap_acc_coin_fee u64
    336  9 x Pubkey coin_vault, pc_vault, coin_mint, pc_mint, lp_mint, open_orders, market,
                    market_program, target_orders
    624  8 x u64    padding
    688  Pubkey     amm_owner
    720  4 x u64    lp_amount, client_order_id, recent_epoch, padding
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
from solders.pubkey import Pubkey

from workbench.data.decoders._common import PUBKEY, as_records, pubkey

__all__ = [
    "RAYDIUM_AMM_V4_DTYPE",
    "RAYDIUM_AMM_V4_PROGRAM_ID",
    "RAYDIUM_AMM_V4_SIZE",
    "RaydiumAmmV4Pool",
    "decode_raydium_amm_v4",
    "decode_raydium_amm_v4_many",
]

RAYDIUM_AMM_V4_PROGRAM_ID = Pubkey.from_string("675kPX9MHTjS2zt1qfr1NYHuzeLXfQM9H24wFSUt1Mp8")
RAYDIUM_AMM_V4_SIZE = 752

_U64_HEAD = (
    "status",
    "nonce",
    "order_num",
    "depth",
    "coin_decimals",
    "pc_decimals",
    "state",
    "reset_flag",
    "min_size",
    "vol_max_cut_ratio",
    "amount_wave",
    "coin_lot_size",
    "pc_lot_size",
    "min_price_multiplier",
    "max_price_multiplier",
    "sys_decimal_value",
    "min_separate_numerator",
    "min_separate_denominator",
    "trade_fee_numerator",
    "trade_fee_denominator",
    "pnl_numerator",
    "pnl_denominator",
    "swap_fee_numerator",
    "swap_fee_denominator",
    "need_take_pnl_coin",
    "need_take_pnl_pc",
    "total_pnl_pc",
    "total_pnl_coin",
    "pool_open_time",
    "padding_a",
    "padding_b",
    "orderbook_to_init_time",
)

RAYDIUM_AMM_V4_DTYPE = np.dtype(
    [(name, "<u8") for name in _U64_HEAD]
    + [
        ("swap_coin_in_lo", "<u8"), ("swap_coin_in_hi", "<u8"),
        ("swap_pc_out_lo", "<u8"), ("swap_pc_out_hi", "<u8"),
        ("swap_acc_pc_fee", "<u8"),
        ("swap_pc_in_lo", "<u8"), ("swap_pc_in_hi", "<u8"),
        ("swap_coin_out_lo", "<u8"), ("swap_coin_out_hi", "<u8"),
        ("swap_acc_coin_fee", "<u8"),
        ("coin_vault", PUBKEY), ("pc_vault", PUBKEY), ("coin_mint", PUBKEY),
        ("pc_mint", PUBKEY), ("lp_mint", PUBKEY), ("open_orders", PUBKEY), ("market", PUBKEY),
        ("market_program", PUBKEY), ("target_orders", PUBKEY),
        ("padding1", "<u8", (8,)),
        ("amm_owner", PUBKEY),
        ("lp_amount", "<u8"), ("client_order_id", "<u8"), ("recent_epoch", "<u8"),
        ("padding2", "<u8"),
    ]
)


@dataclass(frozen=True, slots=True, kw_only=True)
class RaydiumAmmV4Pool:
    """A decoded Raydium AMM v4 pool; "coin" is the base token and "pc" the quote token.

    Attributes:
        status: pool status (6 = swap only, 1 = initialized, 7 = waiting for trade ...).
        nonce: bump of the pool authority PDA ``[b"amm authority"]``.
        coin_decimals / pc_decimals: decimals of the two mints.
        swap_fee_numerator / swap_fee_denominator: the taker fee (25/10000 = 0.25%).
        trade_fee_numerator / trade_fee_denominator: fee share booked as trade fee.
        need_take_pnl_coin / need_take_pnl_pc: protocol PnL still sitting in the vaults, base
            units; not tradable, so subtracted from the vault balances.
        pool_open_time: when swaps open, unix seconds.
        coin_vault / pc_vault: the token accounts holding the reserves.
        coin_mint / pc_mint / lp_mint: the mints.
        open_orders / market / market_program / target_orders: OpenBook wiring.
        amm_owner: the pool's admin.
        lp_amount: LP tokens outstanding, base units.
    """

    status: int
    nonce: int
    coin_decimals: int
    pc_decimals: int
    swap_fee_numerator: int
    swap_fee_denominator: int
    trade_fee_numerator: int
    trade_fee_denominator: int
    need_take_pnl_coin: int
    need_take_pnl_pc: int
    pool_open_time: int
    coin_vault: Pubkey
    pc_vault: Pubkey
    coin_mint: Pubkey
    pc_mint: Pubkey
    lp_mint: Pubkey
    open_orders: Pubkey
    market: Pubkey
    market_program: Pubkey
    target_orders: Pubkey
    amm_owner: Pubkey
    lp_amount: int

    def reserves(self, coin_vault_amount_raw: int, pc_vault_amount_raw: int) -> tuple[int, int]:
        """Tradable (coin, pc) reserves in base units from the two vault balances.

        The vaults also hold PnL owed to the protocol; Raydium subtracts it before pricing.
        """
        return (
            coin_vault_amount_raw - self.need_take_pnl_coin,
            pc_vault_amount_raw - self.need_take_pnl_pc,
        )

    def price(self, coin_vault_amount_raw: int, pc_vault_amount_raw: int) -> Decimal:
        """Marginal price, pc per coin in human units, from the two vault balances."""
        coin, pc = self.reserves(coin_vault_amount_raw, pc_vault_amount_raw)
        return (Decimal(pc) / Decimal(coin)).scaleb(self.coin_decimals - self.pc_decimals)


def decode_raydium_amm_v4(data: bytes) -> RaydiumAmmV4Pool:
    """Decode one ``AmmInfo`` account from its raw bytes.

    Raises:
        SchemaError: the data is shorter than 752 bytes.
    """
    r = as_records(data, RAYDIUM_AMM_V4_DTYPE, what="raydium_amm_v4")[0]
    return RaydiumAmmV4Pool(
        status=int(r["status"]),
        nonce=int(r["nonce"]),
        coin_decimals=int(r["coin_decimals"]),
        pc_decimals=int(r["pc_decimals"]),
        swap_fee_numerator=int(r["swap_fee_numerator"]),
        swap_fee_denominator=int(r["swap_fee_denominator"]),
        trade_fee_numerator=int(r["trade_fee_numerator"]),
        trade_fee_denominator=int(r["trade_fee_denominator"]),
        need_take_pnl_coin=int(r["need_take_pnl_coin"]),
        need_take_pnl_pc=int(r["need_take_pnl_pc"]),
        pool_open_time=int(r["pool_open_time"]),
        coin_vault=pubkey(r["coin_vault"]),
        pc_vault=pubkey(r["pc_vault"]),
        coin_mint=pubkey(r["coin_mint"]),
        pc_mint=pubkey(r["pc_mint"]),
        lp_mint=pubkey(r["lp_mint"]),
        open_orders=pubkey(r["open_orders"]),
        market=pubkey(r["market"]),
        market_program=pubkey(r["market_program"]),
        target_orders=pubkey(r["target_orders"]),
        amm_owner=pubkey(r["amm_owner"]),
        lp_amount=int(r["lp_amount"]),
    )


def decode_raydium_amm_v4_many(datas: Sequence[bytes]) -> np.ndarray:
    """Decode many ``AmmInfo`` accounts at once into a structured array (zero-copy view).

    Fields are those of ``RAYDIUM_AMM_V4_DTYPE``; pubkeys are 32-byte uint8 rows.

    Raises:
        SchemaError: an account is shorter than 752 bytes.
    """
    return as_records(datas, RAYDIUM_AMM_V4_DTYPE, what="raydium_amm_v4")

"""Pure Pump.fun logic: decode curve accounts and trade events, and the curve's quote math.

The curve is constant product on *virtual* reserves, in integers exactly as the program
computes (checked against recorded mainnet buys and sells in the tests):

    buy ``t`` tokens:  cost = t * vs // (vt - t) + 1      fee = fees.on(cost)
    sell ``t`` tokens: out  = t * vs // (vt + t)           fee = fees.on(out)

``fees`` is a ``PumpFees`` (see ``fees.py``): protocol + creator bps from the FeeConfig tier,
rounded up, for the current program; a floor 1% protocol fee for the 2024 program.

Worked example (the recorded buy ``pumpfun_buy_0``): vs = 39_790_764_976, vt = 808_981_682_985_720
before the trade; buying t = 56_716_561_396_327 costs 56_716_561_396_327 * 39_790_764_976 //
752_265_121_589_393 + 1 = 3_000_000_000 lamports, plus a 1% fee of 30_000_000 to the fee recipient.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from dataclasses import dataclass
from typing import Literal

from solders.pubkey import Pubkey

from workbench.errors import OrderRejected, SchemaError
from workbench.execution.pumpfun.fees import PumpFees
from workbench.execution.pumpfun.schemas import BondingCurve, TradeEvent
from workbench.execution.quotes import swap_amounts

__all__ = [
    "BONDING_CURVE_DISCRIMINATOR",
    "PUMP_AMM_PROGRAM_ID",
    "TRADE_EVENT_DISCRIMINATOR",
    "VENUE",
    "WSOL_MINT",
    "BuyQuote",
    "PumpRoute",
    "SellQuote",
    "buy_cost_lamports",
    "decode_bonding_curve",
    "decode_trade_event",
    "ensure_tradable",
    "quote_buy",
    "quote_sell",
    "swap_amounts",
]

VENUE = "pumpfun"
WSOL_MINT = "So11111111111111111111111111111111111111112"
BONDING_CURVE_DISCRIMINATOR = hashlib.sha256(b"account:BondingCurve").digest()[:8]
TRADE_EVENT_DISCRIMINATOR = hashlib.sha256(b"event:TradeEvent").digest()[:8]
_CURVE_CORE = struct.Struct("<QQQQQ?")  # 41 bytes after the discriminator
_MIN_CURVE_LEN = 8 + _CURVE_CORE.size
_CREATOR_END = _MIN_CURVE_LEN + 32
_QUOTE_MINT_END = _CREATOR_END + 2 + 32  # is_mayhem_mode, is_cashback_coin, quote_mint
_EVENT_FEES = struct.Struct("<32sQQ32sQQ")  # fee_recipient .. creator_fee, after byte 129
_BPS = 10_000
PUMP_AMM_PROGRAM_ID = "pAMMBay6oceH9fJKBRHGP5D4bD4sWpmSwMn52FMfXEA"


def _key(raw: bytes) -> Pubkey | None:
    return Pubkey.from_bytes(raw) if any(raw) else None


def decode_bonding_curve(data: bytes, *, source: str = "bonding curve") -> BondingCurve:
    """Decode a ``BondingCurve`` account.

    Raises:
        SchemaError: wrong discriminator (not a bonding curve) or too short.
    """
    if len(data) < _MIN_CURVE_LEN or data[:8] != BONDING_CURVE_DISCRIMINATOR:
        raise SchemaError(
            f"{source} is not a Pump.fun BondingCurve account ({len(data)} bytes, discriminator "
            f"{data[:8].hex()}, expected {BONDING_CURVE_DISCRIMINATOR.hex()} and >= "
            f"{_MIN_CURVE_LEN} bytes). Check the mint: the curve is PDA ['bonding-curve', mint].",
            source=source,
            payload=data[:64].hex(),
        )
    vt, vs, rt, rs, supply, complete = _CURVE_CORE.unpack_from(data, 8)
    creator = _key(data[_MIN_CURVE_LEN:_CREATOR_END]) if len(data) >= _CREATOR_END else None
    mayhem = len(data) > _CREATOR_END and data[_CREATOR_END] == 1
    cashback = len(data) > _CREATOR_END + 1 and data[_CREATOR_END + 1] == 1
    quote_mint = (
        _key(data[_CREATOR_END + 2 : _QUOTE_MINT_END]) if len(data) >= _QUOTE_MINT_END else None
    )
    return BondingCurve(
        virtual_token_reserves=vt,
        virtual_sol_reserves=vs,
        real_token_reserves=rt,
        real_sol_reserves=rs,
        token_total_supply=supply,
        complete=complete,
        creator=creator,
        is_mayhem_mode=mayhem,
        is_cashback_coin=cashback,
        quote_mint=quote_mint,
    )


def decode_trade_event(log_line_or_data: str | bytes) -> TradeEvent | None:
    """Decode a ``TradeEvent`` from a ``Program data: <base64>`` log line or bytes, else None.

    The 2024 event ends after the real reserves (129 bytes); the creator-fee era event goes on
    with fee_recipient, fee_basis_points, fee, creator, creator_fee_basis_points, creator_fee
    (then volume and newer fields, not decoded here), per ``idl/pump.json`` type TradeEvent.
    """
    if isinstance(log_line_or_data, str):
        text = log_line_or_data.removeprefix("Program data: ")
        try:
            data = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            return None
    else:
        data = log_line_or_data
    if len(data) < 113 or data[:8] != TRADE_EVENT_DISCRIMINATOR:
        return None
    mint = Pubkey.from_bytes(data[8:40])
    sol_amount, token_amount = struct.unpack_from("<QQ", data, 40)
    is_buy = data[56] == 1
    user = Pubkey.from_bytes(data[57:89])
    timestamp, vs, vt = struct.unpack_from("<qQQ", data, 89)
    rs = rt = None
    if len(data) >= 129:
        rs, rt = struct.unpack_from("<QQ", data, 113)
    extra: dict = {}
    if len(data) >= 129 + _EVENT_FEES.size:
        recipient, fee_bps, fee, creator, creator_bps, creator_fee = _EVENT_FEES.unpack_from(
            data, 129
        )
        extra = {
            "fee_recipient": Pubkey.from_bytes(recipient),
            "fee_basis_points": fee_bps,
            "fee": fee,
            "creator": _key(creator),
            "creator_fee_basis_points": creator_bps,
            "creator_fee": creator_fee,
        }
    return TradeEvent(
        mint=mint,
        sol_amount=sol_amount,
        token_amount=token_amount,
        is_buy=is_buy,
        user=user,
        timestamp=timestamp,
        virtual_sol_reserves=vs,
        virtual_token_reserves=vt,
        real_sol_reserves=rs,
        real_token_reserves=rt,
        **extra,
    )


def ensure_tradable(curve: BondingCurve, mint: str) -> None:
    """Raise ``OrderRejected`` when the curve cannot be traded by ``buy``/``sell``.

    A complete curve has graduated: its liquidity migrated to a PumpSwap pool (program
    ``pAMMBay6...``; Raydium AMM v4 for tokens that graduated before March 2025), and the
    program rejects buy/sell with ``BondingCurveComplete``. A curve quoted in another mint than
    SOL trades only through ``buy_v2``/``sell_v2``.
    """
    if curve.complete:
        raise OrderRejected(
            f"Pump.fun bonding curve of {mint} is complete: the token graduated and its "
            f"liquidity migrated to a PumpSwap pool (program {PUMP_AMM_PROGRAM_ID}; Raydium "
            "for older tokens), so the curve no longer trades. Route this order through the "
            "Jupiter venue instead.",
            reason="curve_complete",
            venue=VENUE,
        )
    if curve.quote_mint is not None and str(curve.quote_mint) != WSOL_MINT:
        raise OrderRejected(
            f"Pump.fun curve of {mint} is paired with {curve.quote_mint}, not SOL; buy/sell "
            "trade SOL-paired curves only (the program's buy_v2/sell_v2 trade the others). "
            "Route it through Jupiter.",
            reason="unsupported_quote_mint",
            venue=VENUE,
        )


def buy_cost_lamports(curve: BondingCurve, token_amount: int) -> int:
    """Lamports the curve charges for exactly ``token_amount`` tokens, before the fee."""
    vt, vs = curve.virtual_token_reserves, curve.virtual_sol_reserves
    return token_amount * vs // (vt - token_amount) + 1


@dataclass(frozen=True, slots=True, kw_only=True)
class BuyQuote:
    """A buy priced on one curve snapshot.

    Attributes:
        token_amount: tokens bought (exact: the buy instruction names the token amount).
        sol_cost_lamports: lamports to the curve, before the fee.
        fee_lamports: protocol + creator fee on top.
        total_lamports: cost plus fee; never above the SOL offered.
    """

    token_amount: int
    sol_cost_lamports: int
    fee_lamports: int

    @property
    def total_lamports(self) -> int:
        """Cost plus fee."""
        return self.sol_cost_lamports + self.fee_lamports


def quote_buy(curve: BondingCurve, sol_in_lamports: int, fees: PumpFees) -> BuyQuote:
    """The most tokens ``sol_in_lamports`` (fee included) buys, capped by the real reserves.

    Binary search on the exact integer cost, so the result is the program's own arithmetic and
    one more token would cost more than offered.

    Raises:
        OrderRejected: nothing can be bought (amount too small, or no tokens left).
    """
    if sol_in_lamports <= 0:
        raise OrderRejected(
            f"Pump.fun buy needs sol_in_lamports > 0, got {sol_in_lamports}.",
            reason="bad_amount",
            venue=VENUE,
        )

    def total(t: int) -> int:
        cost = buy_cost_lamports(curve, t)
        return cost + fees.on(cost)

    lo, hi = 0, min(curve.real_token_reserves, curve.virtual_token_reserves - 1)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if total(mid) <= sol_in_lamports:
            lo = mid
        else:
            hi = mid - 1
    if lo == 0:
        raise OrderRejected(
            f"Pump.fun buy of {sol_in_lamports} lamports buys no tokens on this curve "
            f"(real token reserves {curve.real_token_reserves}); offer more SOL.",
            reason="too_small",
            venue=VENUE,
        )
    cost = buy_cost_lamports(curve, lo)
    return BuyQuote(token_amount=lo, sol_cost_lamports=cost, fee_lamports=fees.on(cost))


@dataclass(frozen=True, slots=True, kw_only=True)
class SellQuote:
    """A sell priced on one curve snapshot: lamports out before and after the fee."""

    token_amount: int
    sol_out_lamports: int
    fee_lamports: int

    @property
    def net_lamports(self) -> int:
        """What the seller receives."""
        return self.sol_out_lamports - self.fee_lamports


def quote_sell(curve: BondingCurve, token_amount: int, fees: PumpFees) -> SellQuote:
    """Lamports for selling exactly ``token_amount`` tokens.

    Raises:
        OrderRejected: the amount is not positive, or the curve lacks the real SOL to pay.
    """
    if token_amount <= 0:
        raise OrderRejected(
            f"Pump.fun sell needs token_amount > 0, got {token_amount}.",
            reason="bad_amount",
            venue=VENUE,
        )
    vt, vs = curve.virtual_token_reserves, curve.virtual_sol_reserves
    out = token_amount * vs // (vt + token_amount)
    if out > curve.real_sol_reserves:
        raise OrderRejected(
            f"Pump.fun sell of {token_amount} tokens would pay {out} lamports but the curve holds "
            f"only {curve.real_sol_reserves} real lamports; sell less.",
            reason="insufficient_liquidity",
            venue=VENUE,
        )
    return SellQuote(token_amount=token_amount, sol_out_lamports=out, fee_lamports=fees.on(out))


@dataclass(frozen=True, slots=True, kw_only=True)
class PumpRoute:
    """What a Pump.fun quote carries to ``build``.

    Attributes:
        side: ``buy`` (SOL -> token) or ``sell`` (token -> SOL).
        mint: the curve's token mint.
        token_amount: tokens bought or sold (both instructions name the token amount).
        sol_limit_lamports: ``max_sol_cost`` for a buy, ``min_sol_output`` for a sell.
        slippage_bps: the slippage the limit was made with (for re-quoting).
        curve: the snapshot the quote was priced on.
        fees: the fees the quote was priced with.
        token_program: the mint's token program (SPL Token or Token-2022).
    """

    side: Literal["buy", "sell"]
    mint: Pubkey
    token_amount: int
    sol_limit_lamports: int
    slippage_bps: int
    curve: BondingCurve
    fees: PumpFees
    token_program: Pubkey

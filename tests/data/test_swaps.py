"""Trades from real mainnet transactions."""

import copy
import json
from decimal import Decimal
from pathlib import Path

import pytest

from workbench.data.swaps import NATIVE_SOL, parse_pool_swap, trades_to_frame
from workbench.errors import SchemaError

TX = Path(__file__).resolve().parents[1] / "fixtures" / "transactions"
RAY_AUTH = "5Q544fKrFoe6tsEbD7S8EmxGTJYAKtTVhAW5Q5pge4j1"


def _tx(name):
    return json.loads((TX / name).read_text())


def test_raydium_sell_from_vault_balances():
    """Swap 0: the taker sold 836112.233953 tokens for 0.352936256 SOL."""
    t = parse_pool_swap(_tx("raydiumLiquidityPoolV4_swap_0.json"), pool_owner=RAY_AUTH,
                        base_mint="2CrtdajpSb7DpMRLKP4yMtFLbCsWZjMkEvgSTf4Ypump",
                        quote_mint=NATIVE_SOL, venue="raydium_amm_v4", symbol="2Crt/SOL")
    assert t is not None
    assert t.side == "sell"
    assert t.base_amount == Decimal("836112.233953")
    assert t.quote_amount == Decimal("0.352936256")
    assert t.price == t.quote_amount / t.base_amount
    assert t.slot == 292734971
    assert t.ts_event == 1727633484 * 10**9
    assert len(t.signature) > 80


def test_raydium_buy_side():
    """Swap 1: the pool's token vault fell, so the taker bought tokens with 0.1 SOL."""
    t = parse_pool_swap(_tx("raydiumLiquidityPoolV4_swap_1.json"), pool_owner=RAY_AUTH,
                        base_mint="E8yBUD4AGdxK7MbQEf85oaAvVBuSoRsGCvX2sMxSpump",
                        quote_mint=NATIVE_SOL, venue="raydium_amm_v4", symbol="E8y/SOL")
    assert t.side == "buy"
    assert t.quote_amount == Decimal("0.1")
    assert t.base_amount == Decimal("43045.438075")


def test_pumpfun_buy_uses_the_curve_lamports():
    """Pump.fun curves hold SOL as lamports: the curve's lamport change is the quote amount."""
    tx = _tx("pumpfun_buy_0.json")[0]
    keys = tx["transaction"]["message"]["accountKeys"]
    mint = "D66sbPtYqLnwPYcUqjDktrQtb52CnfF77C3sdpNpR8Si"
    curve = next(b["owner"] for b in tx["meta"]["preTokenBalances"] if b["mint"] == mint)
    t = parse_pool_swap(tx, pool_owner=curve, base_mint=mint, quote_mint=NATIVE_SOL,
                        venue="pumpfun", symbol="D66/SOL")
    assert curve in keys
    assert t.side == "buy"
    assert t.base_amount == Decimal("56716561.396327")
    # TradeEvent in the same tx says sol_amount = 3_000_000_000 lamports reached the curve
    assert t.quote_amount == Decimal("3")


def test_pool_not_in_tx_returns_none():
    """A transaction that did not touch the pool gives no trade."""
    assert parse_pool_swap(_tx("raydiumLiquidityPoolV4_swap_0.json"), pool_owner=RAY_AUTH,
                           base_mint="E8yBUD4AGdxK7MbQEf85oaAvVBuSoRsGCvX2sMxSpump",
                           quote_mint=NATIVE_SOL, venue="r", symbol="x") is None


def test_failed_transaction_is_no_trade():
    """A transaction with meta.err is skipped."""
    tx = copy.deepcopy(_tx("raydiumLiquidityPoolV4_swap_0.json")[0])
    tx["meta"]["err"] = {"InstructionError": [4, {"Custom": 30}]}
    mint = "2CrtdajpSb7DpMRLKP4yMtFLbCsWZjMkEvgSTf4Ypump"
    assert parse_pool_swap(tx, pool_owner=RAY_AUTH, base_mint=mint,
                           quote_mint=NATIVE_SOL, venue="r", symbol="x") is None


def test_malformed_payload_is_schema_error():
    """Missing meta or a string where a balance object belongs is a SchemaError."""
    tx = copy.deepcopy(_tx("raydiumLiquidityPoolV4_swap_0.json")[0])
    del tx["meta"]
    with pytest.raises(SchemaError, match="missing or mistypes"):
        parse_pool_swap(tx, pool_owner=RAY_AUTH, base_mint="a", quote_mint="b", venue="r",
                        symbol="x")
    tx = copy.deepcopy(_tx("raydiumLiquidityPoolV4_swap_0.json")[0])
    tx["meta"]["preTokenBalances"][0]["uiTokenAmount"] = "lots"
    with pytest.raises(SchemaError):
        parse_pool_swap(tx, pool_owner=RAY_AUTH, base_mint="a", quote_mint="b", venue="r",
                        symbol="x")


def test_trades_to_frame_sorts_by_time():
    """The frame is time-ordered with the documented columns."""
    ts = [_tx(f"raydiumLiquidityPoolV4_swap_{i}.json")[0] for i in (2, 0)]
    mints = ["AaJ6gmTzaQw9zxfK6BD9N89wzZLuSuwTRbi8YrTCpump",
             "2CrtdajpSb7DpMRLKP4yMtFLbCsWZjMkEvgSTf4Ypump"]
    trades = [parse_pool_swap(t, pool_owner=RAY_AUTH, base_mint=m, quote_mint=NATIVE_SOL,
                              venue="r", symbol="x") for t, m in zip(ts, mints, strict=True)]
    frame = trades_to_frame(trades)
    assert frame.index.is_monotonic_increasing
    assert str(frame.index.tz) == "UTC"
    assert list(frame.columns) == ["price", "amount", "cost", "side", "slot", "signature"]
    assert frame["slot"].tolist() == [292734971, 305539244]

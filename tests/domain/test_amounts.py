"""Exact conversions between human amounts and base units."""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workbench.domain import SOL, USDC, Order, Side, Token, from_raw, to_raw, token_by_symbol
from workbench.errors import RiskError


def test_known_answers() -> None:
    """2.01 SOL is exactly 2_010_000_000 lamports (float math gives 2_009_999_999)."""
    assert int(2.01 * 10**9) == 2_009_999_999
    assert to_raw("2.01", 9) == 2_010_000_000
    assert from_raw(1, 6) == Decimal("0.000001")


@given(st.integers(min_value=0, max_value=2**64 - 1), st.integers(min_value=0, max_value=18))
def test_round_trip(raw: int, decimals: int) -> None:
    """to_raw(from_raw(x)) == x for every u64 amount and decimals."""
    assert to_raw(from_raw(raw, decimals), decimals) == raw


def test_refuses_floats_and_sub_units() -> None:
    """Floats and sub-unit remainders are refused unless a rounding is named."""
    with pytest.raises(RiskError, match="is a float"):
        to_raw(0.1, 9)  # type: ignore[arg-type]
    with pytest.raises(RiskError, match="more than 6 decimal places"):
        to_raw("1.0000001", 6)
    assert to_raw("1.0000009", 6, rounding=ROUND_DOWN) == 1_000_000
    with pytest.raises(RiskError, match="not finite"):
        to_raw("NaN", 6)


def test_tokens_and_orders_validate() -> None:
    """Bad decimals, unknown symbols and non-positive order values give clear errors."""
    with pytest.raises(RiskError, match="decimals=19"):
        Token(mint=SOL.mint, symbol="X", decimals=19)
    with pytest.raises(RiskError, match="Unknown token symbol 'BONKX'"):
        token_by_symbol("BONKX")
    assert token_by_symbol("usdc") is USDC
    with pytest.raises(RiskError, match="price=NaN"):
        Order(client_order_id="a", strategy="s", symbol="SOL/USDC", side=Side.BUY,
              amount=Decimal(1), price=Decimal("NaN"))
    with pytest.raises(RiskError, match="amount=0"):
        Order(client_order_id="a", strategy="s", symbol="SOL/USDC", side=Side.BUY,
              amount=Decimal(0), price=Decimal(1))

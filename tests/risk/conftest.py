"""Factories for risk tests: orders, snapshots and a token registry with a few mints."""

from __future__ import annotations

from decimal import Decimal

import pytest
from solders.pubkey import Pubkey

from workbench.domain import SOL, USDC, Order, Side, Token

JUP = Token(mint=Pubkey.from_string("JUPyiwrYJFskUPiHa7hkeR8VUtAeFoSYbKedZNsDvCN"), symbol="JUP",
            decimals=6)
BONK = Token(mint=Pubkey.from_string("DezXAZ8z7PnrnRJjz3wXBoRgixCa6xjnB7YaB1pPB263"),
             symbol="BONK", decimals=5)
TOKENS = {"SOL": SOL, "USDC": USDC, "JUP": JUP, "BONK": BONK}
NOW = 1_700_000_000_000_000_000


def make_order(symbol: str = "SOL/USDC", side: Side = Side.BUY, amount: str = "1",
               price: str = "150", **kw: object) -> Order:
    """An order at NOW with sensible defaults."""
    kw.setdefault("ts_init", NOW)
    return Order(client_order_id=kw.pop("client_order_id", "t-1"),  # type: ignore[arg-type]
                 strategy=kw.pop("strategy", "test"),  # type: ignore[arg-type]
                 symbol=symbol, side=side, amount=Decimal(amount), price=Decimal(price),
                 **kw)  # type: ignore[arg-type]


@pytest.fixture
def tokens() -> dict[str, Token]:
    return dict(TOKENS)

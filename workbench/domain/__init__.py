"""Value types of the trading domain; no I/O."""

from workbench.domain.amounts import (
    LAMPORTS_PER_SOL,
    from_raw,
    lamports_to_sol,
    sol_to_lamports,
    to_raw,
)
from workbench.domain.market import (
    TIMEFRAMES,
    Bar,
    Pair,
    Quote,
    QuoteRequest,
    SwapPlan,
    TokenBalanceChange,
    Trade,
    timeframe_seconds,
)
from workbench.domain.orders import (
    ORDER_STATUS_DESC,
    Fill,
    Order,
    OrderStatus,
    Side,
    new_client_order_id,
)
from workbench.domain.tokens import SOL, USDC, USDT, WELL_KNOWN, Token, token_by_symbol

__all__ = [
    "LAMPORTS_PER_SOL",
    "ORDER_STATUS_DESC",
    "SOL",
    "TIMEFRAMES",
    "USDC",
    "USDT",
    "WELL_KNOWN",
    "Bar",
    "Fill",
    "Order",
    "OrderStatus",
    "Pair",
    "Quote",
    "QuoteRequest",
    "Side",
    "SwapPlan",
    "Token",
    "TokenBalanceChange",
    "Trade",
    "from_raw",
    "lamports_to_sol",
    "new_client_order_id",
    "sol_to_lamports",
    "timeframe_seconds",
    "to_raw",
    "token_by_symbol",
]

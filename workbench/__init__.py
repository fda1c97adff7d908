"""Solana Trading Workbench: research, backtest and trade Solana DEXs from Jupyter.

The public API is re-exported here; notebooks import from ``workbench`` (and its public
subpackages), never from underscore modules.
"""

from workbench.config import Settings, load_settings
from workbench.domain import (
    SOL,
    USDC,
    Bar,
    Fill,
    Order,
    OrderStatus,
    Pair,
    Quote,
    Side,
    Token,
    from_raw,
    to_raw,
)
from workbench.errors import ConfigError, DataError, WorkbenchError

__version__ = "0.1.0"

__all__ = [
    "SOL",
    "USDC",
    "Bar",
    "ConfigError",
    "DataError",
    "Fill",
    "Order",
    "OrderStatus",
    "Pair",
    "Quote",
    "Settings",
    "Side",
    "Token",
    "WorkbenchError",
    "__version__",
    "from_raw",
    "load_settings",
    "to_raw",
]

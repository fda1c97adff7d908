"""Strategies in two shapes sharing one params class: vectorised signals and event hooks.

See :mod:`workbench.strategies.base` for the interface and why both shapes decide alike.
"""

from workbench.strategies.arbitrage import (
    ArbitrageParams,
    ArbitrageStrategy,
    VenueSnapshot,
    compute_arbitrage_signals,
)
from workbench.strategies.base import (
    Decision,
    EventStrategy,
    StrategyKind,
    StrategySpec,
    check_bars,
    iter_bars,
)
from workbench.strategies.grid import GridParams, GridStrategy, compute_grid_signals
from workbench.strategies.indicators import (
    BollingerParams,
    BollingerStrategy,
    RsiParams,
    RsiStrategy,
    SmaCrossParams,
    SmaCrossStrategy,
    compute_bollinger_signals,
    compute_rsi_signals,
    compute_sma_cross_signals,
)
from workbench.strategies.registry import STRATEGIES, get_strategy, register_strategy

__all__ = [
    "STRATEGIES",
    "ArbitrageParams",
    "ArbitrageStrategy",
    "BollingerParams",
    "BollingerStrategy",
    "Decision",
    "EventStrategy",
    "GridParams",
    "GridStrategy",
    "RsiParams",
    "RsiStrategy",
    "SmaCrossParams",
    "SmaCrossStrategy",
    "StrategyKind",
    "StrategySpec",
    "VenueSnapshot",
    "check_bars",
    "compute_arbitrage_signals",
    "compute_bollinger_signals",
    "compute_grid_signals",
    "compute_rsi_signals",
    "compute_sma_cross_signals",
    "get_strategy",
    "iter_bars",
    "register_strategy",
]

"""Strategies by name, for the CLI, configs and sweeps."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from workbench.errors import ConfigError
from workbench.strategies.arbitrage import (
    ArbitrageParams,
    ArbitrageStrategy,
    compute_arbitrage_signals,
)
from workbench.strategies.base import StrategyKind, StrategySpec
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

__all__ = ["STRATEGIES", "get_strategy", "register_strategy"]

_SPECS: tuple[StrategySpec[Any], ...] = (
    StrategySpec(name="grid", kind=StrategyKind.GRID, params_cls=GridParams,
                 compute_signals=compute_grid_signals, event_cls=GridStrategy,
                 description="spot grid: buy falling through levels, sell rising through them"),
    StrategySpec(name="sma_cross", kind=StrategyKind.SIGNALS, params_cls=SmaCrossParams,
                 compute_signals=compute_sma_cross_signals, event_cls=SmaCrossStrategy,
                 description="long when the fast SMA is above the slow one"),
    StrategySpec(name="rsi", kind=StrategyKind.SIGNALS, params_cls=RsiParams,
                 compute_signals=compute_rsi_signals, event_cls=RsiStrategy,
                 description="RSI mean reversion: buy oversold, sell overbought"),
    StrategySpec(name="bollinger", kind=StrategyKind.SIGNALS, params_cls=BollingerParams,
                 compute_signals=compute_bollinger_signals, event_cls=BollingerStrategy,
                 description="Bollinger breakout: buy above the upper band, sell below middle"),
    StrategySpec(name="arbitrage", kind=StrategyKind.ARBITRAGE, params_cls=ArbitrageParams,
                 compute_signals=compute_arbitrage_signals, event_cls=ArbitrageStrategy,
                 description="atomic cross-DEX arbitrage of one pair"),
)

_REGISTRY: dict[str, StrategySpec[Any]] = {s.name: s for s in _SPECS}
#: Every registered strategy by name: the built-in ones plus those added with
#: :func:`register_strategy` (the ML strategy registers itself when ``workbench.ai`` is imported).
STRATEGIES: Mapping[str, StrategySpec[Any]] = MappingProxyType(_REGISTRY)


def register_strategy(spec: StrategySpec[Any]) -> None:
    """Add a strategy from outside this package, so configs, the CLI and the engine find it.

    Raises:
        ConfigError: another strategy already has this name (re-registering the same spec is
            a no-op, so importing a module twice is harmless).
    """
    existing = _REGISTRY.get(spec.name)
    if existing is not None and existing is not spec:
        raise ConfigError(f"A strategy named {spec.name!r} is already registered; choose "
                          "another name.", setting="strategy")
    _REGISTRY[spec.name] = spec


def get_strategy(name: str) -> StrategySpec[Any]:
    """The registered strategy called ``name``.

    Raises:
        ConfigError: no such strategy (lists the known ones).
    """
    try:
        return STRATEGIES[name]
    except KeyError:
        raise ConfigError(
            f"Unknown strategy {name!r}; known strategies: {', '.join(sorted(STRATEGIES))}.",
            setting="strategy",
        ) from None

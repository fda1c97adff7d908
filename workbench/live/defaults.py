"""What a fresh engine starts with: the strategies seeded into the store, and the paper pools.

Seeded only when the store has no strategy configuration at all; afterwards the store is the
source of truth (the dashboard and ``workbench ctl set-param`` change it there).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from workbench.live.paper import PoolSpec

__all__ = ["DEFAULT_POOLS", "DEFAULT_STRATEGIES", "StrategySeed"]

#: Two SOL/USDT pools: a deep one at the replayed close and a thin one a bar behind, so the
#: arbitrage strategy sees the spreads a lagging pool leaves (``backtest.make_venue_frame``).
DEFAULT_POOLS: tuple[PoolSpec, ...] = (
    PoolSpec(name="local:SOL/USDT#1", depth_quote=Decimal(2_000_000), lag_bars=0),
    PoolSpec(name="local:SOL/USDT#2", depth_quote=Decimal(500_000), lag_bars=1),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class StrategySeed:
    """One strategy configuration row.

    Attributes:
        name: unique strategy name (also the prefix of its client order ids).
        kind: registry name (``grid``, ``sma_cross``, ``arbitrage`` ...).
        symbol: the pair.
        params: JSON-ready parameters (strings for Decimals).
        enabled: started on engine start.
    """

    name: str
    kind: str
    symbol: str
    params: dict[str, Any]
    enabled: bool = True


DEFAULT_STRATEGIES: tuple[StrategySeed, ...] = (
    StrategySeed(name="grid", kind="grid", symbol="SOL/USDT", params={
        "lower": 95.0, "upper": 110.0, "n_levels": 16, "spacing": "arithmetic",
        "size_per_level": "1", "max_inventory_levels": 5, "out_of_range": "shift"}),
    StrategySeed(name="arbitrage", kind="arbitrage", symbol="SOL/USDT", params={
        "venues": [p.name for p in DEFAULT_POOLS], "fee_bps": [25.0, 25.0],
        "max_depth_frac": 0.002, "min_profit_quote": 0.05}),
    StrategySeed(name="sma_cross", kind="sma_cross", symbol="SOL/USDT",
                 params={"fast": 10, "slow": 30}, enabled=False),
)

"""The Solana DEX cost model: pool fee, price impact, transaction fees, tip, failures.

Every swap pays, in quote units:

* the **pool fee**, ``pool_fee_bps`` of the input, kept by the pool;
* **price impact** from the pool's curve. A constant-product pool with quote reserve ``y``
  (``depth_quote``) and base reserve ``x = y / p`` gives ``x*g*q/(y+g*q)`` base for ``q``
  quote in (``g = 1 - fee``) and ``y*g*b/(x+g*b)`` quote for ``b`` base in. A
  concentrated-liquidity position over ``[p/r, p*r]`` (``r = 1 + cl_range_pct/100``) whose
  quote side holds ``depth_quote`` is the same curve on virtual reserves
  ``y_v = depth_quote / (1 - r**-0.5)``, usable only while the trade stays in range;
* the **network fee** (5,000 lamports per signature) plus the **priority fee**, per
  transaction, in SOL converted at the SOL price of the bar;
* an optional **Jito tip**, paid only when the bundle lands;
* **failed transactions**: with probability ``failed_tx_rate`` a transaction lands but fails,
  paying network + priority fee and filling nothing. The backtest charges the expectation: a fill
  needs ``1 / (1 - rate)`` attempts, so it costs ``tip + (network + priority) / (1 - rate)``.

Worked example (defaults, SOL at 150 USDT): (5,000 + 50,000) lamports / (1 - 0.05) = 57,894.7
lamports = 0.0000578947 SOL = 0.00868 USDT per fill, plus the 0 tip. Buying 1 SOL from a pool with
1,000,000 USDT depth: the pool fee of 25 bps costs about 0.375 USDT and the impact about
0.0225 USDT.

Orders below ``min_trade_quote`` are rejected (a result, not an exception). The same formulas
as ``workbench.data.amm.cp_swap_out`` (integers, rounded like the program); here in float for
the numba kernels, and a test checks they agree to the base unit.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

import numpy as np
from numba import njit

from workbench.errors import ConfigError

__all__ = ["LIQUIDITY_MODELS", "CostModel", "cp_buy_base", "cp_sell_base"]

LAMPORTS_PER_SOL = 1_000_000_000
LIQUIDITY_MODELS = ("constant_product", "concentrated", "none")


@dataclass(frozen=True, slots=True, kw_only=True)
class CostModel:
    """All trading costs of a backtest; shown in every result.

    Attributes:
        pool_fee_bps: pool fee on the swap input, bps (Raydium v4: 25, Orca SOL/USDC: 4).
        liquidity: "constant_product", "concentrated" or "none" (no price impact).
        depth_quote: quote reserve of the pool (constant product) or quote held in range
            (concentrated), quote units; a ``depth_quote`` column in the data overrides it.
        cl_range_pct: half-width of the concentrated range, percent of price.
        network_fee_lamports: base fee per transaction (5,000 per signature).
        priority_fee_lamports: priority fee per transaction (compute units x micro-lamport price).
        jito_tip_lamports: tip per landed bundle; 0 when not using Jito.
        failed_tx_rate: probability a sent transaction fails on chain, in [0, 1).
        min_trade_quote: orders with a smaller notional are rejected, quote units.
    """

    pool_fee_bps: float = 25.0
    liquidity: str = "constant_product"
    depth_quote: Decimal = Decimal(1_000_000)
    cl_range_pct: float = 5.0
    network_fee_lamports: int = 5_000
    priority_fee_lamports: int = 50_000
    jito_tip_lamports: int = 0
    failed_tx_rate: float = 0.05
    min_trade_quote: Decimal = Decimal(1)

    def __post_init__(self) -> None:
        checks = [
            (0 <= self.pool_fee_bps < 10_000, "pool_fee_bps", "must be in [0, 10000)"),
            (self.liquidity in LIQUIDITY_MODELS, "liquidity", f"must be one of {LIQUIDITY_MODELS}"),
            (Decimal(self.depth_quote) > 0, "depth_quote", "must be > 0"),
            (self.cl_range_pct > 0, "cl_range_pct", "must be > 0"),
            (self.network_fee_lamports >= 0, "network_fee_lamports", "must be >= 0"),
            (self.priority_fee_lamports >= 0, "priority_fee_lamports", "must be >= 0"),
            (self.jito_tip_lamports >= 0, "jito_tip_lamports", "must be >= 0"),
            (0 <= self.failed_tx_rate < 1, "failed_tx_rate", "must be in [0, 1)"),
            (Decimal(self.min_trade_quote) >= 0, "min_trade_quote", "must be >= 0"),
        ]
        for ok, name, rule in checks:
            if not ok:
                raise ConfigError(f"CostModel {name}={getattr(self, name)!r} {rule}.",
                                  setting=f"costs.{name}")
        for name in ("network_fee_lamports", "priority_fee_lamports", "jito_tip_lamports"):
            if not isinstance(getattr(self, name), int):
                raise ConfigError(f"CostModel {name}={getattr(self, name)!r} must be an int of "
                                  "lamports.", setting=f"costs.{name}")

    @classmethod
    def zero(cls) -> CostModel:
        """No costs at all (for checks against frictionless results)."""
        return cls(pool_fee_bps=0.0, liquidity="none", network_fee_lamports=0,
                   priority_fee_lamports=0, failed_tx_rate=0.0, min_trade_quote=Decimal(0))

    @property
    def gamma(self) -> float:
        """1 - pool fee: the share of the input that moves the curve."""
        return 1.0 - self.pool_fee_bps / 10_000.0

    @property
    def expected_tx_lamports(self) -> float:
        """Expected lamports per landed transaction: tip + (network + priority) / (1 - rate)."""
        return self.jito_tip_lamports + (
            (self.network_fee_lamports + self.priority_fee_lamports) / (1.0 - self.failed_tx_rate)
        )

    def tx_cost_quote(self, sol_price: float | np.ndarray) -> float | np.ndarray:
        """Expected transaction cost per fill in quote units at ``sol_price`` quote per SOL."""
        return self.expected_tx_lamports / LAMPORTS_PER_SOL * np.asarray(sol_price, np.float64)

    def curve(self) -> tuple[float, float, float]:
        """Kernel scalars ``(depth_mult, max_buy_frac, max_sell_frac)``.

        The effective quote reserve is ``depth * depth_mult``; a buy may take at most
        ``max_buy_frac`` of the effective base reserve, a sell may add at most
        ``max_sell_frac`` of it (infinite = unbounded). ``depth_mult = 0`` means no impact.
        """
        if self.liquidity == "none":
            return 0.0, math.inf, math.inf
        if self.liquidity == "constant_product":
            return 1.0, 1.0, math.inf
        r = 1.0 + self.cl_range_pct / 100.0
        shrink = 1.0 - r ** -0.5
        # in range: x_real = x_v * (1 - r^-1/2); base in to reach p/r: x_v * (r^1/2 - 1)
        return 1.0 / shrink, shrink, math.sqrt(r) - 1.0

    def to_dict(self) -> dict[str, Any]:
        """Plain values for reports and JSON (Decimals as strings)."""
        return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in asdict(self).items()}


@njit(cache=True)
def cp_buy_base(
    base_out: float, price: float, depth: float, gamma: float, depth_mult: float,
    max_buy_frac: float,
) -> float:
    """Quote input (fee included) that buys ``base_out``; NaN when the curve cannot pay it.

    ``q = y * b / ((x - b) * g)`` on the effective reserves; without a curve ``b * p / g``.
    """
    if depth_mult == 0.0:
        return base_out * price / gamma
    y = depth * depth_mult
    x = y / price
    if base_out >= x * max_buy_frac:
        return np.nan
    return y * base_out / ((x - base_out) * gamma)


@njit(cache=True)
def cp_sell_base(
    base_in: float, price: float, depth: float, gamma: float, depth_mult: float,
    max_sell_frac: float,
) -> float:
    """Quote output for selling ``base_in`` (fee on the input); NaN beyond the range."""
    if depth_mult == 0.0:
        return base_in * gamma * price
    y = depth * depth_mult
    x = y / price
    if base_in * gamma > x * max_sell_frac:
        return np.nan
    return y * gamma * base_in / (x + gamma * base_in)


@njit(cache=True)
def cp_buy_with_quote(
    quote_in: float, price: float, depth: float, gamma: float, depth_mult: float,
    max_buy_frac: float,
) -> float:
    """Base received for ``quote_in`` (fee on the input); NaN when beyond the range."""
    if depth_mult == 0.0:
        return quote_in * gamma / price
    y = depth * depth_mult
    x = y / price
    out = x * gamma * quote_in / (y + gamma * quote_in)
    if out >= x * max_buy_frac:
        return np.nan
    return out

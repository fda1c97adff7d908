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
  paying network + priority fee and filling nothing (no tip: a failed bundle does not pay it).
  Two ways to account for them (``failed_tx_mode``):

  - ``"expected"`` (default): every order fills and is charged the expectation. A fill needs
    ``1 / (1 - rate)`` attempts on average, so it costs ``tip + (network + priority) / (1 - rate)``.
  - ``"simulate"``: a seeded random draw per bar decides how many attempts of an order sent on
    that bar fail before one lands (geometric, success probability ``1 - rate``). The order is
    resent up to ``max_tx_attempts`` times in the bar; each failed attempt pays network +
    priority fee; if all attempts fail the order does not fill (status ``failed``) and the
    strategy carries on from the unchanged position. The draws belong to the bar, not to the
    strategy, so every parameter set of a sweep sees the same failures (common random numbers).

  Both agree on average: the expected cost per *filled* order under "simulate" is
  ``tip + (network + priority) / (1 - rate)`` for any ``max_tx_attempts`` (with one attempt,
  ``rate`` of the orders pay ``network + priority`` for nothing, and ``1 - rate`` of them fill).
  With ``max_tx_attempts`` large enough that every order lands, the fills are the expected
  model's and the mean cost over seeds converges to it (``tests/backtest/test_failed_tx.py``).

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

__all__ = ["FAILED_TX_MODES", "LIQUIDITY_MODELS", "CostModel", "TxDraws", "cp_buy_base",
           "cp_sell_base"]

LAMPORTS_PER_SOL = 1_000_000_000
LIQUIDITY_MODELS = ("constant_product", "concentrated", "none")
FAILED_TX_MODES = ("expected", "simulate")


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
        failed_tx_mode: "expected" (charge every fill the expected cost of failures) or
            "simulate" (draw failures per bar with ``seed``; a failed order does not fill).
        seed: seed of the failure draws; required when ``failed_tx_mode="simulate"``.
        max_tx_attempts: "simulate" only: sends of one order within its bar before giving
            up (1 = a failed transaction is not retried).
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
    failed_tx_mode: str = "expected"
    seed: int | None = None
    max_tx_attempts: int = 1

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
            (self.failed_tx_mode in FAILED_TX_MODES, "failed_tx_mode",
             f"must be one of {FAILED_TX_MODES}"),
            (isinstance(self.max_tx_attempts, int) and self.max_tx_attempts >= 1,
             "max_tx_attempts", "must be an int >= 1"),
            (self.seed is None or (isinstance(self.seed, int) and self.seed >= 0), "seed",
             "must be None or an int >= 0"),
            (self.failed_tx_mode != "simulate" or self.seed is not None, "seed",
             "must be set when failed_tx_mode='simulate' (e.g. seed=0), so the draws are "
             "reproducible"),
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

    @property
    def is_simulated(self) -> bool:
        """True when failed transactions are drawn rather than charged as an expectation."""
        return self.failed_tx_mode == "simulate"

    def draw_tx(self, sol_price: np.ndarray) -> TxDraws:
        """Per-bar transaction cost of an order sent on each bar, in quote units.

        ``"expected"``: every order lands and costs :meth:`tx_cost_quote`. ``"simulate"``: the
        failures before landing are drawn per bar from ``numpy.random.default_rng(seed)``
        (geometric with success probability ``1 - failed_tx_rate``), capped at
        ``max_tx_attempts``; an order that lands pays ``tip + network + priority`` plus
        ``network + priority`` per failed attempt, one that never lands pays only the failed
        attempts.

        Args:
            sol_price: quote per SOL on each bar.
        """
        sol = np.ascontiguousarray(np.asarray(sol_price, dtype=np.float64))
        n = sol.shape[0]
        # (lamports / 1e9) * sol, the scalar first: the same bits as np.full(n, lamports) /
        # 1e9 * sol without two throwaway 100k arrays
        expected = (self.expected_tx_lamports / LAMPORTS_PER_SOL) * sol
        if not self.is_simulated:
            return TxDraws(cost=expected, expected=expected, is_landed=np.ones(n, np.bool_),
                           failed=np.zeros(n, np.int64))
        rng = np.random.default_rng(self.seed)
        if self.failed_tx_rate > 0:
            fails = rng.geometric(1.0 - self.failed_tx_rate, size=n).astype(np.int64) - 1
        else:
            fails = np.zeros(n, np.int64)
        landed = fails < self.max_tx_attempts
        failed = np.minimum(fails, self.max_tx_attempts)
        per_send = self.network_fee_lamports + self.priority_fee_lamports
        lamports = failed * per_send + np.where(landed, self.jito_tip_lamports + per_send, 0)
        cost = lamports.astype(np.float64) / LAMPORTS_PER_SOL * sol
        return TxDraws(cost=cost, expected=expected, is_landed=landed, failed=failed)

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


@dataclass(frozen=True, slots=True, kw_only=True)
class TxDraws:
    """Transaction outcomes per bar for an order sent on that bar (see ``CostModel.draw_tx``).

    Attributes:
        cost: quote paid by an order sent on the bar, landed or not (float, per bar).
        expected: the expected cost per fill, quote (what a strategy plans with).
        is_landed: whether the order lands (fills) on the bar.
        failed: failed attempts before landing (or before giving up), int.
    """

    cost: np.ndarray
    expected: np.ndarray
    is_landed: np.ndarray
    failed: np.ndarray


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

"""A gymnasium environment over the backtester: choose grid spacing / allocation per block.

The bars are cut into consecutive blocks (``block_bars`` each, e.g. one day of 5m bars). Before
each block the agent sees regime features and picks an *arm*: a set of weights over sleeves.

Sleeves are strategies backtested with :func:`workbench.backtest.run` and its cost model:

* ``grid_<pct>``: a grid re-centred at the previous close at the start of every block, levels
  ``pct`` percent apart, its inventory sold at the block's last close (pool fee, impact and
  transaction cost charged), so a block's result is realised, not marked;
* any registered signal strategy (``sma_cross``, ``rsi``, ...) with fixed params, run once over
  all bars (each is a sub-account that keeps running);
* ``hold`` (the base token, no costs inside the block) and ``cash`` (nothing).

An arm's block result is that of sub-accounts holding ``w_s`` of equity in each sleeve at the
block's start: ``V_t = sum_s w_s * prod(1 + r_s)``. Moving weight between sleeves is charged
``switch_cost_bps`` on the turnover (default: a round trip through the pool, twice its fee).

Reward (risk-adjusted, net of costs): ``log(V_end / V_start) - risk_aversion * max_drawdown``
within the block. Observations are the regime features of the bar before the block,
standardised with the mean and std of the observations seen so far (no lookahead), clipped
to +-5, plus a constant 1.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import gymnasium as gym
import numpy as np
import pandas as pd

from workbench.ai.features import FeatureSpec, compute_features
from workbench.backtest import CostModel, run
from workbench.backtest.costs import cp_sell_base
from workbench.errors import ConfigError

__all__ = [
    "REGIME_FEATURES",
    "AllocationEnv",
    "ArmTable",
    "build_arm_table",
    "default_arms",
]

#: Features making up the observation (before standardisation), from :class:`FeatureSpec`.
REGIME_FEATURES = ("vol_12", "vol_48", "vol_ratio", "ret_12", "ret_48", "trend_48", "range_12",
                   "volume_z_48")


@dataclass(frozen=True, slots=True, kw_only=True)
class ArmTable:
    """Everything the environment needs, computed once from bars.

    Attributes:
        sleeves: sleeve names, the columns of ``returns``.
        arms: arm names.
        weights: ``(n_arms, n_sleeves)`` weights, each row summing to 1.
        returns: ``(n_bars_used, n_sleeves)`` per-bar simple returns of each sleeve, net of
            its costs, for the bars of the blocks.
        block_starts: first row of each block in ``returns`` (plus the end as last entry).
        index: bar time of each row of ``returns``.
        observations: ``(n_blocks, n_features + 1)`` standardised regime features + 1.
        switch_cost_bps: cost of moving weight between sleeves, bps of turnover.
        bars_per_year: for annualising block returns.
    """

    sleeves: tuple[str, ...]
    arms: tuple[str, ...]
    weights: np.ndarray
    returns: np.ndarray
    block_starts: np.ndarray
    index: pd.DatetimeIndex
    observations: np.ndarray
    switch_cost_bps: float
    bars_per_year: float

    @property
    def n_blocks(self) -> int:
        """Number of blocks (environment steps of a full episode)."""
        return int(self.block_starts.shape[0] - 1)

    def block_path(self, block: int, weights: np.ndarray) -> np.ndarray:
        """Equity path (start 1.0) of sub-accounts with ``weights`` through ``block``."""
        r = self.returns[self.block_starts[block]:self.block_starts[block + 1]]
        growth = np.cumprod(1.0 + r, axis=0)
        return np.concatenate(([1.0], growth @ weights))

    def arm_rewards(self, block: int, risk_aversion: float) -> np.ndarray:
        """Every arm's reward in ``block`` before switching costs (for the optimiser)."""
        out = np.empty(len(self.arms))
        for a in range(len(self.arms)):
            out[a] = _reward(self.block_path(block, self.weights[a]), risk_aversion, 0.0)
        return out


def _max_drawdown(path: np.ndarray) -> float:
    peak = np.maximum.accumulate(path)
    return float(np.max(1.0 - path / peak))


def _reward(path: np.ndarray, risk_aversion: float, cost: float) -> float:
    end = path[-1] * (1.0 - cost)
    return math.log(max(end, 1e-12)) - risk_aversion * _max_drawdown(path)


def default_arms(sleeves: Sequence[str]) -> dict[str, dict[str, float]]:
    """Each sleeve alone, plus an equal mix of the non-cash sleeves."""
    arms = {s: {s: 1.0} for s in sleeves}
    active = [s for s in sleeves if s != "cash"]
    if len(active) > 1:
        arms["equal"] = {s: 1.0 / len(active) for s in active}
    return arms


def _grid_block_returns(bars: pd.DataFrame, lo: int, hi: int, spacing: float, levels_half: int,
                        costs: CostModel, capital: float) -> np.ndarray:
    """Per-bar returns of a grid anchored at bar ``lo - 1``'s close over bars ``lo..hi-1``."""
    from workbench.strategies import GridParams

    part = bars.iloc[lo - 1:hi]
    c0 = float(part["close"].iloc[0])
    size = Decimal(repr(round(capital / (c0 * levels_half), 6)))
    params = GridParams(lower=c0 * (1.0 - levels_half * spacing),
                        upper=c0 * (1.0 + levels_half * spacing), n_levels=2 * levels_half + 1,
                        size_per_level=size, max_inventory_levels=levels_half)
    res = run("grid", part, params=params, costs=costs, init_cash=Decimal(repr(capital)))
    eq = res.equity
    values = eq["equity"].to_numpy(np.float64).copy()
    base = float(eq["base"].iloc[-1])
    if base > 0:  # sell the inventory at the last close, through the pool, paying its costs
        p = float(eq["price"].iloc[-1])
        depth = float(part["depth_quote"].iloc[-1]) if "depth_quote" in part.columns else float(
            costs.depth_quote)
        mult, _, max_sell = costs.curve()
        got = cp_sell_base(base, p, depth, costs.gamma, mult, max_sell)
        tx = float(costs.tx_cost_quote(p))
        values[-1] = float(eq["cash"].iloc[-1]) + (0.0 if math.isnan(got) else got) - tx
    return values[1:] / values[:-1] - 1.0


def build_arm_table(
    bars: pd.DataFrame,
    *,
    block_bars: int = 288,
    grid_spacings_pct: Sequence[float] = (0.5, 1.0, 2.0),
    grid_levels_half: int = 5,
    strategies: Mapping[str, Mapping[str, Any]] | None = None,
    include_hold: bool = True,
    arms: Mapping[str, Mapping[str, float]] | None = None,
    costs: CostModel | None = None,
    switch_cost_bps: float | None = None,
    feature_spec: FeatureSpec | None = None,
) -> ArmTable:
    """Backtest every sleeve block by block and assemble the environment's table.

    Args:
        bars: OHLCV frame (UTC index).
        block_bars: bars per block (one decision each).
        grid_spacings_pct: one grid sleeve per spacing, percent between levels.
        grid_levels_half: levels on each side of the centre (the grid has 2n + 1).
        strategies: signal strategies with fixed params, e.g. ``{"sma_cross": {"fast": 10,
            "slow": 50}}`` (default: sma_cross and rsi with their defaults).
        include_hold: add the ``hold`` sleeve (and ``cash`` is always there).
        arms: arm name -> sleeve weights (default :func:`default_arms`).
        costs: cost model of every sleeve (default ``CostModel()``).
        switch_cost_bps: cost per unit of turnover (default twice the pool fee).
        feature_spec: spec of the regime features (default ``FeatureSpec()``).

    Raises:
        ConfigError: too few bars for one block after the features' warm-up, or bad arms.
    """
    costs = costs or CostModel()
    spec = feature_spec or FeatureSpec()
    strategies = {"sma_cross": {}, "rsi": {}} if strategies is None else strategies
    first = spec.warmup
    n_blocks = (len(bars) - first) // block_bars
    if block_bars < 2 or n_blocks < 2:
        raise ConfigError(f"{len(bars)} bars give {n_blocks} blocks of {block_bars} after "
                          f"{first} warm-up bars; need at least 2. Use more bars or smaller "
                          "blocks.", setting="block_bars")
    for s in grid_spacings_pct:
        if not 0 < s * grid_levels_half < 100:
            raise ConfigError(f"grid spacing {s}% x {grid_levels_half} levels must stay within"
                              " (0, 100)% of the price.", setting="grid_spacings_pct")
    end = first + n_blocks * block_bars
    used = bars.iloc[first:end]
    capital = 10_000.0
    cols: dict[str, np.ndarray] = {}
    for s in grid_spacings_pct:
        parts = [_grid_block_returns(bars, first + k * block_bars, first + (k + 1) * block_bars,
                                     s / 100.0, grid_levels_half, costs, capital)
                 for k in range(n_blocks)]
        cols[f"grid_{s:g}"] = np.concatenate(parts)
    for name, values in strategies.items():
        res = run(name, bars.iloc[:end], params=dict(values), costs=costs,
                  init_cash=Decimal(repr(capital)))
        eq = res.equity["equity"].to_numpy(np.float64)
        cols[name] = eq[first:end] / eq[first - 1:end - 1] - 1.0
    if include_hold:
        close = bars["close"].to_numpy(np.float64)
        cols["hold"] = close[first:end] / close[first - 1:end - 1] - 1.0
    cols["cash"] = np.zeros(end - first)
    sleeves = tuple(cols)
    arm_map = dict(arms) if arms is not None else default_arms(sleeves)
    weights = np.zeros((len(arm_map), len(sleeves)))
    for i, (arm, w) in enumerate(arm_map.items()):
        unknown = sorted(set(w) - set(sleeves))
        if unknown or not w or min(w.values()) < 0:
            raise ConfigError(f"arm {arm!r} weights {dict(w)} must be >= 0 over sleeves "
                              f"{list(sleeves)} (unknown: {unknown}).", setting="arms")
        total = sum(w.values())
        for s, v in w.items():
            weights[i, sleeves.index(s)] = v / total
    feats = compute_features(bars.iloc[:end], spec)[list(REGIME_FEATURES)].to_numpy(np.float64)
    raw = feats[[first - 1 + k * block_bars for k in range(n_blocks)]]
    obs = _standardise_online(raw)
    fee_bps = 2.0 * costs.pool_fee_bps if switch_cost_bps is None else switch_cost_bps
    from workbench.backtest.engine import bars_per_year

    return ArmTable(sleeves=sleeves, arms=tuple(arm_map), weights=weights,
                    returns=np.column_stack([cols[s] for s in sleeves]),
                    block_starts=np.arange(0, n_blocks * block_bars + 1, block_bars),
                    index=used.index, observations=obs, switch_cost_bps=float(fee_bps),
                    bars_per_year=bars_per_year(used.index))


def _standardise_online(raw: np.ndarray) -> np.ndarray:
    """z-scores against the rows up to and including each row; +-5 clip; constant 1 appended."""
    n, d = raw.shape
    out = np.zeros((n, d + 1))
    out[:, d] = 1.0
    x = np.nan_to_num(raw, nan=0.0)
    for i in range(n):
        seen = x[: i + 1]
        sd = seen.std(axis=0)
        z = np.where(sd > 0, (x[i] - seen.mean(axis=0)) / np.where(sd > 0, sd, 1.0), 0.0)
        out[i, :d] = np.clip(z, -5.0, 5.0)
    return out


class AllocationEnv(gym.Env):  # type: ignore[misc]
    """One step per block: pick an arm (or weights), get the block's risk-adjusted reward.

    Args:
        table: from :func:`build_arm_table`.
        start_block / end_block: the blocks of an episode (``end_block`` exclusive; None =
            all), e.g. the development part for training and the held-out part for evaluation.
        risk_aversion: weight of the block's max drawdown in the reward.
        action_mode: "discrete" (an arm index) or "weights" (a vector over sleeves, normalised;
            all zeros = cash).

    ``info`` of a step: ``block``, ``block_start`` (time), ``arm`` (name or "weights"),
    ``block_return`` (net of switching cost), ``max_drawdown``, ``switch_cost``.
    """

    metadata: dict[str, Any] = {"render_modes": []}  # noqa: RUF012 (gymnasium's own attribute)

    def __init__(self, table: ArmTable, *, start_block: int = 0, end_block: int | None = None,
                 risk_aversion: float = 0.5, action_mode: str = "discrete") -> None:
        end = table.n_blocks if end_block is None else end_block
        if not 0 <= start_block < end <= table.n_blocks:
            raise ConfigError(f"blocks [{start_block}, {end}) must be a non-empty part of the "
                              f"table's {table.n_blocks} blocks.", setting="start_block")
        if action_mode not in ("discrete", "weights"):
            raise ConfigError(f"action_mode={action_mode!r} must be 'discrete' or 'weights'.",
                              setting="action_mode")
        self.table, self.start_block, self.end_block = table, start_block, end
        self.risk_aversion, self.action_mode = float(risk_aversion), action_mode
        d = table.observations.shape[1]
        self.observation_space = gym.spaces.Box(-6.0, 6.0, shape=(d,), dtype=np.float32)
        self.action_space = (gym.spaces.Discrete(len(table.arms)) if action_mode == "discrete"
                             else gym.spaces.Box(0.0, 1.0, shape=(len(table.sleeves),),
                                                 dtype=np.float32))
        self._block = start_block
        self._held = np.zeros(len(table.sleeves))

    def _obs(self) -> np.ndarray:
        return self.table.observations[self._block].astype(np.float32)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None
              ) -> tuple[np.ndarray, dict[str, Any]]:
        """Back to ``start_block``, all in cash."""
        super().reset(seed=seed)
        self._block = self.start_block
        self._held = np.zeros(len(self.table.sleeves))
        self._held[self.table.sleeves.index("cash")] = 1.0
        return self._obs(), {"block": self._block}

    def weights_of(self, action: Any) -> np.ndarray:
        """Sleeve weights of an action."""
        if self.action_mode == "discrete":
            return np.asarray(self.table.weights[int(action)], dtype=np.float64)
        w = np.clip(np.asarray(action, dtype=np.float64), 0.0, None)
        if w.sum() <= 0:
            w = np.zeros(len(self.table.sleeves))
            w[self.table.sleeves.index("cash")] = 1.0
        return np.asarray(w / w.sum())

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """Hold the action's weights through the current block."""
        w = self.weights_of(action)
        turnover = 0.5 * float(np.abs(w - self._held).sum())
        cost = turnover * self.table.switch_cost_bps / 1e4
        path = self.table.block_path(self._block, w)
        reward = _reward(path, self.risk_aversion, cost)
        info = {"block": self._block, "block_start": self.table.index[
                    self.table.block_starts[self._block]],
                "arm": self.table.arms[int(action)] if self.action_mode == "discrete"
                else "weights",
                "block_return": float(path[-1] * (1.0 - cost) - 1.0),
                "max_drawdown": _max_drawdown(path), "switch_cost": cost}
        r = self.table.returns[self.table.block_starts[self._block]:
                               self.table.block_starts[self._block + 1]]
        drift = w * np.prod(1.0 + r, axis=0)
        self._held = drift / drift.sum() if drift.sum() > 0 else w
        self._block += 1
        done = self._block >= self.end_block
        obs = self._obs() if not done else self.table.observations[self._block - 1].astype(
            np.float32)
        return obs, float(reward), done, False, info

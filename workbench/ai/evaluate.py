"""Held-out comparisons: the learner against fixed parameters and the walk-forward optimiser.

The data are split once in time: a development part (the first ``1 - holdout_fraction``) and
a held-out part (the rest). Everything that is *chosen* is chosen on the development part
only: the fixed arm or parameters, the model's training, the agent's hyperparameters (fixed
defaults, never searched). On the held-out part:

* the agent keeps learning online (each decision uses only rewards already seen);
* "fixed: best on dev" holds the arm (or parameters) that did best on the development part;
* "fixed: <arm>" holds a named arm chosen a priori;
* the walk-forward optimiser re-chooses before every block the arm that did best over the
  previous ``lookback`` blocks (or re-sweeps the parameters on the trailing bars), the usual
  alternative to learning.

``tests/ai/test_evaluate.py`` checks that nothing chosen on the development part changes when
the held-out bars change.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from workbench.ai.agents import Agent, run_online
from workbench.ai.env import AllocationEnv, ArmTable
from workbench.ai.features import FeatureSpec
from workbench.ai.models import ModelParams, train_model
from workbench.ai.simulate import buy_and_hold
from workbench.ai.strategy import MlParams, run_ml
from workbench.backtest import CostModel, run, sweep
from workbench.backtest.result import compute_stats
from workbench.backtest.sweep import best_params
from workbench.errors import ConfigError

__all__ = [
    "FixedArm",
    "TrailingBest",
    "compare_allocators",
    "compare_ml_holdout",
    "holdout_start",
    "reoptimise_rolling",
    "summarise_steps",
]


def holdout_start(n: int, holdout_fraction: float) -> int:
    """First index of the held-out part of ``n`` items.

    Raises:
        ConfigError: ``holdout_fraction`` not in (0, 1) or an empty part.
    """
    if not 0.0 < holdout_fraction < 1.0:
        raise ConfigError(f"holdout_fraction={holdout_fraction} must be in (0, 1).",
                          setting="holdout_fraction")
    start = round(n * (1.0 - holdout_fraction))
    if not 0 < start < n:
        raise ConfigError(f"{n} items cannot be split with holdout_fraction="
                          f"{holdout_fraction}; use more data.", setting="holdout_fraction")
    return start


class FixedArm:
    """Always the same arm (fixed parameters)."""

    def __init__(self, arm: int) -> None:
        self.arm = int(arm)

    def act(self, obs: np.ndarray) -> int:
        """The fixed arm."""
        return self.arm

    def update(self, obs: np.ndarray, arm: int, reward: float) -> None:
        """Learns nothing."""


class TrailingBest:
    """Walk-forward optimiser over arms: before block ``k``, the best arm over the previous
    ``lookback`` blocks (reward before switching costs), from past data only."""

    def __init__(self, table: ArmTable, *, lookback: int, risk_aversion: float,
                 first_block: int) -> None:
        if lookback < 1:
            raise ConfigError(f"lookback={lookback} must be >= 1 block.", setting="lookback")
        self.table, self.lookback, self.risk_aversion = table, lookback, risk_aversion
        self.block = first_block
        self._cache: dict[int, np.ndarray] = {}

    def _rewards(self, block: int) -> np.ndarray:
        if block not in self._cache:
            self._cache[block] = self.table.arm_rewards(block, self.risk_aversion)
        return self._cache[block]

    def act(self, obs: np.ndarray) -> int:
        """The arm with the best mean reward over the trailing blocks."""
        past = range(max(0, self.block - self.lookback), self.block)
        if not past:
            return int(self.table.arms.index("cash")) if "cash" in self.table.arms else 0
        score = np.mean([self._rewards(b) for b in past], axis=0)
        return int(np.argmax(score))

    def update(self, obs: np.ndarray, arm: int, reward: float) -> None:
        """Move to the next block."""
        self.block += 1


def summarise_steps(steps: pd.DataFrame, *, bars_per_block: int, bars_per_year: float
                    ) -> dict[str, float]:
    """Total return, annualised Sharpe of block returns, max drawdown, mean reward, switches."""
    r = steps["block_return"].to_numpy(np.float64)
    eq = np.cumprod(1.0 + r)
    peak = np.maximum.accumulate(np.concatenate(([1.0], eq)))[1:]
    sd = r.std()
    ann = math.sqrt(bars_per_year / bars_per_block)
    return {"total_return": float(eq[-1] - 1.0),
            "sharpe": float(r.mean() / sd * ann) if sd > 0 else float("nan"),
            "max_drawdown": float(np.max(1.0 - eq / peak)),
            "mean_reward": float(steps["reward"].mean()),
            "switches": int((steps["action"].diff().fillna(0) != 0).sum()),
            "blocks": len(steps)}


def compare_allocators(
    table: ArmTable,
    make_agents: Mapping[str, Callable[[int, int], Agent]],
    *,
    holdout_fraction: float = 0.3,
    lookback: int = 5,
    risk_aversion: float = 0.5,
    fixed_arms: Sequence[str] = ("equal",),
    seed: int = 0,
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """Agents, fixed arms and the walk-forward optimiser on the held-out blocks.

    Args:
        table: from :func:`workbench.ai.env.build_arm_table`.
        make_agents: name -> ``f(n_arms, n_features)`` building a fresh agent (seeded).
        holdout_fraction: share of blocks held out (at the end).
        lookback: blocks the walk-forward optimiser looks back.
        risk_aversion: the environment's reward setting.
        fixed_arms: arms held a priori (those not in the table are skipped).
        seed: environment reset seed.

    Returns:
        ``(summary, steps)``: one summary row per policy (see :func:`summarise_steps`,
        plus ``chosen_on`` saying what data chose it) and each policy's held-out steps.
    """
    start = holdout_start(table.n_blocks, holdout_fraction)
    block_bars = int(table.block_starts[1] - table.block_starts[0])
    dev_env = AllocationEnv(table, start_block=0, end_block=start, risk_aversion=risk_aversion)
    hold_env = AllocationEnv(table, start_block=start, risk_aversion=risk_aversion)
    n_arms, n_feat = len(table.arms), table.observations.shape[1]
    policies: dict[str, tuple[Agent, str]] = {}
    for name, make in make_agents.items():
        agent = make(n_arms, n_feat)
        run_online(dev_env, agent, seed=seed)  # learns on the development blocks first
        policies[f"agent: {name}"] = (agent, "dev + online on held-out (past rewards only)")
    dev_rewards = np.array([table.arm_rewards(b, risk_aversion) for b in range(start)])
    best_dev = int(np.argmax(dev_rewards.mean(axis=0)))
    policies[f"fixed: best on dev ({table.arms[best_dev]})"] = (FixedArm(best_dev), "dev")
    for arm in fixed_arms:
        if arm in table.arms:
            policies[f"fixed: {arm}"] = (FixedArm(table.arms.index(arm)), "a priori")
    policies[f"walk-forward optimiser (lookback {lookback})"] = (
        TrailingBest(table, lookback=lookback, risk_aversion=risk_aversion, first_block=start),
        "trailing blocks")
    rows, steps = {}, {}
    for name, (policy, chosen_on) in policies.items():
        st = run_online(hold_env, policy, seed=seed)
        steps[name] = st
        rows[name] = {**summarise_steps(st, bars_per_block=block_bars,
                                        bars_per_year=table.bars_per_year),
                      "chosen_on": chosen_on}
    return pd.DataFrame.from_dict(rows, orient="index"), steps


def reoptimise_rolling(
    strategy: str,
    bars: pd.DataFrame,
    grid: Mapping[str, Sequence[Any]],
    *,
    start: int,
    block_bars: int,
    lookback_bars: int,
    metric: str = "sharpe",
    costs: CostModel | None = None,
    init_cash: Decimal | int | str = Decimal(10_000),
) -> tuple[pd.Series, pd.DataFrame]:
    """Walk-forward optimiser over ``bars[start:]``: re-sweep on the trailing bars, trade the
    next block with the winner, chain the equity.

    Returns:
        ``(stats, choices)``: headline stats of the chained equity, one row per block with
        its start and the chosen params.
    """
    costs = costs or CostModel()
    if start < lookback_bars or block_bars < 2:
        raise ConfigError(f"start={start} must leave lookback_bars={lookback_bars} before it "
                          f"and block_bars={block_bars} must be >= 2.", setting="lookback_bars")
    equity = float(Decimal(init_cash))
    pieces, orders, trades, choices, exposure = [], [], [], [], []
    for s in range(start, len(bars), block_bars):
        e = min(s + block_bars, len(bars))
        if e - s < 2:
            break
        table = sweep(strategy, bars.iloc[s - lookback_bars:s], grid, costs=costs,
                      init_cash=init_cash)
        chosen = {k: type(grid[k][0])(v) for k, v in best_params(table, list(grid),
                                                                 metric).items()}
        # warm the indicators on the trailing bars, then take the block's slice only
        res = run(strategy, bars.iloc[s - lookback_bars:e], params=chosen, costs=costs,
                  init_cash=Decimal(repr(equity)))
        eq = res.equity["equity"].iloc[lookback_bars:]
        base = res.equity["base"].iloc[lookback_bars:]
        scale = equity / float(res.equity["equity"].iloc[lookback_bars - 1])
        pieces.append(eq * scale)
        exposure.append(base.ne(0))
        orders.append(res.orders[res.orders["bar"] >= lookback_bars])
        trades.append(res.trades[res.trades["exit_ts"] >= bars.index[s]])
        choices.append({"block_start": bars.index[s], **chosen})
        equity = float(pieces[-1].iloc[-1])
    from workbench.backtest.engine import bars_per_year

    chain = pd.concat(pieces)
    stats = compute_stats(chain, pd.concat(trades, ignore_index=True),
                          pd.concat(orders, ignore_index=True),
                          init_cash=float(Decimal(init_cash)),
                          bars_per_year=bars_per_year(bars.index),
                          exposure=float(pd.concat(exposure).mean()))
    return stats, pd.DataFrame(choices)


_COLS = ["total_return", "sharpe", "max_drawdown", "trade_count", "fees_paid", "exposure"]


def compare_ml_holdout(
    bars: pd.DataFrame,
    params: ModelParams | None = None,
    feature_spec: FeatureSpec | None = None,
    *,
    holdout_fraction: float = 0.3,
    indicator: str = "sma_cross",
    indicator_grid: Mapping[str, Sequence[Any]] | None = None,
    block_bars: int = 2016,
    lookback_bars: int = 4032,
    costs: CostModel | None = None,
) -> pd.DataFrame:
    """The ML strategy trained on the development part, against baselines on the held-out part.

    Rows: ``ml`` (model trained once on the development bars, Kelly-sized), ``buy_and_hold``,
    ``<indicator>: fixed (best on dev)`` (parameters swept on the development bars) and
    ``<indicator>: walk-forward optimiser`` (re-swept on the trailing bars before every block).
    The held-out bars decide nothing: they are only traded.
    """
    costs = costs or CostModel()
    grid = indicator_grid or {"fast": [5, 10, 20], "slow": [30, 50, 100]}
    start = holdout_start(len(bars), holdout_fraction)
    dev, held = bars.iloc[:start], bars.iloc[start:]
    model = train_model(dev, params, feature_spec, costs=costs)
    # the features of the first held-out bars need the dev bars before them (past data only)
    warm = model.feature_spec.warmup - 1  # rows before the first held-out bar
    ml = run_ml(bars.iloc[start - warm:], MlParams(model=model), costs=costs)
    ml_eq = ml.equity.iloc[warm:]
    ml_stats = compute_stats(ml_eq["equity"], ml.trades[ml.trades["exit_ts"] >= held.index[0]],
                             ml.orders[ml.orders["bar"] >= warm],
                             init_cash=float(ml_eq["equity"].iloc[0]),
                             bars_per_year=ml.bars_per_year,
                             exposure=float((ml_eq["base"] != 0).mean()))
    rows = {"ml": {c: ml_stats[c] for c in _COLS} | {"chosen_on": "trained on dev"}}
    bh = buy_and_hold(held, costs=costs).stats()
    rows["buy_and_hold"] = {c: bh[c] for c in _COLS} | {"chosen_on": "-"}
    table = sweep(indicator, dev, grid, costs=costs)
    fixed = {k: type(grid[k][0])(v) for k, v in best_params(table, list(grid), "sharpe").items()}
    st = run(indicator, held, params=fixed, costs=costs).stats()
    rows[f"{indicator}: fixed {fixed}"] = {c: st[c] for c in _COLS} | {"chosen_on": "dev"}
    wf, _ = reoptimise_rolling(indicator, bars, grid, start=start, block_bars=block_bars,
                               lookback_bars=min(lookback_bars, start), costs=costs)
    rows[f"{indicator}: walk-forward optimiser"] = ({c: wf[c] for c in _COLS}
                                                    | {"chosen_on": "trailing bars"})
    return pd.DataFrame.from_dict(rows, orient="index")

"""The re-optimise job's decision: adopt new strategy parameters only when they earn it.

1. Split the bars: the first ``1 - oos_frac`` are in-sample, the rest out-of-sample (OOS).
2. Sweep the grid on the in-sample bars and take the best combination by ``metric``.
3. Backtest that candidate and the current parameters on the OOS bars, same costs.
4. Adopt the candidate only if all hold, else keep the current parameters:

   * it differs from the current parameters;
   * its OOS ``metric`` beats the current one's (a NaN current score counts as the worst);
   * its OOS max drawdown is within the risk limit (``max_drawdown_pct``, settings.risk);
   * it made at least ``min_trades`` OOS trades (a score from no trades is no evidence).

The decision carries the reason in words, so the run record says why.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

from workbench.backtest import CostModel, run
from workbench.backtest.sweep import best_params, sweep
from workbench.errors import ConfigError
from workbench.jobs.metrics import to_jsonable
from workbench.store import Store
from workbench.store.ledger import audit, load_strategy_configs, save_strategy_config
from workbench.strategies import get_strategy

__all__ = ["ReoptimizeDecision", "adopt", "current_params", "reoptimize"]

_LOWER_IS_BETTER = ("max_drawdown", "fees_paid")


@dataclass(frozen=True, slots=True, kw_only=True)
class ReoptimizeDecision:
    """The outcome of one re-optimisation.

    Attributes:
        strategy: registry name.
        adopted: True when ``candidate`` replaces ``current``.
        reason: why, in one sentence with the numbers.
        metric: the score compared.
        current / candidate: parameter mappings (JSON-safe).
        current_oos / candidate_oos: OOS stats of each (``BacktestResult.stats()`` as a dict).
        in_sample: the sweep table on the in-sample bars.
        split: first OOS timestamp.
    """

    strategy: str
    adopted: bool
    reason: str
    metric: str
    current: dict[str, Any]
    candidate: dict[str, Any]
    current_oos: dict[str, Any]
    candidate_oos: dict[str, Any]
    in_sample: pd.DataFrame
    split: pd.Timestamp

    @property
    def chosen(self) -> dict[str, Any]:
        """The parameters to use from now on."""
        return self.candidate if self.adopted else self.current

    def to_metrics(self) -> dict[str, Any]:
        """Flat, JSON-safe summary for ``record_metrics``."""
        return to_jsonable({
            "strategy": self.strategy, "adopted": self.adopted, "reason": self.reason,
            "metric": self.metric, "chosen_params": self.chosen, "current_params": self.current,
            "candidate_params": self.candidate,
            f"current_oos_{self.metric}": self.current_oos.get(self.metric),
            f"candidate_oos_{self.metric}": self.candidate_oos.get(self.metric),
            "candidate_oos_max_drawdown": self.candidate_oos.get("max_drawdown"),
            "candidate_oos_trades": self.candidate_oos.get("trade_count"),
            "split": self.split})


def _score(stats: Mapping[str, Any], metric: str) -> float:
    value = float(stats.get(metric, math.nan))
    if math.isfinite(value):
        return -value if metric in _LOWER_IS_BETTER else value
    return -math.inf


def reoptimize(
    strategy: str,
    bars: pd.DataFrame,
    grid: Mapping[str, Sequence[Any]],
    *,
    current: Mapping[str, Any] | None = None,
    metric: str = "sharpe",
    oos_frac: float = 0.3,
    max_drawdown_pct: float = 20.0,
    min_trades: int = 1,
    costs: CostModel | None = None,
    cluster: Any = None,
) -> ReoptimizeDecision:
    """Decide whether to adopt new parameters (see the module docstring).

    Args:
        strategy: registry name (a signal or grid strategy).
        bars: OHLCV bars, UTC index, oldest first.
        grid: parameter name -> values to sweep in-sample.
        current: parameters in use (default: the strategy's defaults).
        metric: a sweep column (``sharpe``, ``total_return``, ...).
        oos_frac: share of the bars held out, 0 < oos_frac < 1.
        max_drawdown_pct: the risk limit on the candidate's OOS drawdown, percent.
        min_trades: fewest OOS trades for the candidate's score to count.
        costs: cost model for every backtest.
        cluster: Dask scheduler address or client for the sweep.

    Raises:
        ConfigError: bad ``oos_frac`` or too few bars to split, or a bad grid or params.
    """
    if not 0 < oos_frac < 1:
        raise ConfigError(f"oos_frac={oos_frac} must be between 0 and 1 (exclusive).",
                          setting="oos_frac")
    cut = int(len(bars) * (1 - oos_frac))
    if cut < 10 or len(bars) - cut < 10:
        raise ConfigError(f"{len(bars)} bars cannot be split at oos_frac={oos_frac} with at "
                          "least 10 bars on each side; load more bars.", setting="bars")
    spec = get_strategy(strategy)
    cur = asdict(spec.make_params(current))  # type: ignore[call-overload]
    ins, oos = bars.iloc[:cut], bars.iloc[cut:]
    table = sweep(strategy, ins, grid, costs=costs, cluster=cluster)
    best = best_params(table, list(grid), metric)
    # a sweep table holds numbers as floats; give each value its declared type back
    cand = {**cur, **{k: type(cur[k])(v) if isinstance(cur.get(k), int | float) else v
                      for k, v in best.items()}}
    cand = asdict(spec.make_params(cand))  # type: ignore[call-overload]
    cur_stats = run(strategy, oos, params=cur, costs=costs).stats().to_dict()
    cand_stats = run(strategy, oos, params=cand, costs=costs).stats().to_dict()
    limit = max_drawdown_pct / 100.0
    c_score, k_score = _score(cand_stats, metric), _score(cur_stats, metric)
    dd = float(cand_stats["max_drawdown"])
    trades = int(cand_stats["trade_count"])
    shown = f"OOS {metric} {cand_stats.get(metric):.4g} vs current {cur_stats.get(metric):.4g}"
    if cand == cur:
        adopted, reason = False, f"the best in-sample parameters are the current ones ({shown})"
    elif c_score <= k_score:
        adopted, reason = False, f"candidate does not improve out-of-sample: {shown}"
    elif dd > limit:
        adopted, reason = False, (f"candidate breaks the drawdown limit out-of-sample: "
                                  f"{dd:.2%} > {limit:.2%} ({shown})")
    elif trades < min_trades:
        adopted, reason = False, (f"candidate made {trades} out-of-sample trades, fewer than "
                                  f"{min_trades} ({shown})")
    else:
        adopted, reason = True, (f"candidate improves out-of-sample within limits: {shown}, "
                                 f"drawdown {dd:.2%} <= {limit:.2%}, {trades} trades")
    return ReoptimizeDecision(strategy=strategy, adopted=adopted, reason=reason, metric=metric,
                              current=to_jsonable(cur), candidate=to_jsonable(cand),
                              current_oos=cur_stats, candidate_oos=cand_stats, in_sample=table,
                              split=oos.index[0])


def current_params(store: Store, name: str) -> dict[str, Any]:
    """The parameters stored for strategy config ``name`` ({} when there is none)."""
    configs = load_strategy_configs(store)
    rows = configs[configs["name"] == name]
    return dict(rows.iloc[0]["params"]) if len(rows) else {}


def adopt(store: Store, decision: ReoptimizeDecision, *, name: str, symbol: str,
          actor: str = "job:reoptimize") -> bool:
    """Store the decision: save the candidate as config ``name`` when adopted; audit either way.

    Returns:
        True when new parameters were saved.
    """
    if decision.adopted:
        save_strategy_config(store, name=name, kind=decision.strategy, symbol=symbol,
                             params=decision.candidate)
    audit(store, actor=actor, action="reoptimize.adopt" if decision.adopted
          else "reoptimize.keep", detail={"name": name, **decision.to_metrics()})
    return decision.adopted

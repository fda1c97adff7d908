"""Promote a model or parameter set only when it beats the current one out of sample and
passes the risk limits; record why either way.

The decision reads the candidate's and the production version's ``metrics`` (the OOS
headline recorded at registration) and applies, in order:

1. the risk limits: its OOS max drawdown at most ``max_drawdown_pct`` (by default the
   engine's own :class:`workbench.risk.RiskLimits` value), at least ``min_trades`` trades, a
   finite metric;
2. the comparison: with no production version the candidate is promoted; otherwise its
   ``metric`` must exceed production's by more than ``min_improvement``.

The outcome goes to the registry with :func:`workbench.store.ledger.set_model_status`:
``production`` (the previous one is retired by the store) or ``rejected``, with the reason.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from workbench.errors import ConfigError, DataUnavailable
from workbench.risk.limits import RiskLimits
from workbench.store import Store
from workbench.store.ledger import load_models, set_model_status

__all__ = ["PromotionDecision", "PromotionPolicy", "decide_promotion", "promote"]

_LOWER_IS_BETTER = ("max_drawdown", "fees_paid")


@dataclass(frozen=True, slots=True, kw_only=True)
class PromotionPolicy:
    """When a candidate may replace production.

    Attributes:
        metric: the OOS metric compared (a key of the recorded metrics), e.g. "sharpe".
        min_improvement: the candidate must beat production by more than this.
        max_drawdown_pct: the largest OOS max drawdown allowed, percent.
        min_trades: the fewest OOS trades (a model that never trades proves nothing).
    """

    metric: str = "sharpe"
    min_improvement: float = 0.0
    max_drawdown_pct: Decimal = RiskLimits().max_drawdown_pct
    min_trades: int = 1

    def __post_init__(self) -> None:
        if Decimal(self.max_drawdown_pct) <= 0 or self.min_trades < 0:
            raise ConfigError(f"PromotionPolicy max_drawdown_pct={self.max_drawdown_pct} must "
                              f"be > 0 and min_trades={self.min_trades} >= 0.",
                              setting="max_drawdown_pct")

    @classmethod
    def from_limits(cls, limits: RiskLimits, **kwargs: Any) -> PromotionPolicy:
        """A policy using the engine's drawdown limit."""
        return cls(max_drawdown_pct=limits.max_drawdown_pct, **kwargs)


@dataclass(frozen=True, slots=True, kw_only=True)
class PromotionDecision:
    """The outcome.

    Attributes:
        is_promoted: True when the candidate becomes production.
        status: "production" or "rejected".
        reason: one sentence with the numbers that decided it.
    """

    is_promoted: bool
    status: str
    reason: str


def _num(metrics: Mapping[str, Any], key: str) -> float:
    v = metrics.get(key)
    try:
        return float(v) if v is not None else float("nan")
    except (TypeError, ValueError):
        return float("nan")


def decide_promotion(candidate: Mapping[str, Any], current: Mapping[str, Any] | None,
                     policy: PromotionPolicy | None = None) -> PromotionDecision:
    """Decide on metrics alone (pure; :func:`promote` records it).

    Args:
        candidate: the candidate's OOS metrics (``max_drawdown`` as a fraction,
            ``trade_count``, and ``policy.metric``).
        current: production's metrics, or None when there is no production version.
        policy: the rules (default :class:`PromotionPolicy`).
    """
    policy = policy or PromotionPolicy()
    m = policy.metric
    value = _num(candidate, m)
    if not math.isfinite(value):
        return PromotionDecision(is_promoted=False, status="rejected",
                                 reason=f"candidate {m} is {candidate.get(m)!r}, not a number.")
    dd = _num(candidate, "max_drawdown")
    limit = float(Decimal(policy.max_drawdown_pct)) / 100.0
    if not math.isfinite(dd) or dd > limit:
        return PromotionDecision(
            is_promoted=False, status="rejected",
            reason=f"fails risk limits: OOS max drawdown {dd:.2%} exceeds {limit:.2%}.")
    trades = _num(candidate, "trade_count")
    if not trades >= policy.min_trades:
        return PromotionDecision(
            is_promoted=False, status="rejected",
            reason=f"fails risk limits: {trades:g} OOS trades, fewer than {policy.min_trades}.")
    if current is None:
        return PromotionDecision(is_promoted=True, status="production",
                                 reason=f"no production version; OOS {m}={value:.4g}, max "
                                        f"drawdown {dd:.2%} within {limit:.2%}.")
    prod = _num(current, m)
    lower = m in _LOWER_IS_BETTER
    gain = (prod - value) if lower else (value - prod)
    if math.isfinite(prod) and not gain > policy.min_improvement:
        return PromotionDecision(
            is_promoted=False, status="rejected",
            reason=f"OOS {m}={value:.4g} does not beat production's {prod:.4g} by more than "
                   f"{policy.min_improvement:g}.")
    return PromotionDecision(is_promoted=True, status="production",
                             reason=f"OOS {m}={value:.4g} beats production's {prod:.4g}; max "
                                    f"drawdown {dd:.2%} within {limit:.2%}.")


def promote(store: Store, name: str, version: int, policy: PromotionPolicy | None = None
            ) -> PromotionDecision:
    """Decide on ``name`` ``version`` against the production version and record the outcome.

    Raises:
        DataUnavailable: no such version in the registry.
    """
    rows = load_models(store, name=name)
    cand = rows[rows["version"] == int(version)]
    if cand.empty:
        raise DataUnavailable(f"No model {name!r} version {version} in the registry; register "
                              "it first (workbench.ai.registry.save_model).")
    prod = rows[(rows["status"] == "production") & (rows["version"] != int(version))]
    current = dict(prod.iloc[0]["metrics"]) if len(prod) else None
    decision = decide_promotion(dict(cand.iloc[0]["metrics"]), current, policy)
    set_model_status(store, name, int(version), decision.status, decision.reason)
    return decision

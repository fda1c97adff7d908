"""Correlation-aware caps: tokens that move together are capped together.

Holding SOL, JitoSOL and mSOL is one bet, not three. :func:`correlation_groups` clusters
tokens whose return correlation is at least a threshold (single linkage: A~B and B~C puts A,
B, C in one group); the result goes into ``RiskLimits.groups`` so the gate caps the group's
share of equity (``max_group_concentration_pct``), and into :func:`cap_group_weights` so
rebalancing targets respect the same cap.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

import numpy as np
import pandas as pd

from workbench.errors import RiskError, SchemaError

__all__ = ["cap_group_weights", "correlation_groups", "group_exposures"]


def correlation_groups(
    returns: pd.DataFrame, *, threshold: float = 0.8, min_periods: int = 20
) -> dict[str, str]:
    """Group columns of ``returns`` whose pairwise correlation is >= ``threshold``.

    Args:
        returns: one float column of returns per token symbol, rows aligned in time.
        threshold: correlation at or above which two tokens are one bet (0 < t <= 1).
        min_periods: pairs with fewer overlapping rows are not linked.

    Returns:
        token -> group name for tokens in groups of two or more; the name is the group's
        members sorted and joined with ``+`` (``"JITOSOL+MSOL+SOL"``). Unlisted tokens stand
        alone.

    Raises:
        RiskError: threshold outside (0, 1].
        SchemaError: a non-numeric column.
    """
    if not 0 < threshold <= 1:
        raise RiskError(f"correlation threshold={threshold} must be in (0, 1].")
    if not all(pd.api.types.is_numeric_dtype(t) for t in returns.dtypes):
        raise SchemaError(f"returns must be numeric columns; got {dict(returns.dtypes)}.",
                          source="correlation_groups")
    corr = returns.corr(min_periods=min_periods).to_numpy()
    names = [str(c) for c in returns.columns]
    parent = list(range(len(names)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    rows, cols = np.nonzero(np.nan_to_num(corr, nan=-1.0) >= threshold)
    for i, j in zip(rows.tolist(), cols.tolist(), strict=True):
        if i < j:
            parent[find(i)] = find(j)
    members: dict[int, list[str]] = {}
    for i, name in enumerate(names):
        members.setdefault(find(i), []).append(name)
    out: dict[str, str] = {}
    for group in members.values():
        if len(group) > 1:
            label = "+".join(sorted(group))
            out.update(dict.fromkeys(group, label))
    return out


def group_exposures(values: Mapping[str, Decimal], groups: Mapping[str, str]) -> dict[str, Decimal]:
    """Sum position values by group; tokens outside any group count as their own group."""
    out: dict[str, Decimal] = {}
    for token, value in values.items():
        key = groups.get(token, token)
        out[key] = out.get(key, Decimal(0)) + value
    return out


def cap_group_weights(
    weights: Mapping[str, Decimal], groups: Mapping[str, str], *, max_group_weight: Decimal
) -> dict[str, Decimal]:
    """Scale down every group whose weights sum above ``max_group_weight``.

    Members keep their proportions; the weight cut stays in cash (it is not handed to other
    tokens, which would change their risk without being asked).

    Raises:
        RiskError: a negative weight, or ``max_group_weight`` outside (0, 1].
    """
    if not Decimal(0) < max_group_weight <= 1:
        raise RiskError(f"max_group_weight={max_group_weight} must be in (0, 1].")
    for token, w in weights.items():
        if not w.is_finite() or w < 0:
            raise RiskError(f"weight for {token} is {w}; weights must be finite and >= 0.")
    totals = group_exposures(weights, groups)
    out: dict[str, Decimal] = {}
    for token, w in weights.items():
        total = totals[groups.get(token, token)]
        out[token] = w * max_group_weight / total if total > max_group_weight else w
    return out

"""Walk-forward training and evaluation of the ML strategy; the OOS result is the headline.

The later ``oos_fraction`` of the bars is cut into ``n_folds`` consecutive test blocks. For
each block a model is trained on the bars before it (all of them, or the last ``train_bars``)
and predicts the block, untouched. Labels are computed on the training slice alone, so the
last ``horizon`` training rows, whose forward return would reach into the test block, have no
label and are never trained on (the purge). Features need no purge: they only look back
(``tests/ai/test_features.py``).

The out-of-sample probabilities are chained into one signal path and backtested once over the
out-of-sample bars with the backtester's costs (:func:`workbench.ai.simulate.run_targets`).
Beside it, on exactly those bars, sit the baselines: buy and hold, and the indicator
strategies with parameters chosen by a sweep on the bars *before* the out-of-sample span (the
best of them by in-sample Sharpe is "the best indicator strategy"; choosing it by its
out-of-sample result would flatter the baseline with hindsight).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from workbench.ai.features import FeatureSpec, compute_features, input_columns
from workbench.ai.labels import compute_labels
from workbench.ai.models import (
    FittedModel,
    ModelParams,
    fit_model,
    kelly_fractions,
    signals_from_proba,
)
from workbench.ai.simulate import buy_and_hold, run_targets, targets_from_signals
from workbench.backtest import BacktestResult, CostModel, run, sweep
from workbench.backtest.sweep import best_params
from workbench.errors import ConfigError

__all__ = ["DEFAULT_INDICATOR_GRIDS", "MlWalkForwardResult", "indicator_baselines",
           "walk_forward_ml"]

#: Parameter grids of the indicator baselines (small: they are chosen in-sample only).
DEFAULT_INDICATOR_GRIDS: Mapping[str, Mapping[str, Sequence[Any]]] = {
    "sma_cross": {"fast": [5, 10, 20], "slow": [30, 50, 100]},
    "rsi": {"period": [7, 14], "oversold": [20.0, 30.0], "overbought": [70.0, 80.0]},
    "bollinger": {"window": [20, 50], "k": [1.5, 2.0, 2.5]},
}

_HEADLINE = ["total_return", "sharpe", "sortino", "max_drawdown", "trade_count", "fees_paid",
             "exposure"]


@dataclass(frozen=True, slots=True, kw_only=True)
class MlWalkForwardResult:
    """Walk-forward outcome of the ML strategy.

    Attributes:
        folds: one row per fold: ``train_start``, ``train_end``, ``test_start``,
            ``test_end``, ``n_train``, ``base_rate``, ``auc`` and ``accuracy`` (of the
            test block's known labels), ``oos_return`` (of the block's slice of the chained
            backtest).
        signals: the out-of-sample bars with ``proba``, ``fraction``, ``entry``, ``exit``.
        oos: the backtest of the chained out-of-sample signals.
        headline: ``oos.stats()``: the number to quote.
        baselines: one row per strategy on the same bars (``ml``, ``buy_and_hold``, each
            indicator with its in-sample choice): the headline columns, ``params``,
            ``is_sharpe`` and ``is_best_indicator``.
        model: the last fold's model (trained on the most data).
    """

    folds: pd.DataFrame
    signals: pd.DataFrame
    oos: BacktestResult
    headline: pd.Series
    baselines: pd.DataFrame
    model: FittedModel


def _auc(y: np.ndarray, p: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    ok = np.isfinite(y) & np.isfinite(p)
    if ok.sum() < 2 or np.unique(y[ok]).size < 2:
        return float("nan")
    return float(roc_auc_score(y[ok].astype(int), p[ok]))


def walk_forward_ml(
    bars: pd.DataFrame,
    params: ModelParams | None = None,
    feature_spec: FeatureSpec | None = None,
    *,
    n_folds: int = 4,
    oos_fraction: float = 0.5,
    train_bars: int | None = None,
    costs: CostModel | None = None,
    init_cash: Decimal | int | str = Decimal(10_000),
    indicator_grids: Mapping[str, Mapping[str, Sequence[Any]]] | None = None,
    use_kelly: bool = True,
) -> MlWalkForwardResult:
    """Train, predict and backtest fold by fold; the OOS backtest is the headline.

    Args:
        bars: OHLCV frame (UTC index), optionally with feature input columns.
        params / feature_spec: model and feature settings.
        n_folds: test blocks (>= 1).
        oos_fraction: share of the bars (at the end) that is out of sample, in (0, 1).
        train_bars: train on the last this many bars before each block; None: all of them.
        costs / init_cash: as for ``workbench.backtest.run``.
        indicator_grids: baselines' grids (default :data:`DEFAULT_INDICATOR_GRIDS`); empty
            mapping for buy and hold only.
        use_kelly: size entries by Kelly (else ``params.max_fraction``).

    Raises:
        ConfigError: bad fold settings or too little data.
    """
    params = params or ModelParams()
    spec = feature_spec or FeatureSpec()
    costs = costs or CostModel()
    if n_folds < 1 or not 0.0 < oos_fraction < 1.0:
        raise ConfigError(f"n_folds={n_folds} must be >= 1 and oos_fraction={oos_fraction} in "
                          "(0, 1).", setting="n_folds")
    n = len(bars)
    first = int(n * (1.0 - oos_fraction))
    block = (n - first) // n_folds
    if block < 10 or first < spec.warmup + params.horizon + 50:
        raise ConfigError(f"{n} bars leave {first} for the first training set and {block} per "
                          f"test block; need {spec.warmup + params.horizon + 50} and 10. Use "
                          "more bars or fewer folds.", setting="n_folds")
    feats = compute_features(bars, spec)
    cols = input_columns(list(bars.columns))
    full_labels = compute_labels(bars, horizon=params.horizon, costs=costs,
                                 trade_quote=params.trade_quote, min_return=params.min_return)
    proba = np.full(n, np.nan)
    rows = []
    model: FittedModel | None = None
    for k in range(n_folds):
        s = first + k * block
        e = n if k == n_folds - 1 else s + block
        lo = 0 if train_bars is None else max(0, s - train_bars)
        train = bars.iloc[lo:s]
        labels = compute_labels(train, horizon=params.horizon, costs=costs,
                                trade_quote=params.trade_quote, min_return=params.min_return)
        model = fit_model(feats.iloc[lo:s], labels, params, spec, input_columns=cols)
        proba[s:e] = model.predict_proba(feats.iloc[s:e]).to_numpy()
        y = full_labels["label"].to_numpy()[s:e]
        p = proba[s:e]
        known = np.isfinite(y) & np.isfinite(p)
        rows.append({"train_start": bars.index[lo], "train_end": bars.index[s - 1],
                     "test_start": bars.index[s], "test_end": bars.index[e - 1],
                     "n_train": model.n_train, "base_rate": model.base_rate,
                     "auc": _auc(y, p),
                     "accuracy": float(((p[known] >= 0.5) == (y[known] == 1)).mean())
                     if known.any() else float("nan")})
    if model is None:  # unreachable: n_folds >= 1 was checked
        raise ConfigError("no fold was trained.", setting="n_folds")
    oos_bars = bars.iloc[first:]
    p_oos = proba[first:]
    entry, exit_ = signals_from_proba(p_oos, params.entry_threshold, params.exit_threshold)
    fraction = (kelly_fractions(p_oos, model.win_loss_ratio, multiplier=params.kelly_multiplier,
                                cap=params.max_fraction) if use_kelly
                else np.where(np.isfinite(p_oos), params.max_fraction, 0.0))
    signals = oos_bars.copy()
    signals["proba"], signals["fraction"] = p_oos, fraction
    signals["entry"], signals["exit"] = entry, exit_
    oos = run_targets(oos_bars, targets_from_signals(entry, exit_, fraction), costs=costs,
                      init_cash=init_cash, name="ml", params=params)
    eq = oos.equity["equity"]
    for r in rows:
        seg = eq[(eq.index >= r["test_start"]) & (eq.index <= r["test_end"])]
        before = eq[eq.index < r["test_start"]]
        start = float(before.iloc[-1]) if len(before) else float(Decimal(init_cash))
        r["oos_return"] = float(seg.iloc[-1]) / start - 1.0
    headline = oos.stats()
    baselines = indicator_baselines(bars.iloc[:first], oos_bars, costs=costs, init_cash=init_cash,
                                    grids=DEFAULT_INDICATOR_GRIDS if indicator_grids is None
                                    else indicator_grids)
    ml_row = pd.DataFrame([{**{c: headline[c] for c in _HEADLINE}, "params": "walk-forward",
                            "is_sharpe": np.nan, "is_best_indicator": False}], index=["ml"])
    return MlWalkForwardResult(folds=pd.DataFrame(rows), signals=signals, oos=oos,
                               headline=headline, baselines=pd.concat([ml_row, baselines]),
                               model=model)


def indicator_baselines(
    in_sample: pd.DataFrame, out_of_sample: pd.DataFrame, *, costs: CostModel | None = None,
    init_cash: Decimal | int | str = Decimal(10_000),
    grids: Mapping[str, Mapping[str, Sequence[Any]]] | None = None,
) -> pd.DataFrame:
    """Buy and hold, and each indicator with params chosen on ``in_sample``, on ``out_of_sample``.

    Returns:
        Frame indexed by strategy name: headline stats on ``out_of_sample``, ``params`` (text),
        ``is_sharpe`` (the in-sample Sharpe that chose them), ``is_best_indicator`` (True for
        the indicator with the best in-sample Sharpe).
    """
    costs = costs or CostModel()
    grids = DEFAULT_INDICATOR_GRIDS if grids is None else grids
    bh = buy_and_hold(out_of_sample, costs=costs, init_cash=init_cash).stats()
    rows = {"buy_and_hold": {**{c: bh[c] for c in _HEADLINE}, "params": "",
                             "is_sharpe": np.nan, "is_best_indicator": False}}
    best_name, best_is = None, -np.inf
    for name, grid in grids.items():
        table = sweep(name, in_sample, grid, costs=costs, init_cash=init_cash)
        try:
            chosen = best_params(table, list(grid), "sharpe")
        except ConfigError:
            continue
        chosen = {k: type(grid[k][0])(v) for k, v in chosen.items()}
        is_sharpe = float(table["sharpe"].astype(float).max())
        st = run(name, out_of_sample, params=chosen, costs=costs, init_cash=init_cash).stats()
        rows[name] = {**{c: st[c] for c in _HEADLINE}, "params": repr(chosen),
                      "is_sharpe": is_sharpe, "is_best_indicator": False}
        if is_sharpe > best_is:
            best_name, best_is = name, is_sharpe
    if best_name is not None:
        rows[best_name]["is_best_indicator"] = True
    return pd.DataFrame.from_dict(rows, orient="index")

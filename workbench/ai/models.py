"""Classifiers on the features, probability-thresholded signals, and their size.

The default model is scikit-learn's ``HistGradientBoostingClassifier`` (fast, handles NaN,
deterministic under a seed). ``kind="lightgbm"`` uses LightGBM when it is installed and raises
a :class:`ConfigError` with the install hint when it is not.

Signals: enter long when ``P(net return > 0)`` reaches ``entry_threshold``, exit when it falls
below ``exit_threshold`` (hysteresis keeps a 0.5-ish probability from churning fees).
Size: the probability is a win rate; with the average win/loss ratio measured on the training
labels, :func:`workbench.risk.sizing.kelly_fraction` gives the share of equity to commit
(half Kelly, capped), so a model that is barely sure bets little.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from workbench.ai.features import FeatureSpec, compute_features, input_columns
from workbench.ai.labels import compute_labels, training_mask
from workbench.backtest.costs import CostModel
from workbench.errors import ConfigError, SchemaError
from workbench.risk.sizing import kelly_fraction

__all__ = [
    "MODEL_KINDS",
    "FittedModel",
    "ModelParams",
    "fit_model",
    "is_lightgbm_available",
    "kelly_fractions",
    "make_classifier",
    "signals_from_proba",
    "single_threaded",
    "train_model",
]

MODEL_KINDS = ("hgb", "lightgbm")


@lru_cache(maxsize=1)
def _controller() -> Any:
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def single_threaded() -> Any:
    """Context limiting OpenMP to one thread around fit and predict.

    On a shared machine the estimators' OpenMP threads spin against each other: predicting one
    row took 180 ms with the default threads and 6 ms with one (2 cores, busy). One thread is
    also what makes results independent of the machine.
    """
    return _controller().limit(limits=1, user_api="openmp")


def is_lightgbm_available() -> bool:
    """True when the optional ``lightgbm`` package can be imported."""
    return importlib.util.find_spec("lightgbm") is not None


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelParams:
    """Training, labelling and signal settings of one model.

    Attributes:
        kind: "hgb" (scikit-learn, default) or "lightgbm" (optional dependency).
        horizon: label horizon in bars.
        trade_quote: round-trip size the labels are costed at, quote units.
        min_return: net return a trade must beat to be labelled 1.
        max_iter: boosting rounds.
        learning_rate: shrinkage per round.
        max_leaf_nodes: leaves per tree.
        min_samples_leaf: fewest rows per leaf (large: 5m returns are mostly noise).
        l2_regularization: L2 penalty on leaf values.
        entry_threshold: enter when the probability is at least this.
        exit_threshold: exit when it falls below this (<= entry_threshold).
        kelly_multiplier: share of full Kelly committed.
        max_fraction: the largest share of equity one entry commits.
        seed: random state of the model.
    """

    kind: str = "hgb"
    horizon: int = 12
    trade_quote: float = 1_000.0
    min_return: float = 0.0
    max_iter: int = 150
    learning_rate: float = 0.05
    max_leaf_nodes: int = 15
    min_samples_leaf: int = 200
    l2_regularization: float = 1.0
    entry_threshold: float = 0.55
    exit_threshold: float = 0.5
    kelly_multiplier: float = 0.5
    max_fraction: float = 1.0
    seed: int = 0

    def __post_init__(self) -> None:
        if self.kind not in MODEL_KINDS:
            raise ConfigError(f"ModelParams kind={self.kind!r} must be one of {MODEL_KINDS}.",
                              setting="kind")
        if self.horizon < 1:
            raise ConfigError(f"ModelParams horizon={self.horizon} must be >= 1.",
                              setting="horizon")
        if not 0.0 < self.exit_threshold <= self.entry_threshold < 1.0:
            raise ConfigError(
                f"ModelParams needs 0 < exit_threshold={self.exit_threshold} <= "
                f"entry_threshold={self.entry_threshold} < 1.", setting="entry_threshold")
        if not 0.0 < self.max_fraction <= 1.0:
            raise ConfigError(f"ModelParams max_fraction={self.max_fraction} must be in (0, 1].",
                              setting="max_fraction")
        if self.max_iter < 1 or self.min_samples_leaf < 1 or self.max_leaf_nodes < 2:
            raise ConfigError(
                f"ModelParams max_iter={self.max_iter}, min_samples_leaf="
                f"{self.min_samples_leaf} must be >= 1 and max_leaf_nodes="
                f"{self.max_leaf_nodes} >= 2.", setting="max_iter")

    def to_dict(self) -> dict[str, Any]:
        """Plain values for the registry (JSON)."""
        return asdict(self)


def make_classifier(params: ModelParams) -> Any:
    """An unfitted classifier for ``params.kind``.

    Raises:
        ConfigError: ``kind="lightgbm"`` but LightGBM is not installed.
    """
    if params.kind == "lightgbm":
        if not is_lightgbm_available():
            raise ConfigError("kind='lightgbm' needs the optional lightgbm package; install it "
                              "with `pip install lightgbm` or use kind='hgb'.", setting="kind")
        import lightgbm

        return lightgbm.LGBMClassifier(
            n_estimators=params.max_iter, learning_rate=params.learning_rate,
            num_leaves=params.max_leaf_nodes, min_child_samples=params.min_samples_leaf,
            reg_lambda=params.l2_regularization, random_state=params.seed, n_jobs=1,
            deterministic=True, verbose=-1)
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(
        max_iter=params.max_iter, learning_rate=params.learning_rate,
        max_leaf_nodes=params.max_leaf_nodes, min_samples_leaf=params.min_samples_leaf,
        l2_regularization=params.l2_regularization, early_stopping=False,
        random_state=params.seed)


@dataclass(frozen=True, slots=True, kw_only=True)
class FittedModel:
    """A trained classifier with everything needed to use it the same way again.

    Attributes:
        estimator: the fitted scikit-learn-compatible classifier.
        features: feature columns, in the order the estimator was fitted on.
        feature_spec: the spec that computes them.
        params: training, label and signal settings.
        train_start / train_end: first and last bar of the training rows, UTC ns.
        n_train: training rows.
        base_rate: share of label 1 in the training rows.
        win_loss_ratio: mean positive / mean |negative| net return of the training rows,
            the ``b`` of the Kelly sizing.
        input_columns: bar columns the features read (OHLCV plus optional ones); the live
            shape needs each of them on every bar.
    """

    estimator: Any
    features: tuple[str, ...]
    feature_spec: FeatureSpec
    params: ModelParams
    train_start: int
    train_end: int
    n_train: int
    base_rate: float
    win_loss_ratio: float
    input_columns: tuple[str, ...] = ("open", "high", "low", "close", "volume")

    def predict_proba(self, features: pd.DataFrame) -> pd.Series:
        """P(label 1) for every row; NaN where a feature is NaN (warm-up).

        Raises:
            SchemaError: a feature the model needs is missing from ``features``.
        """
        missing = [c for c in self.features if c not in features.columns]
        if missing:
            raise SchemaError(f"features lack {missing} needed by the model; compute them with "
                              "the model's feature_spec.")
        x = features[list(self.features)].to_numpy(dtype=np.float64)
        ok = np.isfinite(x).all(axis=1)
        out = np.full(x.shape[0], np.nan)
        if ok.any():
            with single_threaded():
                out[ok] = self.estimator.predict_proba(x[ok])[:, 1]
        return pd.Series(out, index=features.index, name="proba")

    def predict_row(self, row: np.ndarray) -> float:
        """P(label 1) for one feature vector (the live shape); NaN while warming up."""
        if not np.isfinite(row).all():
            return float("nan")
        with single_threaded():
            return float(self.estimator.predict_proba(row.reshape(1, -1))[0, 1])


def fit_model(features: pd.DataFrame, labels: pd.DataFrame, params: ModelParams,
              feature_spec: FeatureSpec, *,
              input_columns: Sequence[str] = ("open", "high", "low", "close", "volume"),
              ) -> FittedModel:
    """Train on the rows where every feature and the label are known.

    Args:
        features: output of :func:`workbench.ai.features.compute_features`.
        labels: output of :func:`workbench.ai.labels.compute_labels` on the same index.
        params: model settings.
        feature_spec: the spec ``features`` was computed with (stored with the model).
        input_columns: the bar columns the features were computed from.

    Raises:
        SchemaError: indexes differ, or fewer than 50 usable rows, or one class only.
    """
    if not features.index.equals(labels.index):
        raise SchemaError("features and labels must share one index; compute both from the "
                          "same bars.")
    mask = training_mask(features, labels["label"])
    n = int(mask.sum())
    if n < 50:
        raise SchemaError(f"only {n} rows have every feature and a label; need at least 50. "
                          "Use more bars (features need warm-up, labels lose the last horizon).")
    y = labels["label"].to_numpy()[mask].astype(np.int64)
    if np.unique(y).size < 2:
        raise SchemaError(f"all {n} training labels are {int(y[0])}; the model needs both "
                          "classes. Use more bars or a different min_return.")
    est = make_classifier(params)
    with single_threaded():
        est.fit(features.to_numpy(dtype=np.float64)[mask], y)
    net = labels["net_return"].to_numpy()[mask]
    wins, losses = net[net > 0], -net[net < 0]
    ratio = float(wins.mean() / losses.mean()) if wins.size and losses.size else 1.0
    idx = features.index[mask].as_unit("ns").asi8
    return FittedModel(estimator=est, features=tuple(features.columns), feature_spec=feature_spec,
                       params=params, train_start=int(idx[0]), train_end=int(idx[-1]),
                       n_train=n, base_rate=float(y.mean()), win_loss_ratio=ratio,
                       input_columns=tuple(input_columns))


def train_model(bars: pd.DataFrame, params: ModelParams | None = None,
                feature_spec: FeatureSpec | None = None, *, costs: CostModel | None = None
                ) -> FittedModel:
    """Features, cost-aware labels and a fitted model from bars, in one call.

    Args:
        bars: the training bars (OHLCV plus optional feature columns).
        params: model settings (default ``ModelParams()``).
        feature_spec: feature windows (default ``FeatureSpec()``).
        costs: the cost model of the labels (default ``CostModel()``).
    """
    params = params or ModelParams()
    feature_spec = feature_spec or FeatureSpec()
    feats = compute_features(bars, feature_spec)
    labels = compute_labels(bars, horizon=params.horizon, costs=costs,
                            trade_quote=params.trade_quote, min_return=params.min_return)
    return fit_model(feats, labels, params, feature_spec,
                     input_columns=input_columns(list(bars.columns)))


def signals_from_proba(proba: np.ndarray, entry_threshold: float, exit_threshold: float
                       ) -> tuple[np.ndarray, np.ndarray]:
    """(entry, exit) booleans: enter at ``p >= entry``, exit at ``p < exit``; NaN: neither."""
    p = np.asarray(proba, dtype=np.float64)
    finite = np.isfinite(p)
    with np.errstate(invalid="ignore"):
        entry = finite & (p >= entry_threshold)
        exit_ = finite & (p < exit_threshold)
    return entry, exit_


def kelly_fractions(proba: np.ndarray, win_loss_ratio: float, *, multiplier: float,
                    cap: float) -> np.ndarray:
    """Share of equity per bar from :func:`workbench.risk.sizing.kelly_fraction` (0 for NaN).

    The probability is rounded to 1e-6 first, so the value does not depend on float noise
    beyond what a live feed reproduces.
    """
    b = Decimal(repr(max(float(win_loss_ratio), 1e-9)))
    m, c = Decimal(repr(float(multiplier))), Decimal(repr(float(cap)))
    out = np.zeros(len(proba))
    cache: dict[float, float] = {}
    for i, p in enumerate(np.asarray(proba, dtype=np.float64)):
        if not np.isfinite(p):
            continue
        key = round(float(p), 6)
        if key not in cache:
            cache[key] = float(kelly_fraction(Decimal(repr(key)), b, multiplier=m, cap=c))
        out[i] = cache[key]
    return out

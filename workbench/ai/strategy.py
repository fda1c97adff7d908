"""The ML strategy in both shapes: vectorised signals for research, bar by bar for live.

Both shapes compute the features with the same numeric core (:mod:`workbench.ai.features`),
ask the same fitted model for ``P(net return > 0)``, threshold it the same way and size the
entry with the same Kelly fraction (:func:`workbench.risk.sizing.kelly_fraction`), so they
decide alike on every bar (``tests/ai/test_strategy.py`` checks it on real SOL/USDT bars).

The model comes from the registry (``model_dir``, a version directory) or, in a notebook,
directly (``model``). Loading from the registry passes the strategy's feature list, so a
version trained on other features is refused before the first bar.

``ML_STRATEGY`` is a :class:`workbench.strategies.StrategySpec`; ``workbench.backtest.run``
takes it directly (all-in sizing), :func:`run_ml` backtests the Kelly-sized entries.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from solders.pubkey import Pubkey

from workbench.ai.features import FeatureBuffer, compute_features, feature_names
from workbench.ai.models import FittedModel, kelly_fractions, signals_from_proba
from workbench.ai.registry import load_model
from workbench.ai.simulate import run_targets, targets_from_signals
from workbench.backtest import BacktestResult, CostModel
from workbench.domain import Bar, Fill, Side, Token
from workbench.errors import ConfigError
from workbench.risk.sizing import fixed_fractional, size_order
from workbench.strategies import (
    Decision,
    EventStrategy,
    StrategyKind,
    StrategySpec,
    check_bars,
    register_strategy,
)

__all__ = ["ML_STRATEGY", "MlParams", "MlStrategy", "compute_ml_signals", "run_ml"]


@dataclass(frozen=True, slots=True, kw_only=True)
class MlParams:
    """Settings of the ML strategy.

    Attributes:
        model_dir: a registry version directory (``data/models/<name>/<version>``); used when
            ``model`` is None.
        model: an in-memory fitted model (notebooks, tests); takes precedence.
        features: the feature list the caller feeds, in order; the model must have been
            trained on exactly these. Empty: the list the model's own spec computes from the
            bars' columns (still checked against the model).
        entry_threshold / exit_threshold: probability thresholds; 0 takes the model's.
        use_kelly: size entries with the capped Kelly fraction; False commits
            ``max_fraction`` of the model params.
        budget_quote: the event shape's capital, quote units (its equity is this plus the
            PnL of its fills).
        base_decimals: decimals of the base token (9 for SOL); amounts round down to them.
        min_notional_quote: smaller entries are skipped.
    """

    model_dir: str = ""
    model: FittedModel | None = field(default=None, compare=False, repr=False)
    features: tuple[str, ...] = ()
    entry_threshold: float = 0.0
    exit_threshold: float = 0.0
    use_kelly: bool = True
    budget_quote: Decimal = Decimal(10_000)
    base_decimals: int = 9
    min_notional_quote: Decimal = Decimal(1)

    def __post_init__(self) -> None:
        if self.model is None and not self.model_dir:
            raise ConfigError("MlParams needs a model: pass model_dir='data/models/<name>/"
                              "<version>' (see workbench.ai.registry) or model=<FittedModel>.",
                              setting="model_dir")
        for name in ("entry_threshold", "exit_threshold"):
            v = getattr(self, name)
            if not 0.0 <= v < 1.0:
                raise ConfigError(f"MlParams {name}={v} must be in [0, 1) (0 = the model's).",
                                  setting=name)
        if Decimal(self.budget_quote) <= 0:
            raise ConfigError(f"MlParams budget_quote={self.budget_quote} must be > 0.",
                              setting="budget_quote")

    def resolve_model(self) -> FittedModel:
        """The model, loaded from ``model_dir`` (checked against ``features``) if needed."""
        if self.model is not None:
            if self.features and tuple(self.features) != self.model.features:
                raise ConfigError(
                    f"model features {list(self.model.features)} differ from the features "
                    f"given {list(self.features)}.", setting="features")
            return self.model
        return _load_cached(str(Path(self.model_dir).resolve()), tuple(self.features) or None)

    def thresholds(self, model: FittedModel) -> tuple[float, float]:
        """(entry, exit) thresholds in force."""
        entry = self.entry_threshold or model.params.entry_threshold
        exit_ = self.exit_threshold or model.params.exit_threshold
        if exit_ > entry:
            raise ConfigError(f"exit_threshold={exit_} must not exceed entry_threshold={entry}.",
                              setting="exit_threshold")
        return entry, exit_


@lru_cache(maxsize=8)
def _load_cached(path: str, features: tuple[str, ...] | None) -> FittedModel:
    # Version directories are immutable, so a loaded model can be shared.
    model = load_model(path, features=features)
    return model


def _fractions(p: MlParams, model: FittedModel, proba: np.ndarray) -> np.ndarray:
    if p.use_kelly:
        return kelly_fractions(proba, model.win_loss_ratio,
                               multiplier=model.params.kelly_multiplier,
                               cap=model.params.max_fraction)
    return np.where(np.isfinite(proba), model.params.max_fraction, 0.0)


def compute_ml_signals(bars: pd.DataFrame, params: MlParams) -> pd.DataFrame:
    """Return a copy of ``bars`` with float ``proba``, ``fraction`` and bool ``entry``, ``exit``.

    ``proba``: the model's P(net return over its horizon > 0), NaN during feature warm-up.
    ``entry``: ``proba >= entry_threshold``; ``exit``: ``proba < exit_threshold``.
    ``fraction``: share of equity an entry at that bar commits (Kelly, capped).

    Raises:
        ConfigError: the features the bars yield are not the model's.
    """
    check_bars(bars)
    model = params.resolve_model()
    names = feature_names(model.feature_spec, list(bars.columns))
    if tuple(names) != model.features:
        raise ConfigError(
            f"these bars give features {names}, the model was trained on "
            f"{list(model.features)}; add the missing input columns "
            f"{[c for c in model.input_columns if c not in bars.columns]} or use another model.",
            setting="features")
    feats = compute_features(bars, model.feature_spec)
    proba = model.predict_proba(feats).to_numpy()
    entry_t, exit_t = params.thresholds(model)
    entry, exit_ = signals_from_proba(proba, entry_t, exit_t)
    out = bars.copy()
    out["proba"], out["fraction"] = proba, _fractions(params, model, proba)
    out["entry"], out["exit"] = entry, exit_
    return out


def run_ml(bars: pd.DataFrame, params: MlParams, *, costs: CostModel | None = None,
           init_cash: Decimal | int | str = Decimal(10_000)) -> BacktestResult:
    """Backtest the ML strategy with Kelly-sized entries (all-out exits) and the usual costs."""
    sig = compute_ml_signals(bars, params)
    target = targets_from_signals(sig["entry"].to_numpy(), sig["exit"].to_numpy(),
                                  sig["fraction"].to_numpy())
    return run_targets(bars, target, costs=costs, init_cash=init_cash, name="ml",
                       params=params)


_PLACEHOLDER_MINT = Pubkey.default()


class MlStrategy(EventStrategy[MlParams]):
    """Event shape of :func:`compute_ml_signals`.

    ``on_bar`` takes a domain :class:`Bar`; a model that reads optional columns (depth,
    spread, swap flow) needs them as ``extras`` (column -> value) on every bar. Entries are
    sized from the strategy's own equity (``budget_quote`` plus the PnL of its fills) with
    :func:`workbench.risk.sizing.fixed_fractional` at the Kelly fraction and rounded down to
    base units by :func:`workbench.risk.sizing.size_order`; exits sell everything.
    """

    name = "ml"

    def on_start(self) -> None:
        p = self.params
        self.model = p.resolve_model()
        self.buffer = FeatureBuffer(self.model.feature_spec, columns=self.model.input_columns)
        if tuple(self.buffer.names) != self.model.features:
            raise ConfigError(f"the live feature list {self.buffer.names} is not the model's "
                              f"{list(self.model.features)}.", setting="features")
        self.entry_threshold, self.exit_threshold = p.thresholds(self.model)
        self.token = Token(mint=_PLACEHOLDER_MINT, symbol="BASE", decimals=p.base_decimals)
        self.cash = Decimal(p.budget_quote)
        self.position = Decimal(0)
        self.is_long = False
        self.last_proba = float("nan")

    def on_bar(self, bar: Bar, extras: Mapping[str, Any] | None = None) -> list[Decision]:
        values: dict[str, Any] = {"open": bar.open, "high": bar.high, "low": bar.low,
                                  "close": bar.close, "volume": bar.volume, **(extras or {})}
        row = self.buffer.push(bar.ts_event, values)
        proba = self.model.predict_row(row)
        self.last_proba = proba
        entry, exit_ = signals_from_proba(np.array([proba]), self.entry_threshold,
                                          self.exit_threshold)
        if entry[0] and not self.is_long:
            fraction = float(_fractions(self.params, self.model, np.array([proba]))[0])
            if fraction <= 0:
                return []
            price = bar.close
            equity = self.cash + self.position * price
            amount = fixed_fractional(equity, Decimal(repr(fraction)), price)
            sized = size_order(amount, price, self.token,
                               min_notional=Decimal(self.params.min_notional_quote))
            if not sized.is_tradeable:
                return []
            return [Decision(ts_event=bar.ts_event, side=Side.BUY, amount=sized.amount,
                             reason="entry")]
        if exit_[0] and self.is_long:
            return [Decision(ts_event=bar.ts_event, side=Side.SELL, amount=None, reason="exit")]
        return []

    def on_fill(self, fill: Fill) -> None:
        if fill.side is Side.BUY:
            self.cash -= fill.quote_amount
            self.position += fill.base_amount
        else:
            self.cash += fill.quote_amount
            self.position -= fill.base_amount
        self.is_long = self.position > 0


#: The registry entry of the ML strategy (kind SIGNALS: ``backtest.run`` accepts it).
ML_STRATEGY: StrategySpec[MlParams] = StrategySpec(
    name="ml", kind=StrategyKind.SIGNALS, params_cls=MlParams,
    compute_signals=compute_ml_signals, event_cls=MlStrategy,
    description="gradient-boosted P(net return > 0) over market features, Kelly-sized")
register_strategy(ML_STRATEGY)

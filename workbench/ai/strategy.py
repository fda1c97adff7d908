"""The ML strategy in both shapes: vectorised signals for research, bar by bar for live.

Both shapes compute the features with the same numeric core (:mod:`workbench.ai.features`),
ask the same fitted model for ``P(net return > 0)``, threshold it the same way and size the
entry with the same Kelly fraction (:func:`workbench.risk.sizing.kelly_fraction`), so they
decide alike on every bar (``tests/ai/test_strategy.py`` checks it on real SOL/USDT bars).

The model comes from the registry by name (``model_name`` + ``model_version``: a number,
``"production"`` or ``"latest"``, resolved in the store's ``model_registry``), from a version
directory (``model_dir``), or, in a notebook, directly (``model``). Loading from the registry
passes the strategy's feature list, so a version trained on other features is refused before
the first bar; so is a model needing input columns the feed does not supply.

State that the engine stores after every bar stays small: the event strategy keeps a
:class:`ModelRef` (name, version, path, sha256, features), not the estimator, and
:attr:`MlStrategy.model` loads the referenced version on use (cached per process, checked
against the recorded sha256). A restored strategy therefore reloads the version it was
running, whatever is in production since; restarting it fresh (``set_param``) resolves
``model_version`` again.

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
from workbench.ai.registry import ModelArtifact, load_artifact, load_model, resolve_version
from workbench.ai.simulate import run_targets, targets_from_signals
from workbench.backtest import BacktestResult, CostModel
from workbench.domain import Bar, Fill, Side, Token
from workbench.errors import ConfigError, DataError, StoreError
from workbench.risk.sizing import fixed_fractional, size_order
from workbench.strategies import (
    Decision,
    EventStrategy,
    StrategyKind,
    StrategySpec,
    check_bars,
    register_strategy,
)

__all__ = ["DEFAULT_MODEL_NAME", "ML_STRATEGY", "OHLCV", "MlParams", "MlStrategy", "ModelRef",
           "compute_ml_signals", "run_ml"]

#: The registry name the retrain job (``notebooks/jobs/retrain_model.ipynb``) and the research
#: notebook save the SOL/USDT 5m model under; the default of ``MlParams.model_name``.
DEFAULT_MODEL_NAME = "sol_5m_hgb"

#: The columns every bar carries; anything else a model reads must come as ``extras``.
OHLCV = ("open", "high", "low", "close", "volume")


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelRef:
    """A registry version a strategy runs: a few strings to store, the model loaded on use.

    Attributes:
        name / version: the registry entry.
        path: the version directory (absolute).
        sha256: digest of its ``model.joblib`` when resolved; a different file is refused.
        features: the feature list the model is loaded for (checked by the registry).
    """

    name: str
    version: int
    path: str
    sha256: str
    features: tuple[str, ...]

    @classmethod
    def from_artifact(cls, art: ModelArtifact, features: tuple[str, ...] = ()) -> ModelRef:
        """The reference of ``art``, to be loaded for ``features`` (empty: its own)."""
        return cls(name=art.name, version=art.version, path=str(Path(art.path).resolve()),
                   sha256=art.sha256, features=tuple(features) or art.features)

    def load(self) -> FittedModel:
        """The model (cached per process: version directories are never overwritten).

        Raises:
            ConfigError: its features are not :attr:`features`.
            DataError: the artifact changed since it was resolved, or is corrupt.
            DataUnavailable: the version directory is gone.
        """
        return _load_ref(self)


@lru_cache(maxsize=8)
def _load_ref(ref: ModelRef) -> FittedModel:
    art = load_artifact(ref.path)
    if art.sha256 != ref.sha256:
        raise DataError(
            f"Model {ref.name!r} version {ref.version} at {ref.path} changed since the "
            f"strategy resolved it (sha256 {ref.sha256[:12]}... now {art.sha256[:12]}...); "
            "registry versions are immutable: restart the strategy to resolve it again.")
    return load_model(ref.path, features=ref.features)


def _redacted(url: str) -> str:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<malformed url>"


def _resolve_in_store(name: str, version: int | str, registry_url: str) -> ModelArtifact:
    """The artifact of ``name`` at ``version`` in the registry at ``registry_url``."""
    from sqlalchemy.exc import SQLAlchemyError

    from workbench.config import load_settings
    from workbench.store import open_store

    url = registry_url or load_settings().database_url
    store = open_store(url)
    try:
        return resolve_version(store, name, version)
    except SQLAlchemyError as exc:
        raise StoreError(f"Cannot read the model registry in {_redacted(url)} "
                         f"({type(exc).__name__}); run `workbench db upgrade` or set "
                         "registry_url to the store the model was registered in.") from exc
    finally:
        store.dispose()


@dataclass(frozen=True, slots=True, kw_only=True)
class MlParams:
    """Settings of the ML strategy.

    The model comes from ``model`` if given, else ``model_dir`` if given, else the registry
    entry ``model_name``/``model_version`` (what the engine uses). The defaults name the
    production version of the model the retrain job registers, so ``MlParams()`` is valid;
    it is resolved only when used.

    Attributes:
        model_name: a registry name (``data/models/<name>/``), resolved in the store.
        model_version: with ``model_name``: a version number, "production" (the promoted
            one) or "latest".
        registry_url: the store holding the registry; empty: the workbench settings' database
            (the engine's own store under the default configuration). Avoid URLs with a
            password: params are shown on the dashboard.
        model_dir: a registry version directory (``data/models/<name>/<version>``).
        model: an in-memory fitted model (notebooks, tests); takes precedence.
        features: the feature list the caller feeds, in order; the model must have been
            trained on exactly these. Empty: the list the model's own spec computes from the
            bars' columns (still checked against the model).
        extra_columns: optional input columns (``depth_quote``, ``spread_bps``...) the event
            shape receives as ``extras`` with every bar; a model reading other columns is
            refused at start. The engine's paper feed gives OHLCV only.
        entry_threshold / exit_threshold: probability thresholds; 0 takes the model's.
        use_kelly: size entries with the capped Kelly fraction; False commits
            ``max_fraction`` of the model params.
        budget_quote: the event shape's capital, quote units (its equity is this plus the
            PnL of its fills).
        base_decimals: decimals of the base token (9 for SOL); amounts round down to them.
        min_notional_quote: smaller entries are skipped.
    """

    model_name: str = DEFAULT_MODEL_NAME
    model_version: int | str = "production"
    registry_url: str = ""
    model_dir: str = ""
    model: FittedModel | None = field(default=None, compare=False, repr=False)
    features: tuple[str, ...] = ()
    extra_columns: tuple[str, ...] = ()
    entry_threshold: float = 0.0
    exit_threshold: float = 0.0
    use_kelly: bool = True
    budget_quote: Decimal = Decimal(10_000)
    base_decimals: int = 9
    min_notional_quote: Decimal = Decimal(1)

    def __post_init__(self) -> None:
        if self.model is None and not self.model_dir and not self.model_name:
            raise ConfigError("MlParams needs a model: pass model_name='<registry name>' (and "
                              "model_version), model_dir='data/models/<name>/<version>' (see "
                              "workbench.ai.registry) or model=<FittedModel>.",
                              setting="model_name")
        v = self.model_version
        if isinstance(v, str) and v.strip().isdigit():
            object.__setattr__(self, "model_version", int(v))
        elif not (v in ("production", "latest") or (isinstance(v, int)
                                                     and not isinstance(v, bool) and v >= 1)):
            raise ConfigError(f"MlParams model_version={v!r} must be a version number >= 1, "
                              "'production' or 'latest'.", setting="model_version")
        bad = [c for c in self.extra_columns if c in OHLCV]
        if bad:
            raise ConfigError(f"MlParams extra_columns={list(self.extra_columns)} lists bar "
                              f"columns {bad}; name only the optional ones.",
                              setting="extra_columns")
        for name in ("entry_threshold", "exit_threshold"):
            v = getattr(self, name)
            if not 0.0 <= v < 1.0:
                raise ConfigError(f"MlParams {name}={v} must be in [0, 1) (0 = the model's).",
                                  setting=name)
        if Decimal(self.budget_quote) <= 0:
            raise ConfigError(f"MlParams budget_quote={self.budget_quote} must be > 0.",
                              setting="budget_quote")

    def resolve_ref(self) -> ModelRef | None:
        """The registry version these params name (None for an in-memory ``model``).

        ``model_name`` is looked up in the store now, so "production" means the version
        promoted at this call. The model is loaded once here (then cached), so a version
        with other features, or a corrupt one, is refused at once.

        Raises:
            ConfigError: the version's features are not ``features``.
            DataUnavailable: no such model or version (or no production version yet).
            DataError: the artifact is corrupt.
            StoreError: the registry store cannot be read.
        """
        if self.model is not None:
            return None
        if self.model_dir:
            art = load_artifact(self.model_dir)
        else:
            art = _resolve_in_store(self.model_name, self.model_version, self.registry_url)
        if art.kind != "model":
            raise ConfigError(f"{art.path} is a {art.kind!r} artifact, not a model.",
                              setting="model_dir" if self.model_dir else "model_name")
        ref = ModelRef.from_artifact(art, tuple(self.features))
        ref.load()
        return ref

    def resolve_model(self) -> FittedModel:
        """The model, loaded from the registry (checked against ``features``) if needed."""
        if self.model is not None:
            if self.features and tuple(self.features) != self.model.features:
                raise ConfigError(
                    f"model features {list(self.model.features)} differ from the features "
                    f"given {list(self.features)}.", setting="features")
            return self.model
        ref = self.resolve_ref()
        assert ref is not None
        return ref.load()

    def thresholds(self, model: FittedModel) -> tuple[float, float]:
        """(entry, exit) thresholds in force."""
        entry = self.entry_threshold or model.params.entry_threshold
        exit_ = self.exit_threshold or model.params.exit_threshold
        if exit_ > entry:
            raise ConfigError(f"exit_threshold={exit_} must not exceed entry_threshold={entry}.",
                              setting="exit_threshold")
        return entry, exit_


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
    spread, swap flow) needs them named in ``extra_columns`` and passed as ``extras``
    (column -> value) on every bar. Entries are sized from the strategy's own equity
    (``budget_quote`` plus the PnL of its fills) with
    :func:`workbench.risk.sizing.fixed_fractional` at the Kelly fraction and rounded down to
    base units by :func:`workbench.risk.sizing.size_order`; exits sell everything.

    Its state (what the engine pickles after each bar) is the :class:`ModelRef`, the feature
    buffer (the last ``warmup`` bars), thresholds and the position book: a few kilobytes.
    """

    name = "ml"

    @property
    def model(self) -> FittedModel:
        """The model in use: the referenced registry version, or the params' own model."""
        ref: ModelRef | None = self.__dict__.get("model_ref")
        if ref is None:
            return self.params.resolve_model()
        return ref.load()

    def on_start(self) -> None:
        """Resolve and check the model, reset the feature buffer and the book.

        Raises:
            ConfigError: the model's features are not what this feed gives (the message
                names the missing input columns) or not ``params.features``.
            DataUnavailable / DataError / StoreError: from :meth:`MlParams.resolve_ref`.
        """
        p = self.params
        self.model_ref = p.resolve_ref()
        model = self.model
        columns = (*OHLCV, *p.extra_columns)
        self.buffer = FeatureBuffer(model.feature_spec, columns=columns)
        if tuple(self.buffer.names) != model.features:
            missing = [c for c in model.input_columns if c not in self.buffer.columns]
            label = (f"Model {self.model_ref.name!r} version {self.model_ref.version}"
                     if self.model_ref is not None else "The model")
            raise ConfigError(
                f"{label} was trained on features {list(model.features)}; this feed gives "
                f"{self.buffer.names} from columns {list(self.buffer.columns)}"
                + (f" (the model also reads {missing}: name them in extra_columns and pass "
                   "them as extras with every bar)" if missing else "")
                + ". Use a model trained on these inputs.", setting="features")
        self.entry_threshold, self.exit_threshold = p.thresholds(model)
        self.token = Token(mint=_PLACEHOLDER_MINT, symbol="BASE", decimals=p.base_decimals)
        self.cash = Decimal(p.budget_quote)
        self.position = Decimal(0)
        self.is_long = False
        self.last_proba = float("nan")

    def on_bar(self, bar: Bar, extras: Mapping[str, Any] | None = None) -> list[Decision]:
        values: dict[str, Any] = {"open": bar.open, "high": bar.high, "low": bar.low,
                                  "close": bar.close, "volume": bar.volume, **(extras or {})}
        row = self.buffer.push(bar.ts_event, values)
        model = self.model
        proba = model.predict_row(row)
        self.last_proba = proba
        entry, exit_ = signals_from_proba(np.array([proba]), self.entry_threshold,
                                          self.exit_threshold)
        if entry[0] and not self.is_long:
            fraction = float(_fractions(self.params, model, np.array([proba]))[0])
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
            if self.position * bar.close < Decimal(self.params.min_notional_quote):
                # dust a resized sell left: no order can sell it, it stays in equity
                self.is_long = False
                return []
            return [Decision(ts_event=bar.ts_event, side=Side.SELL, amount=None, reason="exit")]
        return []

    def on_fill(self, fill: Fill) -> None:
        """Book the fill; long while the position is worth at least ``min_notional_quote``."""
        if fill.side is Side.BUY:
            self.cash -= fill.quote_amount
            self.position += fill.base_amount
        else:
            self.cash += fill.quote_amount
            self.position -= fill.base_amount
        price = fill.quote_amount / fill.base_amount if fill.base_amount else Decimal(0)
        self.is_long = self.position * price >= Decimal(self.params.min_notional_quote)


#: The registry entry of the ML strategy (kind SIGNALS: ``backtest.run`` accepts it).
ML_STRATEGY: StrategySpec[MlParams] = StrategySpec(
    name="ml", kind=StrategyKind.SIGNALS, params_cls=MlParams,
    compute_signals=compute_ml_signals, event_cls=MlStrategy,
    description="gradient-boosted P(net return > 0) over market features, Kelly-sized")
register_strategy(ML_STRATEGY)

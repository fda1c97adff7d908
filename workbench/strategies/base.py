"""The strategy interface shared by research (vectorised) and the live engine (event-driven).

A strategy is written once, as three parts that share one frozen params class:

* ``compute_signals(bars, params) -> DataFrame``: the research shape (freqtrade's DataFrame in,
  DataFrame out). Fast, whole-history, used by ``workbench.backtest``.
* an :class:`EventStrategy` subclass with ``on_start`` / ``on_bar`` / ``on_fill`` / ``on_stop``:
  the live shape (Nautilus ``Strategy``). It sees one bar at a time and returns
  :class:`Decision` values for the engine to size, risk-check and execute.
* the params class, whose constructor checks every precondition and names both values.

Both shapes call the *same* numeric step functions (numba-compiled in the vectorised path, the
plain-Python original, ``fn.py_func``, in the event path). IEEE-754 arithmetic gives the same bits
in both, so the decisions are identical bar by bar; ``tests/strategies/test_parity.py`` checks it
on real SOL/USDT data.
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar, Generic, TypeVar

import numpy as np
import pandas as pd

from workbench.domain import Bar, Fill, Side
from workbench.errors import ConfigError, SchemaError

__all__ = [
    "OHLCV_COLUMNS",
    "Decision",
    "EventStrategy",
    "StrategyKind",
    "StrategySpec",
    "check_bars",
    "iter_bars",
    "require",
]

OHLCV_COLUMNS = ("open", "high", "low", "close", "volume")

P = TypeVar("P")


class StrategyKind(enum.StrEnum):
    """How the backtester simulates a strategy."""

    SIGNALS = "signals"  # long-only entry/exit signals, all-in sizing
    GRID = "grid"  # path-dependent level crossings, fixed size per level
    ARBITRAGE = "arbitrage"  # atomic two-leg trades across venues


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision:
    """What a strategy wants done on one bar; the engine sizes, checks and executes it.

    Attributes:
        ts_event: the bar's open time, UTC ns.
        side: buy or sell of the base token.
        amount: base-token amount in human units; None means "all available" (all cash on a
            buy, the whole position on a sell), the sizing of the indicator baselines.
        reason: short machine-readable cause ("entry", "exit", "grid", "out_of_range", "arb").
        legs: for atomic multi-venue trades, ``(venue, side, quote_amount)`` per leg.
    """

    ts_event: int
    side: Side
    amount: Decimal | None
    reason: str
    legs: tuple[tuple[str, Side, Decimal], ...] = ()


class EventStrategy(ABC, Generic[P]):
    """Bar-by-bar strategy for the live engine (and the event replay).

    Subclasses keep their own state; they never touch I/O. The engine calls ``on_start`` once,
    ``on_bar`` per closed bar (returning decisions), ``on_fill`` per fill of one of its
    decisions, and ``on_stop`` once (returning closing decisions, if any).
    """

    name: ClassVar[str]

    def __init__(self, params: P) -> None:
        self.params = params

    def on_start(self) -> None:
        """Reset state before the first bar."""

    @abstractmethod
    def on_bar(self, bar: Any) -> list[Decision]:
        """Decide on one closed bar."""

    def on_fill(self, fill: Fill) -> None:
        """Update state from a fill of one of this strategy's decisions."""

    def on_stop(self) -> list[Decision]:
        """Last chance to act; the default decides nothing."""
        return []


def check_bars(bars: pd.DataFrame, *, columns: tuple[str, ...] = ("close",)) -> None:
    """Validate an OHLCV frame at the package boundary.

    Raises:
        SchemaError: not a DataFrame with a UTC DatetimeIndex, a column is missing, or a price
            is NaN or not positive.
    """
    if not isinstance(bars, pd.DataFrame):
        raise SchemaError(f"bars must be a pandas DataFrame, got {type(bars).__name__}.")
    if not isinstance(bars.index, pd.DatetimeIndex) or bars.index.tz is None:
        raise SchemaError(
            f"bars need a tz-aware UTC DatetimeIndex, got {type(bars.index).__name__}; "
            "use workbench.backtest.load_ohlcv or df.set_index('date')."
        )
    missing = [c for c in columns if c not in bars.columns]
    if missing:
        raise SchemaError(f"bars lack columns {missing}; have {list(bars.columns)}.")
    for c in columns:
        values = bars[c].to_numpy(dtype=np.float64)
        bad = ~np.isfinite(values) | (values <= 0)
        if bad.any():
            i = int(np.argmax(bad))
            raise SchemaError(
                f"bars[{c!r}] has a bad price {values[i]!r} at {bars.index[i]}; clean the data "
                "(drop or forward-fill) before running a strategy."
            )


def iter_bars(
    bars: pd.DataFrame, *, symbol: str = "SOL/USDT", timeframe: str = "5m"
) -> Iterator[Bar]:
    """Yield domain ``Bar`` values from an OHLCV frame, exactly (``Decimal(repr(float))``).

    ``float(Decimal(repr(x))) == x`` for every float, so an event strategy converting back to
    float sees the very numbers the vectorised shape saw.
    """
    idx = bars.index.as_unit("ns").asi8
    cols = [bars[c].to_numpy(dtype=np.float64) for c in OHLCV_COLUMNS]
    for i in range(len(bars)):
        o, h, lo, c, v = (Decimal(repr(float(col[i]))) for col in cols)
        yield Bar(symbol=symbol, timeframe=timeframe, ts_event=int(idx[i]), open=o, high=h,
                  low=lo, close=c, volume=v)


def require(ok: bool, message: str, *, setting: str) -> None:
    """Raise ``ConfigError(message)`` unless ``ok``; the params constructors' one check."""
    if not ok:
        raise ConfigError(message, setting=setting)


@dataclass(frozen=True, slots=True, kw_only=True)
class StrategySpec(Generic[P]):
    """One registered strategy: its name, params, and both shapes.

    Attributes:
        name: registry key ("grid", "sma_cross", ...).
        kind: how the backtester simulates it.
        params_cls: the frozen params class; ``params_cls()`` gives working defaults.
        compute_signals: the vectorised shape.
        event_cls: the event shape.
        description: one line for ``workbench backtest list`` and reports.
    """

    name: str
    kind: StrategyKind
    params_cls: type[P]
    compute_signals: Callable[[pd.DataFrame, P], pd.DataFrame]
    event_cls: type[EventStrategy[P]]
    description: str

    def make_params(self, values: Mapping[str, Any] | None = None) -> P:
        """Build params from a mapping (CLI ``k=v`` strings are converted by field type).

        Raises:
            ConfigError: an unknown key (listing the known ones) or a bad value.
        """
        values = dict(values or {})
        fields = self.params_cls.__dataclass_fields__  # type: ignore[attr-defined]
        unknown = sorted(set(values) - set(fields))
        if unknown:
            raise ConfigError(
                f"Unknown parameter(s) {unknown} for strategy {self.name!r}; "
                f"known: {sorted(fields)}.",
                setting=unknown[0],
            )
        converted = {k: _convert(self.name, k, v, fields[k].type) for k, v in values.items()}
        return self.params_cls(**converted)


def _convert(strategy: str, key: str, value: Any, annotation: Any) -> Any:
    if not isinstance(value, str):
        return value
    kind = str(annotation)
    try:
        if kind == "int":
            return int(value)
        if kind == "float":
            return float(value)
        if kind == "Decimal":
            return Decimal(value)
        if kind == "bool":
            return value.lower() in ("1", "true", "yes", "on")
        if kind.startswith("tuple"):
            items = tuple(v.strip() for v in value.split(",") if v.strip())
            return tuple(float(v) for v in items) if kind.startswith("tuple[float") else items
    except (ValueError, ArithmeticError):
        raise ConfigError(
            f"Parameter {key}={value!r} of strategy {strategy!r} is not a valid {kind}.",
            setting=key,
        ) from None
    return value

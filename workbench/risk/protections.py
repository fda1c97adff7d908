"""Protections in the manner of freqtrade: pause trading after the trades went badly.

Each protection is a frozen rule; :func:`compute_pauses` applies them to the list of closed
trades and returns ``{symbol or "*": paused_until_ns}``, which the gate takes as ``paused=``.
Everything here is a pure function of trades and a timestamp, so a backtest replays the same
protections bar by bar and shows their effect.

* :class:`StoplossGuard`: N stop-outs within a lookback pause one token (``only_per_pair``)
  or all trading.
* :class:`CooldownPeriod`: no re-entry into a token for a while after closing it.
* :class:`LowProfitPairs`: a token whose recent trades summed below a profit pauses.
* :class:`MaxDrawdown`: the drawdown of the recent closed-trade equity pauses all trading.

As in freqtrade, a pause lasts until the last triggering trade's close plus ``stop_duration_s``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd

from workbench.errors import RiskError, SchemaError

__all__ = [
    "ALL",
    "ClosedTrade",
    "CooldownPeriod",
    "LowProfitPairs",
    "MaxDrawdown",
    "Protection",
    "StoplossGuard",
    "compute_pauses",
    "is_paused",
    "trades_from_frame",
]

ALL = "*"
_NS = 1_000_000_000
STOP_EXIT_REASONS = frozenset({"stop_loss", "trailing_stop", "stoploss", "trailing_stop_loss"})


@dataclass(frozen=True, slots=True, kw_only=True)
class ClosedTrade:
    """A round trip as the protections see it.

    Attributes:
        symbol: token (or pair) symbol the pause applies to.
        closed_ns: when it closed, ns.
        profit_ratio: return of the trade (0.02 = +2%), net of fees.
        profit_usd: profit in USD, net of fees.
        exit_reason: e.g. ``stop_loss``, ``trailing_stop``, ``take_profit``, ``signal``.
    """

    symbol: str
    closed_ns: int
    profit_ratio: Decimal
    profit_usd: Decimal = Decimal(0)
    exit_reason: str = ""


def _check_window(name: str, *values: float) -> None:
    for value in values:
        if not value > 0:
            raise RiskError(f"{name}: durations must be > 0 seconds, got {value!r}.")


@dataclass(frozen=True, slots=True, kw_only=True)
class StoplossGuard:
    """Pause after ``trade_limit`` stop-outs within ``lookback_s``.

    Attributes:
        lookback_s / trade_limit / stop_duration_s: window, count, pause length.
        only_per_pair: pause only the token that stopped out (else all trading).
        required_profit: only stop-outs with profit_ratio below this count.
    """

    lookback_s: float
    trade_limit: int
    stop_duration_s: float
    only_per_pair: bool = False
    required_profit: Decimal = Decimal(0)

    def __post_init__(self) -> None:
        _check_window("StoplossGuard", self.lookback_s, self.stop_duration_s)
        if self.trade_limit < 1:
            raise RiskError(f"StoplossGuard trade_limit={self.trade_limit} must be >= 1.")

    def pauses(self, trades: Sequence[ClosedTrade], now_ns: int,
               starting_equity: Decimal | None = None) -> dict[str, int]:
        """Pauses this rule sets at ``now_ns``."""
        start = now_ns - int(self.lookback_s * _NS)
        stops = [t for t in trades if start <= t.closed_ns <= now_ns
                 and t.exit_reason in STOP_EXIT_REASONS and t.profit_ratio < self.required_profit]
        out: dict[str, int] = {}
        if self.only_per_pair:
            by_symbol: dict[str, list[ClosedTrade]] = {}
            for t in stops:
                by_symbol.setdefault(t.symbol, []).append(t)
            for symbol, group in by_symbol.items():
                if len(group) >= self.trade_limit:
                    out[symbol] = max(t.closed_ns for t in group) + int(self.stop_duration_s * _NS)
        elif len(stops) >= self.trade_limit:
            out[ALL] = max(t.closed_ns for t in stops) + int(self.stop_duration_s * _NS)
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class CooldownPeriod:
    """No new entry into a token for ``stop_duration_s`` after a trade on it closed."""

    stop_duration_s: float

    def __post_init__(self) -> None:
        _check_window("CooldownPeriod", self.stop_duration_s)

    def pauses(self, trades: Sequence[ClosedTrade], now_ns: int,
               starting_equity: Decimal | None = None) -> dict[str, int]:
        """Pauses this rule sets at ``now_ns``."""
        out: dict[str, int] = {}
        for t in trades:
            if t.closed_ns <= now_ns:
                until = t.closed_ns + int(self.stop_duration_s * _NS)
                out[t.symbol] = max(out.get(t.symbol, 0), until)
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class LowProfitPairs:
    """Pause a token whose trades in ``lookback_s`` (at least ``trade_limit``) summed a
    profit ratio below ``required_profit``."""

    lookback_s: float
    trade_limit: int
    stop_duration_s: float
    required_profit: Decimal = Decimal(0)

    def __post_init__(self) -> None:
        _check_window("LowProfitPairs", self.lookback_s, self.stop_duration_s)
        if self.trade_limit < 1:
            raise RiskError(f"LowProfitPairs trade_limit={self.trade_limit} must be >= 1.")

    def pauses(self, trades: Sequence[ClosedTrade], now_ns: int,
               starting_equity: Decimal | None = None) -> dict[str, int]:
        """Pauses this rule sets at ``now_ns``."""
        start = now_ns - int(self.lookback_s * _NS)
        by_symbol: dict[str, list[ClosedTrade]] = {}
        for t in trades:
            if start <= t.closed_ns <= now_ns:
                by_symbol.setdefault(t.symbol, []).append(t)
        out: dict[str, int] = {}
        for symbol, group in by_symbol.items():
            if len(group) >= self.trade_limit and sum(
                (t.profit_ratio for t in group), Decimal(0)
            ) < self.required_profit:
                out[symbol] = max(t.closed_ns for t in group) + int(self.stop_duration_s * _NS)
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class MaxDrawdown:
    """Pause all trading when closed trades in ``lookback_s`` drew equity down more than
    ``max_allowed_drawdown`` (a ratio, 0.2 = 20%) from its peak in that window."""

    lookback_s: float
    trade_limit: int
    stop_duration_s: float
    max_allowed_drawdown: Decimal

    def __post_init__(self) -> None:
        _check_window("MaxDrawdown", self.lookback_s, self.stop_duration_s)
        if not Decimal(0) < self.max_allowed_drawdown < 1:
            raise RiskError(f"MaxDrawdown max_allowed_drawdown={self.max_allowed_drawdown} must "
                            "be a ratio in (0, 1).")

    def pauses(self, trades: Sequence[ClosedTrade], now_ns: int,
               starting_equity: Decimal | None = None) -> dict[str, int]:
        """Pauses this rule sets at ``now_ns``.

        Raises:
            RiskError: no ``starting_equity`` (the drawdown needs a base).
        """
        if starting_equity is None or not starting_equity > 0:
            raise RiskError(f"MaxDrawdown needs starting_equity > 0, got {starting_equity!r}.")
        start = now_ns - int(self.lookback_s * _NS)
        window = sorted((t for t in trades if start <= t.closed_ns <= now_ns),
                        key=lambda t: t.closed_ns)
        if len(window) < self.trade_limit:
            return {}
        equity = peak = starting_equity
        worst = Decimal(0)
        for t in window:
            equity += t.profit_usd
            peak = max(peak, equity)
            worst = max(worst, (peak - equity) / peak if peak > 0 else Decimal(1))
        if worst > self.max_allowed_drawdown:
            return {ALL: window[-1].closed_ns + int(self.stop_duration_s * _NS)}
        return {}


Protection = StoplossGuard | CooldownPeriod | LowProfitPairs | MaxDrawdown


def compute_pauses(
    trades: Sequence[ClosedTrade],
    now_ns: int,
    protections: Iterable[Protection],
    *,
    starting_equity: Decimal | None = None,
) -> dict[str, int]:
    """All pauses in force at ``now_ns``: ``{symbol or "*": paused_until_ns}``.

    Only trades closed at or before ``now_ns`` count, so a backtest can pass its whole trade
    list and replay time without looking ahead.
    """
    out: dict[str, int] = {}
    for protection in protections:
        for key, until in protection.pauses(trades, now_ns, starting_equity).items():
            if until > now_ns:
                out[key] = max(out.get(key, 0), until)
    return out


def is_paused(pauses: Mapping[str, int], symbol: str, now_ns: int) -> bool:
    """True when ``symbol`` (or all trading) is paused at ``now_ns``."""
    return max(pauses.get(symbol, 0), pauses.get(ALL, 0)) > now_ns


_TRADE_COLUMNS = ("symbol", "exit_ts", "profit_ratio")


def trades_from_frame(trades: pd.DataFrame) -> list[ClosedTrade]:
    """Convert a backtest trades frame to ``ClosedTrade`` records.

    Args:
        trades: columns ``symbol`` (str), ``exit_ts`` (tz-aware datetime or int ns),
            ``profit_ratio`` (float), optional ``profit_usd`` (float or Decimal) and
            ``exit_reason`` (str).

    Raises:
        SchemaError: a required column is missing.
    """
    missing = [c for c in _TRADE_COLUMNS if c not in trades.columns]
    if missing:
        raise SchemaError(f"trades frame lacks columns {missing}; has {list(trades.columns)}.",
                          source="trades_from_frame")
    exit_ts = trades["exit_ts"]
    if pd.api.types.is_datetime64_any_dtype(exit_ts):
        # as_unit: a frame may hold s/ms/us resolution; int64 of it would not be ns.
        closed = pd.to_datetime(exit_ts, utc=True).dt.as_unit("ns").astype("int64").tolist()
    else:
        closed = [int(x) for x in exit_ts]
    profit_usd = trades["profit_usd"] if "profit_usd" in trades.columns else [0] * len(trades)
    reasons = trades["exit_reason"] if "exit_reason" in trades.columns else [""] * len(trades)
    return [
        ClosedTrade(symbol=str(sym), closed_ns=ts, profit_ratio=Decimal(str(ratio)),
                    profit_usd=Decimal(str(usd)), exit_reason=str(reason))
        for sym, ts, ratio, usd, reason in zip(
            trades["symbol"], closed, trades["profit_ratio"], profit_usd, reasons, strict=True)
    ]

"""Pre-trade risk: one gate for every order, sizing, stops, protections, circuit breaker.

Everything here is pure (no clock, no I/O) except :class:`CircuitBreaker`, which holds state
between calls and reads an injected clock. The backtester and the live engine call the same
functions, so a backtest shows what the limits would have done.

Example:
    >>> from workbench.risk import RiskGate, PortfolioSnapshot, limits_from_settings
    >>> gate = RiskGate(limits=limits_from_settings(settings.risk))
    >>> decision = gate.check(order, snapshot, marks={"SOL": Decimal("150")})
    >>> decision.action, decision.rule, decision.detail
"""

from workbench.risk.breaker import (
    BREAKER_TRIP_DESC,
    BreakerConfig,
    BreakerState,
    CircuitBreaker,
    KillResult,
    TradingState,
    TripReason,
    flatten_orders,
    price_jump_pct,
)
from workbench.risk.decision import REJECT_REASON_DESC, Action, Decision, RejectReason
from workbench.risk.diversification import (
    cap_group_weights,
    correlation_groups,
    group_exposures,
)
from workbench.risk.events import decision_event
from workbench.risk.gate import (
    PortfolioSnapshot,
    PortfolioView,
    RiskGate,
    check_order,
    orders_in_window,
)
from workbench.risk.limits import RiskLimits, change_limit, limits_from_settings
from workbench.risk.protections import (
    ClosedTrade,
    CooldownPeriod,
    LowProfitPairs,
    MaxDrawdown,
    StoplossGuard,
    compute_pauses,
    is_paused,
    trades_from_frame,
)
from workbench.risk.sizing import (
    SizedOrder,
    capped_kelly,
    fixed_fractional,
    kelly_fraction,
    realised_volatility,
    size_order,
    volatility_target,
)
from workbench.risk.stops import (
    EXIT_REASON_DESC,
    ExitReason,
    StopExit,
    StopPosition,
    StopRule,
    evaluate_stops,
)

__all__ = [
    "BREAKER_TRIP_DESC",
    "EXIT_REASON_DESC",
    "REJECT_REASON_DESC",
    "Action",
    "BreakerConfig",
    "BreakerState",
    "CircuitBreaker",
    "ClosedTrade",
    "CooldownPeriod",
    "Decision",
    "ExitReason",
    "KillResult",
    "LowProfitPairs",
    "MaxDrawdown",
    "PortfolioSnapshot",
    "PortfolioView",
    "RejectReason",
    "RiskGate",
    "RiskLimits",
    "SizedOrder",
    "StopExit",
    "StopPosition",
    "StopRule",
    "StoplossGuard",
    "TradingState",
    "TripReason",
    "cap_group_weights",
    "capped_kelly",
    "change_limit",
    "check_order",
    "compute_pauses",
    "correlation_groups",
    "decision_event",
    "evaluate_stops",
    "fixed_fractional",
    "flatten_orders",
    "group_exposures",
    "is_paused",
    "kelly_fraction",
    "limits_from_settings",
    "orders_in_window",
    "price_jump_pct",
    "realised_volatility",
    "size_order",
    "trades_from_frame",
    "volatility_target",
]

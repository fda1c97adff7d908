"""Risk limits as a frozen value, built from ``RiskSettings`` and changed at run time.

A change never mutates: :func:`change_limit` returns a new ``RiskLimits`` and an audit record
``{actor, field, old, new}`` that the engine stores (``workbench.store.ledger.audit``), so
every change of a limit can be traced to who made it.

Money limits are ``Decimal`` in USD; percentages are ``Decimal`` so they compare exactly with
money (``Decimal("60")`` percent, not ``0.6``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any

from workbench.config import RiskSettings
from workbench.errors import ConfigError

__all__ = ["RiskLimits", "change_limit", "limits_from_settings"]

_EMPTY: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True, slots=True, kw_only=True)
class RiskLimits:
    """Every limit the gate enforces. Build with :func:`limits_from_settings`.

    Attributes:
        max_order_notional / min_order_notional: per-order notional bounds, USD.
        max_position_notional: largest value held in one token, USD.
        max_gross_exposure: largest total value held across non-cash tokens, USD.
        max_concentration_pct: largest share of equity in one token, percent.
        max_group_concentration_pct: largest share of equity in one correlated group, percent.
        max_open_positions: most non-cash tokens held at once.
        max_daily_loss: positive USD; new exposure stops once day PnL <= -this.
        max_drawdown_pct: new exposure stops once equity is this far below its peak.
        max_orders_per_minute: orders accepted in any sliding 60 s window.
        max_slippage_bps: the most slippage an order may tolerate.
        max_price_deviation_pct: how far an order's price may be from the mark.
        max_depth_fraction: an order's notional may be at most this fraction of the liquidity
            available within ``depth_impact_bps`` of price impact (depth is an input number).
        depth_impact_bps: the price impact the caller measured depth within (informational).
        require_depth: reject orders when no depth number is given.
        allowed_mints: when non-empty, only these base58 mints may be bought.
        denied_mints: these mints may never be bought (selling them is allowed, to get out).
        cash_tokens: symbols counted as cash, not exposure.
        groups: token symbol -> group name for correlation-aware caps (see ``diversification``).
    """

    max_order_notional: Decimal = Decimal("1000")
    min_order_notional: Decimal = Decimal("1")
    max_position_notional: Decimal = Decimal("5000")
    max_gross_exposure: Decimal = Decimal("10000")
    max_concentration_pct: Decimal = Decimal("60")
    max_group_concentration_pct: Decimal = Decimal("80")
    max_open_positions: int = 10
    max_daily_loss: Decimal = Decimal("500")
    max_drawdown_pct: Decimal = Decimal("20")
    max_orders_per_minute: int = 60
    max_slippage_bps: int = 100
    max_price_deviation_pct: Decimal = Decimal("5")
    max_depth_fraction: Decimal = Decimal("0.1")
    depth_impact_bps: int = 100
    require_depth: bool = False
    allowed_mints: frozenset[str] = frozenset()
    denied_mints: frozenset[str] = frozenset()
    cash_tokens: frozenset[str] = frozenset({"USDC", "USDT"})
    groups: Mapping[str, str] = field(default_factory=lambda: _EMPTY)

    def __post_init__(self) -> None:
        for name in _DECIMAL_FIELDS:
            value = getattr(self, name)
            if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
                raise ConfigError(
                    f"Risk limit {name}={value!r} must be a finite non-negative Decimal.",
                    setting=f"risk.{name}",
                )
        for name in _PCT_FIELDS:
            value = getattr(self, name)
            if not 0 < value <= 100:
                raise ConfigError(
                    f"Risk limit {name}={value} must be a percentage in (0, 100].",
                    setting=f"risk.{name}",
                )
        for name in ("max_open_positions", "max_orders_per_minute"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(
                    f"Risk limit {name}={value!r} must be an integer >= 1.", setting=f"risk.{name}"
                )
        for name in ("max_slippage_bps", "depth_impact_bps"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 10_000:
                raise ConfigError(
                    f"Risk limit {name}={value!r} must be an integer in 0..10000.",
                    setting=f"risk.{name}",
                )
        if not 0 < self.max_depth_fraction <= 1:
            raise ConfigError(
                f"Risk limit max_depth_fraction={self.max_depth_fraction} must be in (0, 1].",
                setting="risk.max_depth_fraction",
            )
        if self.min_order_notional > self.max_order_notional:
            raise ConfigError(
                f"Risk limit min_order_notional={self.min_order_notional} is above "
                f"max_order_notional={self.max_order_notional}; lower the minimum.",
                setting="risk.min_order_notional",
            )
        overlap = self.allowed_mints & self.denied_mints
        if overlap:
            raise ConfigError(
                f"Mints {sorted(overlap)} are both allowed and denied; remove them from one list.",
                setting="risk.denied_mints",
            )
        if not isinstance(self.groups, MappingProxyType):
            object.__setattr__(self, "groups", MappingProxyType(dict(self.groups)))

    def as_dict(self) -> dict[str, Any]:
        """Every limit as plain values (sets sorted), for display and audit."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, frozenset):
                value = sorted(value)
            elif isinstance(value, Mapping):
                value = dict(value)
            out[f.name] = value
        return out


_DECIMAL_FIELDS = (
    "max_order_notional",
    "min_order_notional",
    "max_position_notional",
    "max_gross_exposure",
    "max_concentration_pct",
    "max_group_concentration_pct",
    "max_daily_loss",
    "max_drawdown_pct",
    "max_price_deviation_pct",
    "max_depth_fraction",
)
_PCT_FIELDS = (
    "max_concentration_pct",
    "max_group_concentration_pct",
    "max_drawdown_pct",
    "max_price_deviation_pct",
)


def _pct(value: float) -> Decimal:
    # str() first: Decimal(60.1) would carry the float's binary noise into exact comparisons.
    return Decimal(str(value))


def limits_from_settings(settings: RiskSettings, **overrides: Any) -> RiskLimits:
    """Build limits from the configured ``RiskSettings``; ``overrides`` set the extra fields.

    Fields ``RiskSettings`` does not have yet (group concentration, price deviation, depth)
    keep their ``RiskLimits`` defaults unless given in ``overrides``.

    Raises:
        ConfigError: an override names an unknown limit or has an invalid value.
    """
    values: dict[str, Any] = {
        "max_order_notional": settings.max_order_notional,
        "min_order_notional": settings.min_order_notional,
        "max_position_notional": settings.max_position_notional,
        "max_gross_exposure": settings.max_gross_exposure,
        "max_concentration_pct": _pct(settings.max_concentration_pct),
        "max_open_positions": settings.max_open_positions,
        "max_daily_loss": settings.max_daily_loss,
        "max_drawdown_pct": _pct(settings.max_drawdown_pct),
        "max_orders_per_minute": settings.max_orders_per_minute,
        "max_slippage_bps": settings.max_slippage_bps,
        "allowed_mints": frozenset(settings.allowed_mints),
        "denied_mints": frozenset(settings.denied_mints),
    }
    for name in ("max_group_concentration_pct", "max_price_deviation_pct", "max_depth_fraction",
                 "depth_impact_bps", "require_depth", "cash_tokens"):
        extra = getattr(settings, name, None)
        if extra is not None:
            values[name] = _parse(name, extra)
    for name, value in overrides.items():
        values[name] = _parse(name, value)
    return RiskLimits(**values)


_FIELD_TYPES: dict[str, str] = {f.name: str(f.type) for f in dataclasses.fields(RiskLimits)}


def _parse(name: str, value: Any) -> Any:
    """Coerce ``value`` (often a string from the CLI or control plane) to the field's type."""
    kind = _FIELD_TYPES.get(name)
    if kind is None:
        known = ", ".join(sorted(_FIELD_TYPES))
        raise ConfigError(
            f"Unknown risk limit {name!r}; known limits are {known}.", setting=f"risk.{name}"
        )
    try:
        if kind == "Decimal":
            if isinstance(value, float):
                value = str(value)
            return Decimal(value)
        if kind == "int":
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError(value)
            return int(value)
        if kind == "bool":
            if isinstance(value, str):
                lowered = value.strip().lower()
                if lowered not in {"true", "false", "1", "0", "yes", "no"}:
                    raise ValueError(value)
                return lowered in {"true", "1", "yes"}
            return bool(value)
        if kind == "frozenset[str]":
            return frozenset(_split(value))
        if kind == "Mapping[str, str]":
            if isinstance(value, str):
                pairs = (item.split("=", 1) for item in _split(value))
                return {k.strip(): v.strip() for k, v in pairs}
            return dict(value)
    except (InvalidOperation, TypeError, ValueError):
        raise ConfigError(
            f"Risk limit {name}={value!r} is not a valid {kind}.", setting=f"risk.{name}"
        ) from None
    raise ConfigError(f"Risk limit {name!r} cannot be set from {value!r}.")  # pragma: no cover


def _split(value: str | Iterable[str]) -> list[str]:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return [str(v) for v in value]


def change_limit(
    limits: RiskLimits, field_name: str, value: Any, *, actor: str
) -> tuple[RiskLimits, dict[str, str]]:
    """Return new limits with one field changed, and the audit record of the change.

    Args:
        limits: the current limits (unchanged).
        field_name: a ``RiskLimits`` field, e.g. ``"max_order_notional"``.
        value: the new value; strings are parsed (``"250"``, ``"mintA,mintB"``, ``"true"``).
        actor: who asked (user name, ``"control-plane"``), stored with the change.

    Returns:
        ``(new_limits, {"actor", "field", "old", "new"})`` with old/new rendered as strings.

    Raises:
        ConfigError: unknown field, unparsable value, or the new limits are inconsistent.

    Example:
        >>> new, record = change_limit(RiskLimits(), "max_order_notional", "250", actor="ana")
        >>> record["old"], record["new"]
        ('1000', '250')
    """
    if not actor:
        raise ConfigError("A limit change needs an actor (who made it) for the audit log.")
    parsed = _parse(field_name, value)
    new = dataclasses.replace(limits, **{field_name: parsed})
    old_value = limits.as_dict()[field_name]
    new_value = new.as_dict()[field_name]
    record = {"actor": actor, "field": field_name, "old": _render(old_value),
              "new": _render(new_value)}
    return new, record


def _render(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    if isinstance(value, dict):
        return ",".join(f"{k}={v}" for k, v in sorted(value.items()))
    return str(value)

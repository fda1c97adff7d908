"""Sizing models, limit construction and audited changes, diversification, risk events."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

import workbench.portfolio
import workbench.risk
from workbench.config import RiskSettings
from workbench.domain import SOL
from workbench.errors import ConfigError, RiskError, SchemaError
from workbench.risk import (
    Action,
    Decision,
    RejectReason,
    RiskLimits,
    cap_group_weights,
    capped_kelly,
    change_limit,
    correlation_groups,
    decision_event,
    fixed_fractional,
    group_exposures,
    kelly_fraction,
    limits_from_settings,
    realised_volatility,
    size_order,
    volatility_target,
)

from .conftest import BONK, make_order

D = Decimal


def test_fixed_fractional_docstring_example() -> None:
    """Risk 1% of $10,000 with a stop $7.50 away: 13.33 SOL, rounded down to 9 decimals."""
    amount = fixed_fractional(D(10_000), D("0.01"), D(150), stop_price=D("142.50"))
    sized = size_order(amount, D(150), SOL)
    assert sized.amount == D("13.333333333") and sized.amount_raw == 13_333_333_333
    assert fixed_fractional(D(10_000), 0.1, D(100)) == D(10)
    with pytest.raises(RiskError, match="stop_price=150 must be below price=150"):
        fixed_fractional(D(1), D("0.1"), D(150), stop_price=D(150))
    with pytest.raises(RiskError, match="fraction=2 must be at most 1"):
        fixed_fractional(D(1), D(2), D(150))


def test_volatility_target_caps_leverage() -> None:
    """Target 20% vol on an 80% vol asset holds a quarter of equity; leverage caps at 1."""
    assert volatility_target(D(1000), D(10), target_vol=0.2, asset_vol=0.8) == D(25)
    assert volatility_target(D(1000), D(10), target_vol=0.5, asset_vol=0.1) == D(100)
    with pytest.raises(RiskError, match="asset_vol=0 must be > 0"):
        volatility_target(D(1000), D(10), target_vol=0.2, asset_vol=0)
    with pytest.raises(RiskError, match="target_vol=nan must be finite"):
        volatility_target(D(1000), D(10), target_vol=float("nan"), asset_vol=0.5)


def test_kelly_is_scaled_capped_and_never_negative() -> None:
    """p=0.6, b=1: full Kelly 0.2, half 0.1; a big edge hits the cap; no edge gives 0."""
    assert kelly_fraction(D("0.6"), D(1)) == D("0.10")
    assert kelly_fraction(D("0.9"), D(5), multiplier=1) == D("0.25")
    assert kelly_fraction(D("0.3"), D(1)) == 0
    assert capped_kelly(D(1000), D(10), win_rate=D("0.6"), win_loss_ratio=D(1)) == D(10)
    with pytest.raises(RiskError, match=r"win_rate=1\.5 must be a probability"):
        kelly_fraction(D("1.5"), D(1))


def test_size_order_bounds_depth_and_minimum() -> None:
    """Max notional, max amount and depth cap the size; below the minimum nothing trades."""
    assert size_order(D(10), D(150), SOL, max_notional=D(300)).capped_by == "max_notional"
    assert size_order(D(10), D(150), SOL, max_amount=D(1)).amount == D(1)
    depth = size_order(D(10), D(150), SOL, depth_usd=D(3000))
    assert (depth.amount, depth.capped_by, depth.notional) == (D(2), "depth", D(300))
    tiny = size_order(D("0.001"), D(150), SOL, min_notional=D(1))
    assert not tiny.is_tradeable and tiny.amount == 0
    bonk = size_order(D("12.3456789"), D("0.00002"), BONK)
    assert bonk.amount == D("12.34567") and bonk.amount_raw == 1_234_567
    with pytest.raises(RiskError, match="amount=-1 must be >= 0"):
        size_order(D(-1), D(1), SOL)


def test_realised_volatility() -> None:
    """Annualised stdev of log returns; too few or bad prices are refused."""
    close = pd.Series([100.0, 110.0, 99.0, 108.9])
    expected = float(np.diff(np.log(close.to_numpy())).std(ddof=1) * np.sqrt(365))
    assert realised_volatility(close, periods_per_year=365) == pytest.approx(expected)
    with pytest.raises(RiskError, match="at least 3 prices, got 2"):
        realised_volatility(close[:2], periods_per_year=365)


def test_limits_from_settings_and_overrides() -> None:
    """Settings map onto limits (percent floats become exact Decimals); overrides add more."""
    limits = limits_from_settings(RiskSettings(max_concentration_pct=33.3,
                                               denied_mints=("abc",)),
                                  max_depth_fraction="0.05", groups="SOL=majors,JUP=majors")
    assert limits.max_concentration_pct == D("33.3")
    assert limits.denied_mints == frozenset({"abc"})
    assert limits.max_depth_fraction == D("0.05")
    assert dict(limits.groups) == {"SOL": "majors", "JUP": "majors"}
    with pytest.raises(ConfigError, match="Unknown risk limit 'max_leverage'; known limits are"):
        limits_from_settings(RiskSettings(), max_leverage=2)


def test_change_limit_returns_new_limits_and_audit() -> None:
    """A change is a new object plus {actor, field, old, new}; the old limits are untouched."""
    old = RiskLimits()
    new, record = change_limit(old, "max_order_notional", "250", actor="ana")
    assert new.max_order_notional == D(250) and old.max_order_notional == D(1000)
    assert record == {"actor": "ana", "field": "max_order_notional", "old": "1000",
                      "new": "250"}
    _, record = change_limit(old, "denied_mints", "m2,m1", actor="ops")
    assert record["new"] == "m1,m2"
    _, record = change_limit(old, "require_depth", "yes", actor="ops")
    assert (record["old"], record["new"]) == ("False", "True")


@pytest.mark.parametrize(("field", "value", "message"), [
    ("max_order_notional", "abc", r"max_order_notional='abc' is not a valid Decimal"),
    ("max_order_notional", "-5", r"max_order_notional=Decimal\('-5'\) must be a finite"),
    ("min_order_notional", "5000", r"min_order_notional=5000 is above max_order_notional=1000"),
    ("max_concentration_pct", "150", r"max_concentration_pct=150 must be a percentage"),
    ("max_open_positions", "0", r"max_open_positions=0 must be an integer >= 1"),
    ("max_open_positions", 1.5, r"max_open_positions=1.5 is not a valid int"),
    ("require_depth", "maybe", r"require_depth='maybe' is not a valid bool"),
    ("max_depth_fraction", "2", r"max_depth_fraction=2 must be in \(0, 1\]"),
])
def test_change_limit_rejects_bad_values(field: str, value: object, message: str) -> None:
    """Bad values raise ConfigError naming the limit, the value and the rule."""
    with pytest.raises(ConfigError, match=message) as info:
        change_limit(RiskLimits(), field, value, actor="ana")
    assert info.value.setting == f"risk.{field}"


def test_change_limit_needs_actor_and_consistent_lists() -> None:
    """No anonymous changes; a mint cannot be both allowed and denied."""
    with pytest.raises(ConfigError, match="needs an actor"):
        change_limit(RiskLimits(), "max_order_notional", "1", actor="")
    limits = RiskLimits(allowed_mints=frozenset({"m"}))
    with pytest.raises(ConfigError, match=r"Mints \['m'\] are both allowed and denied"):
        change_limit(limits, "denied_mints", "m", actor="a")


def test_correlation_groups_link_correlated_tokens() -> None:
    """Strongly correlated columns form one group; an independent one stays alone."""
    rng = np.random.default_rng(7)
    common = rng.normal(size=300)
    returns = pd.DataFrame({
        "SOL": common + rng.normal(scale=0.1, size=300),
        "JITOSOL": common + rng.normal(scale=0.1, size=300),
        "BONK": rng.normal(size=300),
    })
    groups = correlation_groups(returns, threshold=0.8)
    assert groups == {"SOL": "JITOSOL+SOL", "JITOSOL": "JITOSOL+SOL"}
    with pytest.raises(RiskError, match=r"threshold=1.5 must be in \(0, 1\]"):
        correlation_groups(returns, threshold=1.5)
    with pytest.raises(SchemaError, match="returns must be numeric columns"):
        correlation_groups(returns.assign(X="a"))


def test_group_caps() -> None:
    """Group exposure sums members; capping scales members together and keeps the rest."""
    groups = {"SOL": "g", "JITOSOL": "g"}
    assert group_exposures({"SOL": D(3), "JITOSOL": D(2), "BONK": D(1)}, groups) == {
        "g": D(5), "BONK": D(1)}
    capped = cap_group_weights({"SOL": D("0.4"), "JITOSOL": D("0.2"), "BONK": D("0.3")}, groups,
                               max_group_weight=D("0.3"))
    assert capped == {"SOL": D("0.2"), "JITOSOL": D("0.1"), "BONK": D("0.3")}


def test_decision_event_records() -> None:
    """Rejections and resizes become risk-event dicts; plain accepts make none."""
    order = make_order()
    assert decision_event(Decision(action=Action.ACCEPT, order=order)) is None
    event = decision_event(Decision(action=Action.REJECT, order=order,
                                    rule=RejectReason.DRAWDOWN, detail="dd 25%"))
    assert event == {"ts": order.ts_init, "kind": "order_rejected", "rule": "drawdown",
                     "detail": "dd 25%", "client_order_id": "t-1", "strategy": "test"}
    resized = decision_event(Decision(action=Action.RESIZE, order=order,
                                      rule=RejectReason.MAX_NOTIONAL, detail="x"), ts=5)
    assert resized is not None and (resized["kind"], resized["ts"]) == ("order_resized", 5)


@pytest.mark.parametrize("module", [workbench.risk, workbench.portfolio])
def test_all_is_exactly_the_public_names(module) -> None:  # type: ignore[no-untyped-def]
    """__all__ is sorted-unique and lists every public name the package defines."""
    public = {n for n in vars(module) if not n.startswith("_")}
    submodules = {n for n in public if type(vars(module)[n]).__name__ == "module"}
    assert set(module.__all__) == public - submodules
    assert len(module.__all__) == len(set(module.__all__))

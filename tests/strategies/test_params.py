"""Params constructors reject bad values naming both; the registry covers every strategy."""

import dataclasses
from decimal import Decimal

import pytest

from workbench.errors import ConfigError
from workbench.strategies import (
    STRATEGIES,
    ArbitrageParams,
    BollingerParams,
    GridParams,
    RsiParams,
    SmaCrossParams,
    get_strategy,
)


def test_sma_slow_must_exceed_fast():
    with pytest.raises(ConfigError, match=r"slow=10 must be greater than fast=20") as ei:
        SmaCrossParams(fast=20, slow=10)
    assert ei.value.setting == "slow"


def test_grid_upper_above_lower():
    with pytest.raises(ConfigError, match=r"upper=90.0 must be greater than lower=100.0"):
        GridParams(lower=100.0, upper=90.0)


def test_grid_unknown_mode():
    with pytest.raises(ConfigError, match=r"out_of_range='stop' must be one of"):
        GridParams(out_of_range="stop")


def test_rsi_band_order():
    with pytest.raises(ConfigError, match=r"oversold=70.0 < overbought=30.0"):
        RsiParams(oversold=70.0, overbought=30.0)


def test_bollinger_and_arbitrage_checks():
    with pytest.raises(ConfigError, match=r"k=0.0 must be > 0"):
        BollingerParams(k=0.0)
    with pytest.raises(ConfigError, match=r"fee_bps=\(25.0,\) must have one entry per venue"):
        ArbitrageParams(venues=("a", "b"), fee_bps=(25.0,))


def test_params_are_frozen():
    p = SmaCrossParams()
    with pytest.raises(AttributeError):
        p.fast = 3  # type: ignore[misc]


def test_registry_names_and_make_params_from_strings():
    assert {"grid", "sma_cross", "rsi", "bollinger", "arbitrage"} <= set(STRATEGIES)
    p = get_strategy("grid").make_params({"lower": "95", "upper": "105", "n_levels": "6",
                                          "size_per_level": "0.25"})
    assert p == GridParams(lower=95.0, upper=105.0, n_levels=6, size_per_level=Decimal("0.25"))
    a = get_strategy("arbitrage").make_params({"venues": "x,y,z", "fee_bps": "1,2,3"})
    assert a.venues == ("x", "y", "z")
    assert a.fee_bps == (1.0, 2.0, 3.0)


def test_unknown_strategy_and_param():
    with pytest.raises(ConfigError, match=r"Unknown strategy 'nope'; known strategies: arbitrage"):
        get_strategy("nope")
    with pytest.raises(ConfigError, match=r"Unknown parameter\(s\) \['fats'\]"):
        get_strategy("sma_cross").make_params({"fats": "3"})
    with pytest.raises(ConfigError, match=r"fast='x' of strategy 'sma_cross' is not a valid int"):
        get_strategy("sma_cross").make_params({"fast": "x"})


def test_register_strategy_adds_once_and_refuses_a_clash():
    """Outside packages add strategies by name; the ML one is found once workbench.ai loads."""
    import workbench.ai
    from workbench.strategies import register_strategy

    assert get_strategy("ml") is workbench.ai.ML_STRATEGY
    register_strategy(workbench.ai.ML_STRATEGY)  # the same spec again is harmless
    clash = dataclasses.replace(workbench.ai.ML_STRATEGY, description="another")
    with pytest.raises(ConfigError, match="'ml' is already registered"):
        register_strategy(clash)

import pandas as pd
import pytest

from workbench.ai import FeatureSpec, ModelParams, train_model
from workbench.samples import load_sample

#: small, fast model settings for tests
FAST = ModelParams(max_iter=30, min_samples_leaf=50, horizon=6)


@pytest.fixture(scope="session")
def fast() -> ModelParams:
    """Small, fast model settings."""
    return FAST


@pytest.fixture(scope="session")
def sol() -> pd.DataFrame:
    """Real SOL/USDT 5m bars (Binance 2024, data/sample/PROVENANCE.md): 6,000 bars."""
    return load_sample("SOL/USDT", "5m").iloc[20_000:26_000]


@pytest.fixture(scope="session")
def model(sol):
    """A small model trained on the first 4,000 bars."""
    return train_model(sol.iloc[:4000], FAST, FeatureSpec())


@pytest.fixture
def with_extras(sol) -> pd.DataFrame:
    """Real bars plus every optional feature column, derived deterministically from them."""
    bars = sol.iloc[:600].copy()
    close = bars["close"]
    bars["a_price"] = close
    bars["b_price"] = close.shift(1).bfill()
    bars["a_depth"] = 2_000_000.0
    bars["b_depth"] = 500_000.0 + bars["volume"]
    bars["spread_bps"] = 1.0 + (bars["high"] - bars["low"]) / close * 1e3
    bars["depth_quote"] = 1_000_000.0 + bars["volume"] * 10
    bars["buy_volume_quote"] = bars["volume"].where(close >= bars["open"], 0.0) * close
    bars["sell_volume_quote"] = bars["volume"].where(close < bars["open"], 0.0) * close
    bars["swap_count"] = (bars["volume"] // 100).astype(float)
    return bars

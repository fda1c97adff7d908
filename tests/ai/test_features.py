"""Features: no lookahead for every feature, and the live buffer equals the research shape."""

import numpy as np
import pandas as pd
import pytest

from workbench.ai import FeatureBuffer, FeatureSpec, aggregate_swap_flow, compute_features
from workbench.ai.features import feature_names
from workbench.errors import ConfigError, SchemaError


def _same(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a == b) | (np.isnan(a) & np.isnan(b))


@pytest.mark.parametrize("frame", ["sol", "with_extras"])
def test_removing_future_bars_changes_no_past_feature(frame, request):
    """Every feature at bar t is identical when the bars after t are removed."""
    bars = request.getfixturevalue(frame).iloc[:600]
    full = compute_features(bars)
    assert full.shape[1] >= 12
    for cut in (60, 61, 97, 250, 599):
        part = compute_features(bars.iloc[:cut])
        assert list(part.columns) == list(full.columns)
        for c in full.columns:
            ok = _same(full[c].to_numpy()[:cut], part[c].to_numpy())
            assert ok.all(), f"{c} changed at bar {int(np.argmin(ok))} after cutting at {cut}"


def test_leaky_feature_would_be_caught(sol):
    """The comparison used above does fail on a feature that peeks one bar ahead."""
    bars = sol.iloc[:300]
    full = bars["close"].shift(-1).to_numpy()
    part = bars.iloc[:200]["close"].shift(-1).to_numpy()
    assert not _same(full[:200], part).all()


def test_every_feature_is_defined_after_warmup(with_extras):
    """After spec.warmup - 1 bars no feature is NaN; the optional ones all appear."""
    spec = FeatureSpec()
    f = compute_features(with_extras, spec)
    assert not f.iloc[spec.warmup - 1:].isna().any().any()
    for name in ("xv_spread_bps", "xv_depth_log", "xv_depth_skew", "spread_bps", "depth_log",
                 "flow_imbalance_12", "swap_count_z_12"):
        assert name in f.columns
    assert f.iloc[: spec.warmup - 1].isna().any(axis=1).all()


@pytest.mark.parametrize("frame", ["sol", "with_extras"])
def test_live_buffer_gives_identical_features(frame, request):
    """Pushing bars one by one gives bit-identical features to the vectorised shape."""
    bars = request.getfixturevalue(frame).iloc[:300]
    full = compute_features(bars)
    buf = FeatureBuffer(FeatureSpec(), columns=tuple(bars.columns))
    assert buf.names == list(full.columns)
    ts = bars.index.as_unit("ns").asi8
    rows = [buf.push(int(ts[i]), bars.iloc[i]) for i in range(len(bars))]
    assert buf.is_warm
    np.testing.assert_array_equal(np.array(rows), full.to_numpy())


def test_known_answer_returns_and_volatility():
    """ret_h is the log return over h bars; vol_w the population std of w 1-bar log returns."""
    idx = pd.date_range("2024-01-01", periods=60, freq="5min", tz="UTC")
    close = 100.0 * np.exp(np.arange(60) * 0.01 * np.where(np.arange(60) % 2, 1, -1))
    bars = pd.DataFrame({"open": close, "high": close * 1.01, "low": close * 0.99,
                         "close": close, "volume": 10.0}, index=idx)
    f = compute_features(bars)
    lc = np.log(close)
    assert f["ret_3"].iloc[10] == pytest.approx(lc[10] - lc[7])
    r1 = np.diff(lc)
    assert f["vol_12"].iloc[40] == pytest.approx(r1[28:40].std())
    assert f["range_12"].iloc[40] == pytest.approx(0.02)
    assert f["volume_z_48"].iloc[55] == 0.0  # constant volume: z-score defined as 0


def test_bad_frame_and_spec_are_rejected(sol):
    """Missing columns and bad windows raise with the offending value named."""
    with pytest.raises(SchemaError, match=r"lack columns \['volume'\]"):
        compute_features(sol.drop(columns=["volume"]))
    with pytest.raises(ConfigError, match=r"vol_windows=\(1,\)"):
        FeatureSpec(vol_windows=(1,))
    buf = FeatureBuffer(FeatureSpec(), columns=("open", "high", "low", "close", "volume",
                                                "depth_quote"))
    with pytest.raises(SchemaError, match="lacks column 'depth_quote'"):
        buf.push(0, sol.iloc[0])


def test_feature_names_follow_columns():
    """Optional features appear only with their input columns."""
    base = feature_names(FeatureSpec(), ["open", "high", "low", "close", "volume"])
    assert "depth_log" not in base and "xv_spread_bps" not in base
    one_venue = feature_names(FeatureSpec(), ["close", "a_price"])
    assert "xv_spread_bps" not in one_venue


def test_swap_flow_aggregates_per_bar():
    """Buys and sells are summed per bar in quote units, with the swap count."""
    idx = pd.to_datetime(["2024-01-01 00:01", "2024-01-01 00:02", "2024-01-01 00:07"], utc=True)
    trades = pd.DataFrame({"cost": [10.0, 4.0, 7.0], "side": ["buy", "sell", "buy"]}, index=idx)
    flow = aggregate_swap_flow(trades, "5m")
    assert flow["buy_volume_quote"].tolist() == [10.0, 7.0]
    assert flow["sell_volume_quote"].tolist() == [4.0, 0.0]
    assert flow["swap_count"].tolist() == [2.0, 1.0]

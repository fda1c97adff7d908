"""The engine publishes the paper pools' depth (``depth:<pair>:<venue>``), throttled, on the
event bus and in the store, computed by ``workbench.data.depth`` from the pools it trades."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.live.conftest import fast_config, make_settings
from workbench.data.depth import cp_depth
from workbench.live import DEFAULT_POOLS, Engine
from workbench.live.feeds import DEPTH_IMPACTS_BPS, DepthPublisher, depth_snapshot
from workbench.store import ledger


class StepClock:
    """Monotonic seconds advancing ``step`` on every read."""

    def __init__(self, step: float) -> None:
        self.t, self.step = 0.0, step

    def __call__(self) -> float:
        self.t += self.step
        return self.t


def test_snapshot_is_cp_depth_of_the_reserves() -> None:
    """The levels are cp_depth's base-unit results scaled by the decimals, exactly."""
    snap = depth_snapshot(symbol="SOL/USDT", venue="v", timeframe="5m", ts=1,
                          base_raw=1000 * 10**9, quote_raw=150_000 * 10**6, base_decimals=9,
                          quote_decimals=6, fee_bps=25)
    assert snap["price"] == "150"
    levels = {row["impact_bps"]: row for row in snap["levels"]}  # type: ignore[union-attr]
    assert sorted(levels) == sorted(DEPTH_IMPACTS_BPS)
    raw = cp_depth(1000 * 10**9, 150_000 * 10**6, impact_bps=100, fee_bps=25)
    assert Decimal(levels[100]["ask_base"]) == Decimal(raw.ask_base_raw) / 10**9
    assert Decimal(levels[100]["bid_quote"]) == Decimal(raw.bid_quote_raw) / 10**6
    assert Decimal("4.9627") < Decimal(levels[100]["ask_base"]) < Decimal("4.9629")


def test_publisher_throttles_and_skips_empty_pools() -> None:
    sent: list[str] = []
    pub = DepthPublisher(lambda key, _snap: sent.append(key), min_interval_s=1.0,
                         clock=StepClock(0.4))
    kw: dict[str, Any] = {"symbol": "SOL/USDT", "timeframe": "5m", "ts": 0,
                          "reserves": {"a": (10**12, 10**11), "b": (0, 10**11)},
                          "fee_bps": {"a": 25}, "base_decimals": 9, "quote_decimals": 6}
    results = [pub.maybe_publish(**kw) for _ in range(7)]
    # reads at 0.4 (first: publish), 0.8, 1.2, 1.6 (publish), 2.0, 2.4, 2.8 (publish)
    assert results == [True, False, False, True, False, False, True]
    assert sent == ["depth:SOL/USDT:a"] * 3 and pub.published == 3


async def test_engine_publishes_depth_of_its_pools(tmp_path: Any, sol_bars: Any) -> None:
    """A 30-bar paper replay with one publication per 3 bars: 10 snapshots per pool on the
    bus, the newest of each in the store, priced near the close each pool follows (the lagged
    pool's one bar earlier), levels equal to cp_depth of the published reserves;
    the dashboard reads them as published depth."""
    bars = sol_bars.iloc[:30]
    eng = Engine(make_settings(tmp_path), config=fast_config(bars))
    eng.depth = DepthPublisher(eng._store_depth, min_interval_s=1.0, clock=StepClock(0.4))
    queue = eng.bus.subscribe("depth")
    await eng.run()
    events = []
    while not queue.empty():
        events.append(queue.get_nowait().data)
    names = [p.name for p in DEFAULT_POOLS]
    assert [e["venue"] for e in events] == names * 10
    closes = {int(t): Decimal(str(c)) for t, c in zip(bars.index.as_unit("ns").asi8,
                                                       bars["close"], strict=True)}
    stamps = sorted(closes)
    for pool in DEFAULT_POOLS:
        state = ledger.get_state(eng.store, f"depth:SOL/USDT:{pool.name}")
        assert state is not None
        last = [e for e in events if e["venue"] == pool.name][-1]
        assert state["ts"] == last["ts"] == stamps[27]  # bars 0, 3, ..., 27 published
        assert (state["symbol"], state["timeframe"]) == ("SOL/USDT", "5m")
        ref = closes[stamps[27 - pool.lag_bars]]
        assert abs(Decimal(state["price"]) / ref - 1) < Decimal("0.01")
        raw = cp_depth(state["base_reserve_raw"], state["quote_reserve_raw"], impact_bps=50,
                       fee_bps=pool.fee_bps)
        level = next(r for r in state["levels"] if r["impact_bps"] == 50)
        assert Decimal(level["bid_base"]) == Decimal(raw.bid_base_raw) / 10**9
    from workbench.dashboard.queries import load_pool_depth

    view = load_pool_depth(eng.store, symbol="SOL/USDT", venue=DEFAULT_POOLS[0].name)
    assert view.source == "published" and len(view.levels) == len(DEPTH_IMPACTS_BPS)

"""What the pages show, computed from a seeded store."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from tests.dashboard.conftest import seeded_store
from workbench.config import Settings
from workbench.dashboard import queries
from workbench.store import ledger


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return seeded_store(tmp_path_factory.mktemp("q"))


def test_drawdown_and_today_pnl_known_answers() -> None:
    """Drawdown from the running peak and PnL since the newest mark's UTC midnight."""
    idx = pd.to_datetime(["2024-01-01 22:00", "2024-01-01 23:00", "2024-01-02 01:00",
                          "2024-01-02 02:00"], utc=True)
    eq = pd.Series([100.0, 110.0, 99.0, 104.5], index=idx)
    assert list(queries.compute_drawdown(eq).round(6)) == [0.0, 0.0, -0.1, -0.05]
    assert queries.compute_today_pnl(eq) == pytest.approx(104.5 - 110.0)
    only_today = eq.iloc[2:]
    assert queries.compute_today_pnl(only_today) == pytest.approx(104.5 - 99.0)
    assert queries.compute_today_pnl(pd.Series(dtype=float)) == 0.0


def test_exposure_by_token_uses_marks_else_cost() -> None:
    """Exposure sums per base token, valued at the mark (or average cost), largest first."""
    pos = pd.DataFrame({"symbol": ["SOL/USDC", "SOL/USDT", "JUP/USDC", "BONK/USDC"],
                        "quantity": [Decimal(2), Decimal(1), Decimal(100), Decimal(0)],
                        "avg_cost": [Decimal(100), Decimal(90), Decimal("0.5"), Decimal(1)]})
    out = queries.compute_exposure(pos, {"SOL/USDC": Decimal(150)})
    assert list(out["token"]) == ["SOL", "JUP"]
    assert list(out["value"]) == [Decimal(390), Decimal(50)]


def test_thin_keeps_the_last_point() -> None:
    """Thinning bounds the points and never drops the newest."""
    frame = pd.DataFrame({"x": range(10_001)})
    out = queries.thin(frame, 1000)
    assert len(out) <= 1001 and out["x"].iloc[-1] == 10_000


def test_views_show_the_seeded_values(seeded) -> None:  # type: ignore[no-untyped-def]
    """Overview, fills, orders, positions and strategies reflect what was written."""
    store, seed, _ = seeded
    over = queries.load_overview(store)
    assert over.last_equity == pytest.approx(float(seed.last_equity))
    assert over.status.breaker == "ok" and over.status.is_running
    fills = queries.load_fills_view(store)
    assert list(fills["signature"][: len(seed.signatures)]) == list(reversed(seed.signatures))
    assert all(Decimal(p) > 0 for p in fills["price"])
    orders = queries.load_orders_view(store)
    assert orders["client_order_id"].iloc[0] == "demo-rejected"
    assert orders["status"].iloc[0] == "rejected"
    pos = queries.load_positions_view(store)
    stored = ledger.load_positions(store)
    assert Decimal(pos["quantity"].iloc[0]) == Decimal(stored["quantity"].iloc[0])
    assert pos["stops"].iloc[0] == "stop_loss=110"
    strategies = queries.load_strategies_view(store)
    assert list(strategies["name"]) == list(seed.strategies)
    assert set(strategies["status"]) == {"running"}


def test_store_version_moves_on_every_kind_of_write(seeded) -> None:  # type: ignore[no-untyped-def]
    """The fingerprint changes on a fill, a command and engine state; not when idle."""
    store, _, _ = seeded
    v0 = queries.load_store_version(store)
    assert queries.load_store_version(store) == v0
    ledger.submit_command(store, actor="t", command="reset_breaker", args={})
    v1 = queries.load_store_version(store)
    assert v1 != v0
    ledger.set_state(store, "breaker", {"state": "tripped", "reason": "stale feed"})
    v2 = queries.load_store_version(store)
    assert v2 != v1
    status = queries.load_engine_status(store)
    assert status.is_tripped and status.breaker_reason == "stale feed"
    ledger.set_state(store, "breaker", {"state": "ok", "reason": ""})


def test_limits_prefer_the_engines(seeded, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Published limits win over the settings' defaults."""
    store, _, _ = seeded
    assert queries.load_limits(store, Settings())["max_order_notional"] == Decimal(1000)
    ledger.set_state(store, "limits", {"max_order_notional": "250"})
    assert queries.load_limits(store, Settings()) == {"max_order_notional": "250"}
    ledger.set_state(store, "limits", {})


def test_log_lines_fall_back_to_the_log_file(seeded, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Without a ``logs`` state the tail of data/logs/engine.log is shown."""
    store, _, _ = seeded
    assert queries.load_log_lines(store, Settings())[0].startswith("INFO engine")
    ledger.set_state(store, "logs", {})
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "engine.log").write_text("a\nb\nc\n")
    assert queries.load_log_lines(store, Settings(data={"dir": tmp_path}), limit=2) == ["b", "c"]

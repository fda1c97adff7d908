"""compare_paper_decisions flags every way the engine's orders can differ from the research."""

from decimal import ROUND_DOWN, Decimal

import pandas as pd
import pytest

from workbench.ai import MlParams, compare_paper_decisions, compute_ml_signals
from workbench.errors import SchemaError

BUDGET = Decimal(1000)


@pytest.fixture(scope="module")
def signals(sol, model):
    """Signals on real bars after the training window, thresholds so the model trades."""
    bars = sol.iloc[4000:4300]
    proba = compute_ml_signals(bars, MlParams(model=model))["proba"].dropna()
    params = MlParams(model=model, entry_threshold=float(proba.quantile(0.8)),
                      exit_threshold=float(proba.quantile(0.5)), use_kelly=False)
    return compute_ml_signals(bars, params)


def _ledger(signals):
    """Orders and fills an engine booking the decisions exactly (fills at the close) makes."""
    orders, fills, cash, held, is_long = [], [], BUDGET, Decimal(0), False
    for ts, row in signals.iterrows():
        price = Decimal(repr(float(row["close"])))
        if row["entry"] and not is_long and row["fraction"] > 0:
            side = "buy"
            amount = (cash * Decimal(repr(float(row["fraction"]))) / price).quantize(
                Decimal("1e-9"), ROUND_DOWN)
        elif row["exit"] and is_long:
            side, amount = "sell", held
        else:
            continue
        coid = f"ml-{ts.value}-0"
        quote = (amount * price).quantize(Decimal("1e-6"))
        orders.append({"client_order_id": coid, "side": side, "amount": amount,
                       "status": "filled", "ts_created": ts})
        fills.append({"client_order_id": coid, "side": side, "base_amount": amount,
                      "quote_amount": quote, "ts_event": ts})
        cash += quote if side == "sell" else -quote
        held += amount if side == "buy" else -amount
        is_long = side == "buy"
    return pd.DataFrame(orders), pd.DataFrame(fills)


def test_an_exact_booking_matches_on_every_row(signals):
    """Orders equal to the decisions, filled as ordered, match on every row."""
    orders, fills = _ledger(signals)
    assert len(orders) >= 4
    out = compare_paper_decisions(signals, orders, fills, budget_quote=BUDGET)
    assert len(out) == len(orders) and out["is_match"].all()
    assert list(out["side_expected"]) == list(orders["side"])


def test_each_difference_is_flagged(signals):
    """A missing order, a wrong size, an overfilled buy and a rejection are not matches."""
    orders, fills = _ledger(signals)
    missing = compare_paper_decisions(signals, orders.drop(index=2), fills.drop(index=2),
                                      budget_quote=BUDGET)
    assert not missing["is_match"].iloc[2] and pd.isna(missing["side"].iloc[2])
    resized = orders.copy()
    resized.loc[0, "amount"] -= Decimal("0.001")
    assert not compare_paper_decisions(signals, resized, fills,
                                       budget_quote=BUDGET)["is_match"].iloc[0]
    overfilled = fills.copy()
    overfilled.loc[0, "base_amount"] += Decimal("0.0001")
    out = compare_paper_decisions(signals, orders, overfilled, budget_quote=BUDGET)
    assert not out["is_match"].iloc[0]
    rejected = orders.copy()
    rejected.loc[1, "status"] = "rejected"
    assert not compare_paper_decisions(signals, rejected, fills.drop(index=1),
                                       budget_quote=BUDGET)["is_match"].iloc[1]
    # a rounding overshoot of the exact-input AMM is within bounds
    nudged = fills.copy()
    nudged.loc[0, "base_amount"] += Decimal("5e-9")
    assert compare_paper_decisions(signals, orders, nudged,
                                   budget_quote=BUDGET)["is_match"].iloc[0]


def test_frames_without_their_columns_are_refused(signals):
    """A frame missing a column is a SchemaError naming it."""
    orders, fills = _ledger(signals)
    with pytest.raises(SchemaError, match=r"lacks \['status'\]"):
        compare_paper_decisions(signals, orders.drop(columns="status"), fills,
                                budget_quote=BUDGET)

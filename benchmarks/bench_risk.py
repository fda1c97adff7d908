"""Cost of the risk gate per order, against baselines measured in the same run.

Target: ``check_order`` under 50 microseconds per order on a realistic snapshot (8 held
tokens, one correlated group, depth given, a full minute of recent orders).

Run: ``.venv/bin/python benchmarks/bench_risk.py [--n 20000]``
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from decimal import Decimal

from solders.pubkey import Pubkey

from workbench.domain import SOL, USDC, Order, Side, Token
from workbench.risk import PortfolioSnapshot, RiskLimits, check_order


def _per_call_us(fn: Callable[[], object], n: int) -> float:
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(n):
            fn()
        best = min(best, time.perf_counter() - start)
    return best / n * 1e6


def main() -> None:
    """Print microseconds per call for the gate and two baselines, and the ratios."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20_000)
    n = parser.parse_args().n

    tokens = {"SOL": SOL, "USDC": USDC}
    marks = {"SOL": Decimal("150.25")}
    holdings = {"USDC": Decimal("20000"), "SOL": Decimal("3.5")}
    for i in range(7):
        sym = f"TK{i}"
        tokens[sym] = Token(mint=Pubkey.new_unique(), symbol=sym, decimals=6)
        marks[sym] = Decimal("1.5") + i
        holdings[sym] = Decimal(100 + i)
    limits = RiskLimits(groups={"SOL": "majors", "TK0": "majors"},
                        denied_mints=frozenset({str(Pubkey.new_unique())}))
    now = 10**18
    recent = tuple(now - 59_000_000_000 + i * 1_000_000_000 for i in range(40))
    snapshot = PortfolioSnapshot(holdings=holdings, equity=Decimal("25000"),
                                 peak_equity=Decimal("26000"), day_pnl=Decimal("-100"),
                                 recent_order_ts=recent)
    accept = Order(client_order_id="b1", strategy="bench", symbol="SOL/USDC", side=Side.BUY,
                   amount=Decimal("2"), price=Decimal("150.30"), ts_init=now)
    resize = Order(client_order_id="b2", strategy="bench", symbol="SOL/USDC", side=Side.BUY,
                   amount=Decimal("50"), price=Decimal("150.30"), ts_init=now)
    depth = Decimal("2000000")

    def empty() -> None:
        return None

    table = {"SOL/USDC": 1}

    def lookup() -> object:
        return table.get(accept.symbol)

    def gate_accept() -> object:
        return check_order(accept, snapshot, marks, limits, tokens=tokens, depth_usd=depth)

    def gate_resize() -> object:
        return check_order(resize, snapshot, marks, limits, tokens=tokens, depth_usd=depth)

    assert gate_accept().action.value == "accept"  # type: ignore[attr-defined]
    assert gate_resize().action.value == "resize"  # type: ignore[attr-defined]
    base_empty = _per_call_us(empty, n)
    base_dict = _per_call_us(lookup, n)
    results = {"check_order accept": _per_call_us(gate_accept, n),
               "check_order resize": _per_call_us(gate_resize, n)}
    print(f"baseline empty call : {base_empty:8.3f} us")
    print(f"baseline dict lookup: {base_dict:8.3f} us")
    for name, us in results.items():
        print(f"{name:20}: {us:8.3f} us  = {us / base_empty:6.0f}x empty call, "
              f"{us / base_dict:6.0f}x dict lookup, {'under' if us < 50 else 'OVER'} 50 us target")


if __name__ == "__main__":
    main()

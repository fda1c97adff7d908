"""market_trades: bulk idempotent writes and reads on SQLite and PostgreSQL."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench.data.swaps import NATIVE_SOL, market_trades_frame, parse_pool_swap, pool_seq
from workbench.errors import DataUnavailable, SchemaError
from workbench.store.trades import (
    TRADE_COLUMNS,
    load_market_trades,
    market_trade_marks,
    save_market_trades,
)

TX = Path(__file__).resolve().parents[1] / "fixtures" / "transactions"
RAY_AUTH = "5Q544fKrFoe6tsEbD7S8EmxGTJYAKtTVhAW5Q5pge4j1"
MINTS = ["2CrtdajpSb7DpMRLKP4yMtFLbCsWZjMkEvgSTf4Ypump",
         "E8yBUD4AGdxK7MbQEf85oaAvVBuSoRsGCvX2sMxSpump",
         "AaJ6gmTzaQw9zxfK6BD9N89wzZLuSuwTRbi8YrTCpump"]


def _real_frame():
    items = []
    for i, mint in enumerate(MINTS):
        tx = json.loads((TX / f"raydiumLiquidityPoolV4_swap_{i}.json").read_text())[0]
        t = parse_pool_swap(tx, pool_owner=RAY_AUTH, base_mint=mint, quote_mint=NATIVE_SOL,
                            venue="raydium_amm_v4", symbol=f"{mint[:4]}/SOL")
        items.append((t, pool_seq(tx, pool_owner=RAY_AUTH, base_mint=mint,
                                  quote_mint=NATIVE_SOL)))
    return market_trades_frame(items)


def _synthetic(n, *, start_slot=1_000):
    """n rows of well-formed trades (for bulk behaviour; values are arbitrary test inputs)."""
    rng = np.random.default_rng(3)
    return pd.DataFrame({
        "venue": "bench", "symbol": "X/Y",
        "side": np.where(rng.random(n) < 0.5, "buy", "sell"),
        "price": rng.random(n) + 1.0, "base_amount": rng.random(n) + 0.1,
        "quote_amount": rng.random(n) + 0.1,
        "signature": [f"s{i}" for i in range(n)], "seq": np.zeros(n, dtype=np.int64),
        "slot": np.arange(start_slot, start_slot + n, dtype=np.int64),
    }, index=pd.DatetimeIndex(pd.to_datetime(np.arange(n) * 10**9, utc=True), name="ts"))


def test_real_trades_round_trip_and_are_stored_once(store):
    """Three mainnet swaps round-trip; saving them again stores nothing."""
    frame = _real_frame()
    assert save_market_trades(store, frame) == 3
    assert save_market_trades(store, frame) == 0
    got = load_market_trades(store, venue="raydium_amm_v4")
    assert list(got.columns) == list(TRADE_COLUMNS)
    assert got.index.name == "ts" and str(got.index.tz) == "UTC"
    assert got["slot"].tolist() == [292734971, 293583913, 305539244]
    assert got["side"].tolist() == ["sell", "buy", got["side"].iloc[2]]
    assert got["seq"].tolist() == [5, 5, 3]
    np.testing.assert_allclose(got["price"], frame.sort_index()["price"], rtol=1e-15)
    assert got.loc[got["slot"] == 292734971, "quote_amount"].item() == 0.352936256


def test_same_signature_other_seq_is_a_second_trade(store):
    """(venue, signature, seq) is the key: another seq in one transaction is stored too."""
    frame = _real_frame().iloc[:1]
    other = frame.assign(seq=frame["seq"] + 1)
    assert save_market_trades(store, pd.concat([frame, frame, other])) == 2
    assert len(load_market_trades(store)) == 2


def test_bad_rows_are_rejected_not_stored(store, caplog):
    """NaN or zero prices, an unknown side or an empty signature are counted and logged."""
    frame = _synthetic(5)
    frame.iloc[0, frame.columns.get_loc("price")] = np.nan
    frame.iloc[1, frame.columns.get_loc("base_amount")] = 0.0
    frame.iloc[2, frame.columns.get_loc("side")] = "hold"
    frame.iloc[3, frame.columns.get_loc("signature")] = ""
    assert save_market_trades(store, frame) == 1
    assert "rejected 4 of 5 rows" in caplog.text
    assert load_market_trades(store)["signature"].tolist() == ["s4"]


def test_filters_marks_and_missing(store):
    """Loads filter by symbol, venue and time; marks give the newest and oldest by slot."""
    with pytest.raises(DataUnavailable, match="No market trades for raydium_amm_v4"):
        load_market_trades(store, venue="raydium_amm_v4")
    assert market_trade_marks(store) is None
    save_market_trades(store, _real_frame())
    save_market_trades(store, _synthetic(10))
    assert len(load_market_trades(store, symbol=["2Crt/SOL", "E8yB/SOL"])) == 2
    assert len(load_market_trades(store, venue="bench", start=pd.Timestamp(3, unit="s"),
                                  end=pd.Timestamp(6, unit="s"))) == 3
    newest, oldest = market_trade_marks(store, venue="raydium_amm_v4")
    assert (newest.slot, oldest.slot) == (305539244, 292734971)
    assert newest.signature.startswith("2Xgzfk") and oldest.ts_ns == 1727633484 * 10**9


def test_schema_errors_name_what_is_missing(store):
    """A frame without a column or a DatetimeIndex is refused with the column named."""
    with pytest.raises(SchemaError, match=r"lacks columns \['seq'\]"):
        save_market_trades(store, _synthetic(2).drop(columns="seq"))
    with pytest.raises(SchemaError, match="expected a UTC DatetimeIndex"):
        save_market_trades(store, _synthetic(2).reset_index())


def test_bulk_insert_overlapping_batches(store):
    """20,000 rows go in as one batch; an overlapping batch adds only its new rows."""
    big = _synthetic(20_000)
    assert save_market_trades(store, big.iloc[:15_000]) == 15_000
    assert save_market_trades(store, big.iloc[10_000:]) == 5_000
    assert len(load_market_trades(store, venue="bench")) == 20_000

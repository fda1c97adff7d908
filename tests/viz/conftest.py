from pathlib import Path

import pandas as pd
import pytest

DATA = Path("/work/shared/data/ohlcv/binance_2024")


@pytest.fixture(scope="session")
def sol_5m() -> pd.DataFrame:
    """2,000 real SOL/USDT 5m bars (Binance 2024, see /work/shared/data/PROVENANCE.md)."""
    path = DATA / "SOL_USDT-5m.feather"
    if not path.exists():
        pytest.skip(f"real data {path} not present")
    return pd.read_feather(path).set_index("date").iloc[10_000:12_000]

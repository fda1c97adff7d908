"""The ledger store (SQLAlchemy: SQLite by default, PostgreSQL for production).

Submodules: ``db`` (open, migrate), ``models`` (tables), ``candles`` (bulk time series),
``ledger`` (orders, fills, risk events, audit, control, runs, models). The Parquet lake for
market data lives in ``lake``.
"""

from workbench.store.candles import candle_summary, load_candles, save_candles
from workbench.store.db import SchemaStatus, Store, open_store

__all__ = ["SchemaStatus", "Store", "candle_summary", "load_candles", "open_store", "save_candles"]

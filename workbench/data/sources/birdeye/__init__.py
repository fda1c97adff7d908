"""Birdeye OHLCV history (``GET /defi/ohlcv``; needs an API key)."""

from workbench.data.sources.birdeye.client import BirdeyeClient
from workbench.data.sources.birdeye.config import BirdeyeConfig
from workbench.data.sources.birdeye.parse import BIRDEYE_TIMEFRAMES, parse_ohlcv

__all__ = ["BIRDEYE_TIMEFRAMES", "BirdeyeClient", "BirdeyeConfig", "parse_ohlcv"]

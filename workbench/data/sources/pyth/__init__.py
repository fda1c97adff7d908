"""Pyth Hermes: latest price updates (price, confidence, publish time) by feed id."""

from workbench.data.sources.pyth.client import HermesClient
from workbench.data.sources.pyth.config import HermesConfig
from workbench.data.sources.pyth.parse import HermesPrice, parse_latest_price_updates

__all__ = ["HermesClient", "HermesConfig", "HermesPrice", "parse_latest_price_updates"]

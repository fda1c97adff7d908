"""Jupiter Price API v3 (USD prices by mint) and Swap API v1 quotes (price-impact probe)."""

from workbench.data.sources.jupiter.client import JupiterClient
from workbench.data.sources.jupiter.config import JupiterConfig
from workbench.data.sources.jupiter.parse import TokenPrice, parse_price_v3, parse_quote

__all__ = ["JupiterClient", "JupiterConfig", "TokenPrice", "parse_price_v3", "parse_quote"]

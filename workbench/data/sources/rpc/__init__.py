"""Solana JSON-RPC reads for market data: signatures, transactions, raw accounts."""

from workbench.data.sources.rpc.client import SolanaRpcSource
from workbench.data.sources.rpc.config import RpcConfig
from workbench.data.sources.rpc.parse import (
    AccountBytes,
    SignatureInfo,
    parse_multiple_accounts,
    parse_signatures,
    parse_transaction,
)

__all__ = [
    "AccountBytes",
    "RpcConfig",
    "SignatureInfo",
    "SolanaRpcSource",
    "parse_multiple_accounts",
    "parse_signatures",
    "parse_transaction",
]

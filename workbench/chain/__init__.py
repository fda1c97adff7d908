"""Solana plumbing with no trading logic: the Chain interface, LiteSVM, JSON-RPC, websockets,
error mapping."""

from workbench.chain.base import Chain
from workbench.chain.classify import classify_rpc_error, classify_tx_error
from workbench.chain.jsonrpc import JsonRpcClient, RpcEndpoint
from workbench.chain.litesvm import LiteSVMChain
from workbench.chain.rpc import RpcChain
from workbench.chain.types import (
    BlockhashInfo,
    Commitment,
    ConfirmedTx,
    SignatureStatus,
    SimulationResult,
    TokenAccount,
    TokenBalance,
)
from workbench.chain.ws import (
    AccountNotification,
    LogsNotification,
    SignatureNotification,
    Subscription,
    account_subscribe,
    logs_subscribe,
    signature_subscribe,
)

__all__ = [
    "AccountNotification",
    "BlockhashInfo",
    "Chain",
    "Commitment",
    "ConfirmedTx",
    "JsonRpcClient",
    "LiteSVMChain",
    "LogsNotification",
    "RpcChain",
    "RpcEndpoint",
    "SignatureNotification",
    "SignatureStatus",
    "SimulationResult",
    "Subscription",
    "TokenAccount",
    "TokenBalance",
    "account_subscribe",
    "classify_rpc_error",
    "classify_tx_error",
    "logs_subscribe",
    "signature_subscribe",
]

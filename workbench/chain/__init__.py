"""Solana plumbing with no trading logic: the Chain interface, LiteSVM, error mapping."""

from workbench.chain.base import Chain
from workbench.chain.classify import classify_rpc_error, classify_tx_error
from workbench.chain.litesvm import LiteSVMChain
from workbench.chain.types import (
    BlockhashInfo,
    Commitment,
    ConfirmedTx,
    SignatureStatus,
    SimulationResult,
    TokenBalance,
)

__all__ = [
    "BlockhashInfo",
    "Chain",
    "Commitment",
    "ConfirmedTx",
    "LiteSVMChain",
    "SignatureStatus",
    "SimulationResult",
    "TokenBalance",
    "classify_rpc_error",
    "classify_tx_error",
]

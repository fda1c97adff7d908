"""Execution: keys, transactions, confirmation, the executor and router; venues per package."""

from workbench.execution.executor import (
    ExecutionHooks,
    Executor,
    ExecutorConfig,
    SubmittedTx,
    SwapFill,
    SwapIntent,
)
from workbench.execution.jito import JitoClient, JitoSender, TipFloor, TipPolicy
from workbench.execution.keystore import Keystore, Wallet
from workbench.execution.ledger_hooks import LedgerHooks
from workbench.execution.paper_wallet import PaperSpec, PaperWallet
from workbench.execution.router import Route, RouteLeg, Router
from workbench.execution.session import TradingSession, open_local_market, outcomes_frame

__all__ = [
    "ExecutionHooks",
    "Executor",
    "ExecutorConfig",
    "JitoClient",
    "JitoSender",
    "Keystore",
    "LedgerHooks",
    "PaperSpec",
    "PaperWallet",
    "Route",
    "RouteLeg",
    "Router",
    "SubmittedTx",
    "SwapFill",
    "SwapIntent",
    "TipFloor",
    "TipPolicy",
    "TradingSession",
    "Wallet",
    "open_local_market",
    "outcomes_frame",
]

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
from workbench.execution.router import Route, RouteLeg, Router

__all__ = [
    "ExecutionHooks",
    "Executor",
    "ExecutorConfig",
    "JitoClient",
    "JitoSender",
    "Keystore",
    "Route",
    "RouteLeg",
    "Router",
    "SubmittedTx",
    "SwapFill",
    "SwapIntent",
    "TipFloor",
    "TipPolicy",
    "Wallet",
]

"""The live engine: feeds -> strategies -> risk gate -> router -> executor -> ledger.

Paper mode runs on LiteSVM pools that follow replayed real bars; live mode (explicit opt-in,
encrypted keystore) sends through RpcChain to Jupiter and trades bars built from a live price
feed. See :mod:`workbench.live.engine` for the pipeline and the recovery
guarantees, :mod:`workbench.live.control` for the command vocabulary.
"""

from workbench.live.alerts import Alert, Alerter
from workbench.live.bus import EVENTS_STREAM, Event, EventBus, RedisForwarder
from workbench.live.chainmarket import ChainMarket
from workbench.live.control import COMMANDS, CONTROL_STREAM, ControlPlane, submit
from workbench.live.defaults import DEFAULT_POOLS, DEFAULT_STRATEGIES, StrategySeed
from workbench.live.engine import Engine, EngineConfig, EngineHooks, StrategySlot
from workbench.live.feeds import JupiterPriceFeed, PriceFeed, PythPriceFeed, live_bars
from workbench.live.health import build_health
from workbench.live.metrics import EngineMetrics, MetricsServer
from workbench.live.paper import PaperMarket, PoolSpec, SnapshotChain
from workbench.live.recovery import RecoveryReport, recover_orders
from workbench.live.supervisor import Supervisor, TaskStatus

__all__ = [
    "COMMANDS",
    "CONTROL_STREAM",
    "DEFAULT_POOLS",
    "DEFAULT_STRATEGIES",
    "EVENTS_STREAM",
    "Alert",
    "Alerter",
    "ChainMarket",
    "ControlPlane",
    "Engine",
    "EngineConfig",
    "EngineHooks",
    "EngineMetrics",
    "Event",
    "EventBus",
    "JupiterPriceFeed",
    "MetricsServer",
    "PaperMarket",
    "PoolSpec",
    "PriceFeed",
    "PythPriceFeed",
    "RecoveryReport",
    "RedisForwarder",
    "SnapshotChain",
    "StrategySeed",
    "StrategySlot",
    "Supervisor",
    "TaskStatus",
    "build_health",
    "live_bars",
    "recover_orders",
    "submit",
]

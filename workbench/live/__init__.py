"""The live engine: feeds -> strategies -> risk gate -> router -> executor -> ledger.

Paper mode runs on LiteSVM pools that follow replayed real bars; live mode is refused unless
explicitly opted into. See :mod:`workbench.live.engine` for the pipeline and the recovery
guarantees, :mod:`workbench.live.control` for the command vocabulary.
"""

from workbench.live.alerts import Alert, Alerter
from workbench.live.bus import EVENTS_STREAM, Event, EventBus, RedisForwarder
from workbench.live.control import COMMANDS, CONTROL_STREAM, ControlPlane, submit
from workbench.live.defaults import DEFAULT_POOLS, DEFAULT_STRATEGIES, StrategySeed
from workbench.live.engine import Engine, EngineConfig, StrategySlot
from workbench.live.fills import fills_from_landed
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
    "ControlPlane",
    "Engine",
    "EngineConfig",
    "EngineMetrics",
    "Event",
    "EventBus",
    "MetricsServer",
    "PaperMarket",
    "PoolSpec",
    "RecoveryReport",
    "RedisForwarder",
    "SnapshotChain",
    "StrategySeed",
    "StrategySlot",
    "Supervisor",
    "TaskStatus",
    "build_health",
    "fills_from_landed",
    "recover_orders",
    "submit",
]

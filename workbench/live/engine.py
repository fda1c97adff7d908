"""The live engine: feed -> strategies -> risk gate -> router -> executor -> ledger.

One asyncio process runs, under a :class:`~workbench.live.supervisor.Supervisor`:

* ``feed``: bars (replayed real data in paper mode) drive everything. Per bar: the breaker
  sees the price, the paper pools move to it, every running strategy decides, each decision
  becomes an :class:`~workbench.domain.Order` with a *deterministic* client order id
  (``<strategy>-<bar ts>-<n>``), passes the risk gate, is stored, routed and executed.
  After the bar the cursor (last bar, every strategy's state) is stored in one write.
* ``control``: commands from the store (and Redis) applied within ``poll_s``.
* ``heartbeat``: heartbeat, health, breaker and strategy status to ``engine_state``;
  stale-feed detection (trips the breaker); position snapshots.
* ``alerts`` and ``redis`` forwarders when configured; ``/metrics`` and ``/health`` served.

Nothing lost, nothing doubled: the executor stores the signed intent before the first
broadcast (hooks -> ``ledger.set_order_status(SUBMITTED, signed_tx=...)``); on start,
:func:`~workbench.live.recovery.recover_orders` settles every unfinished order against the
chain; the bar being processed at the crash is processed again, and its deterministic order
ids make that idempotent: an order already in the ledger is never sent again, its stored fills
are replayed into the strategy instead. Positions come from the stored fills, strategy state
from the cursor, limit changes and the breaker from ``engine_state``.
"""

from __future__ import annotations

import asyncio
import base64
import collections
import contextlib
import gc
import getpass
import logging
import os
import pickle
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
from solders.signature import Signature
from sqlalchemy import select

import workbench.ai  # noqa: F401 - registers the "ml" strategy kind
from workbench.chain.jsonrpc import safe_url
from workbench.chain.rpc import RpcChain
from workbench.config import Settings
from workbench.data.replay import replay_bars
from workbench.data.sources.jupiter import JupiterClient as JupiterPriceClient
from workbench.data.sources.jupiter import JupiterConfig as JupiterPriceConfig
from workbench.data.sources.pyth import HermesClient, HermesConfig
from workbench.domain import (
    WELL_KNOWN,
    Bar,
    Fill,
    Order,
    OrderStatus,
    Pair,
    QuoteRequest,
    Side,
    from_raw,
    timeframe_seconds,
    to_raw,
)
from workbench.errors import (
    ConfigError,
    OrderRejected,
    StoreError,
    StrategyError,
    TxError,
    VenueError,
    WorkbenchError,
)
from workbench.execution import Executor, ExecutorConfig, Route, RouteLeg, Router, SwapIntent
from workbench.execution.executor import SubmittedTx, SwapFill
from workbench.execution.jito import JitoClient, JitoSender, TipPolicy
from workbench.execution.jupiter import JupiterClient, JupiterConfig, JupiterVenue
from workbench.execution.keystore import Keystore, Wallet, passphrase_from_env_or_prompt
from workbench.execution.ledger_hooks import LedgerHooks, fills_from_swap
from workbench.live.alerts import Alerter
from workbench.live.bus import EventBus, RedisForwarder
from workbench.live.chainmarket import ChainMarket
from workbench.live.control import ControlPlane
from workbench.live.defaults import DEFAULT_POOLS, DEFAULT_STRATEGIES, StrategySeed
from workbench.live.feeds import (
    SOL_USD_PYTH_FEED,
    DepthPublisher,
    JupiterPriceFeed,
    PriceFeed,
    PythPriceFeed,
    live_bars,
)
from workbench.live.health import build_health
from workbench.live.metrics import EngineMetrics, MetricsServer
from workbench.live.paper import PaperMarket, PoolSpec
from workbench.live.recovery import RecoveryReport, recover_orders
from workbench.live.supervisor import Supervisor
from workbench.portfolio import Portfolio
from workbench.risk import (
    Action,
    BreakerConfig,
    BreakerState,
    CircuitBreaker,
    RiskGate,
    TradingState,
    TripReason,
    change_limit,
    decision_event,
    limits_from_settings,
)
from workbench.store import Store, ledger, open_store
from workbench.store.models import FillRow, OrderRow
from workbench.strategies import Decision, EventStrategy, VenueSnapshot, get_strategy

__all__ = ["Engine", "EngineConfig", "EngineHooks", "StrategySlot"]

log = logging.getLogger(__name__)

_CURSOR_KEY = "engine_cursor"
_ACCOUNT_KEY = "engine_account"
_LIMITS_KEY = "limits_overrides"
_ZERO = Decimal(0)


_LOG_LINES: collections.deque[str] = collections.deque(maxlen=200)


class _RecentLines(logging.Handler):
    """Keeps the workbench's recent log lines for the dashboard's System page."""

    def emit(self, record: logging.LogRecord) -> None:
        with contextlib.suppress(Exception):
            _LOG_LINES.append(self.format(record))


_HANDLER = _RecentLines(level=logging.INFO)
_HANDLER.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))


class _WallClock:
    """Wall time for the breaker (cooldowns and staleness are about the real world)."""

    @staticmethod
    def now_ns() -> int:
        return time.time_ns()


@dataclass(frozen=True, slots=True, kw_only=True)
class EngineConfig:
    """How one engine run is set up (settings hold the rest).

    Attributes:
        symbol / timeframe: the traded pair and bar size.
        bars: bars to replay (default: the shipped sample of ``symbol``/``timeframe``).
        max_bars: replay only this many bars from the start of ``bars``.
        speed: replay multiplier (None: ``settings.engine.replay_speed``; 0: flat out).
        pools: paper pools.
        wallet_quote / wallet_sol: the paper wallet's starting quote tokens and SOL.
        snapshot_path: paper chain state file (default ``<data.dir>/paper_chain.pkl``).
        stop_at_end: stop the engine when the replay ends (tests, benchmarks, soak).
        serve_metrics: serve ``/metrics`` and ``/health``.
        metrics_port: override ``settings.engine.metrics_port`` (0 picks a free port).
        poll_s: control-plane poll interval.
        stale_after_s: feed silence that trips the breaker (None: ``data.stale_after_s``).
        handle_signals: stop cleanly on SIGTERM/SIGINT (only from the main thread).
        seeds: strategies seeded into an empty store.
        limits: risk limit overrides applied on top of ``settings.risk`` at start.
        persist_every_bars: store the cursor and equity every n bars (1 = every bar).
        price_source: live mode's price feed: ``jupiter`` (Price API v3) or ``pyth`` (Hermes).
        pyth_feed_id: the Pyth feed of the pair (default SOL/USD).
        feed_interval_s: live mode: seconds between price polls.
        keystore_key: live mode: the key's name in the keystore.
        use_jito: live mode: send every transaction as a Jito bundle (``execution.jito_url``).
        rpc_rate_per_s: live mode: request rate per RPC endpoint (public endpoints allow ~10).
    """

    symbol: str = "SOL/USDT"
    timeframe: str = "5m"
    bars: pd.DataFrame | None = None
    max_bars: int | None = None
    speed: float | None = None
    pools: tuple[PoolSpec, ...] = DEFAULT_POOLS
    wallet_quote: Decimal = Decimal(10_000)
    wallet_sol: Decimal = Decimal(10)
    snapshot_path: Path | None = None
    stop_at_end: bool = False
    serve_metrics: bool = True
    metrics_port: int | None = None
    poll_s: float = 0.2
    stale_after_s: float | None = None
    handle_signals: bool = True
    seeds: tuple[StrategySeed, ...] = DEFAULT_STRATEGIES
    limits: dict[str, Any] = field(default_factory=dict)
    persist_every_bars: int = 1
    price_source: str = "jupiter"
    pyth_feed_id: str = SOL_USD_PYTH_FEED
    feed_interval_s: float = 5.0
    keystore_key: str = "default"
    use_jito: bool = False
    rpc_rate_per_s: float = 10.0


@dataclass(slots=True, kw_only=True)
class StrategySlot:
    """One configured strategy inside the engine.

    Attributes:
        name / kind / symbol / params: its configuration row.
        enabled: running (True) or stopped.
        strategy: the event-strategy instance.
        status: ``running``, ``stopped`` or ``error: ...``.
        position: base tokens this strategy holds, from its fills.
        cost / realised: average-cost book of that position, quote units.
        orders / fills: counts since start.
    """

    name: str
    kind: str
    symbol: str
    params: dict[str, Any]
    enabled: bool
    strategy: EventStrategy[Any]
    status: str = "running"
    position: Decimal = _ZERO
    cost: Decimal = _ZERO
    realised: Decimal = _ZERO
    orders: int = 0
    fills: int = 0

    def book(self, fill: Fill) -> None:
        """Average-cost bookkeeping of this strategy's own position."""
        if fill.side is Side.BUY:
            self.position += fill.base_amount
            self.cost += fill.quote_amount
        else:
            if self.position > 0:
                share = min(fill.base_amount / self.position, Decimal(1))
                removed = self.cost * share
                self.cost -= removed
                self.realised += fill.quote_amount - removed
            self.position -= fill.base_amount
        self.fills += 1

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready status for the dashboard and /health."""
        return {"kind": self.kind, "symbol": self.symbol, "enabled": self.enabled,
                "status": self.status, "position": str(self.position),
                "avg_cost": str(self.cost / self.position) if self.position else "0",
                "realised": str(self.realised), "orders": self.orders, "fills": self.fills,
                "params": self.params}


def _json_params(params: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in params.items():
        if isinstance(v, Decimal):
            v = str(v)
        elif isinstance(v, tuple):
            v = list(v)
        out[k] = v
    return out


def _make_strategy(kind: str, params: dict[str, Any]) -> EventStrategy[Any]:
    spec = get_strategy(kind)
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in params.items()}
    strategy = spec.event_cls(spec.make_params(values))
    strategy.on_start()
    return strategy


def _check_mode(settings: Settings, config: EngineConfig) -> str:
    """``paper`` or ``live``; live only with the opt-in, a keystore file and RPC endpoints."""
    if settings.engine.mode != "live" and settings.profile != "live":
        return "paper"
    if not settings.engine.live_opt_in:
        raise ConfigError(
            "Live mode sends real orders and needs an explicit opt-in: set "
            "engine.live_opt_in = true (WORKBENCH_ENGINE__LIVE_OPT_IN=true) besides "
            "engine.mode = 'live', and execution.keystore_path. Refusing to start.",
            setting="engine.live_opt_in")
    path = settings.execution.keystore_path
    if path is None or not Path(path).is_file():
        raise ConfigError(
            f"Live mode needs the encrypted keystore named by execution.keystore_path, but "
            f"{'none is set' if path is None else f'{path} does not exist'}. Create one with "
            "`workbench keys create` and set execution.keystore_path "
            "(WORKBENCH_EXECUTION__KEYSTORE_PATH). Refusing to start.",
            setting="execution.keystore_path")
    if not settings.execution.rpc_urls:
        raise ConfigError("Live mode needs at least one RPC endpoint in execution.rpc_urls.",
                          setting="execution.rpc_urls")
    if config.price_source not in ("jupiter", "pyth"):
        raise ConfigError(f"price_source={config.price_source!r} is not 'jupiter' or 'pyth'.",
                          setting="price_source")
    return "live"


class Engine:
    """The trading engine.

    Args:
        settings: workbench settings (``engine.mode`` paper or live).
        store: an open store (default: from settings); migrated on start.
        config: :class:`EngineConfig`.
        alerter: alerts (default: from ``settings.alerts``).
        probe: ``(point, client_order_id)`` called at each step of the order lifecycle
            (``accepted``, ``submitted``, ``landed_unsaved``, ``landed``, ``fill_saved``,
            ``filled``, ``bar_done``); tests use it to crash the process at exact points.
        chain_wrapper: wraps the chain (fault injection in tests).
        http: live mode: the HTTP client for RPC, Jupiter and the price feed (default: one
            owned and closed by the engine).
        clock_ns: live mode: wall time of price ticks and fills (tests step it).
        feed_sleep: live mode: the pause between price polls (tests return at once).
        passphrase_prompt: live mode: asks for the keystore passphrase when
            ``WORKBENCH_KEYSTORE_PASSPHRASE`` is not set (None: never prompt).

    Live mode (``settings.is_live``: ``profile``/``engine.mode`` live, ``engine.live_opt_in``
    and ``execution.keystore_path``) unlocks the keystore, sends through ``RpcChain`` over
    ``execution.rpc_urls`` to Jupiter (optionally as Jito bundles), simulating every
    transaction first (its compute-unit limit comes from that simulation, its priority fee
    from ``getRecentPrioritizationFees``), and trades bars built from a live price feed.

    Raises:
        ConfigError: live mode without the explicit opt-in, or without a keystore file.
    """

    def __init__(self, settings: Settings, *, store: Store | None = None,
                 config: EngineConfig | None = None, alerter: Alerter | None = None,
                 probe: Callable[[str, str], Any] | None = None,
                 chain_wrapper: Callable[[Any], Any] | None = None,
                 http: httpx.AsyncClient | None = None,
                 clock_ns: Callable[[], int] = time.time_ns,
                 feed_sleep: Callable[[float], Any] | None = None,
                 passphrase_prompt: Callable[[str], str] | None = getpass.getpass) -> None:
        self.config = config or EngineConfig()
        self.mode = _check_mode(settings, self.config)
        self.settings = settings
        self.store = store or open_store(settings)
        self._http = http
        self._owns_http = False
        self._clock_ns = clock_ns
        self._feed_sleep = feed_sleep
        self._prompt = passphrase_prompt
        self.hooks: EngineHooks | None = None
        self.probe = probe
        self.chain_wrapper = chain_wrapper
        self.metrics = EngineMetrics()
        self.bus = EventBus()
        self.alerter = alerter or Alerter(settings.alerts)
        self.alerter.on_outcome = lambda what: self.metrics.alerts.labels(what).inc()
        self.supervisor = Supervisor(on_crash=self._on_task_crash)
        self.breaker = CircuitBreaker(BreakerConfig.from_settings(
            settings.risk, settings.data,
            **({"stale_after_s": self.config.stale_after_s}
               if self.config.stale_after_s is not None else {})), _WallClock())
        limits = limits_from_settings(settings.risk)
        self.gate = RiskGate(limits=limits, tokens=dict(WELL_KNOWN))
        base, _, quote = self.config.symbol.partition("/")
        self.pair = Pair(base=WELL_KNOWN[base], quote=WELL_KNOWN[quote])
        self.slots: dict[str, StrategySlot] = {}
        self.market: PaperMarket | None = None
        self.executor: Executor | None = None
        self.portfolio: Portfolio | None = None
        self.metrics_server: MetricsServer | None = None
        self.recovery: RecoveryReport | None = None
        self.marks: dict[str, Decimal] = {}
        self.recent_order_ts: list[int] = []
        self.cursor_ts: int | None = None
        self.bars_done = 0
        self.last_feed_ns: int | None = None
        self.feed_done = False
        self.started_ns = time.time_ns()
        self.stop_reason = ""
        self._stop = asyncio.Event()
        self._bar_ts = 0
        self._fills_by_coid: dict[str, list[Fill]] = {}
        self._stale_alerted = False
        self._bars_frame: pd.DataFrame | None = None
        self._pending: dict[str, Order] = {}
        self._recent_ids: set[str] = set()
        self._exec_ns = 0
        self.depth = DepthPublisher(self._store_depth)

    # --- setup ------------------------------------------------------------------------------

    def _load_bars(self) -> pd.DataFrame:
        frame = self.config.bars
        if frame is None:
            from workbench.samples import load_sample

            frame = load_sample(self.config.symbol, self.config.timeframe)
        if self.config.max_bars is not None:
            frame = frame.iloc[: self.config.max_bars]
        return frame

    def _load_strategies(self) -> None:
        configs = ledger.load_strategy_configs(self.store)
        if configs.empty:
            for seed in self.config.seeds:
                ledger.save_strategy_config(self.store, name=seed.name, kind=seed.kind,
                                            symbol=seed.symbol, params=seed.params,
                                            enabled=seed.enabled)
            configs = ledger.load_strategy_configs(self.store)
        for row in configs.itertuples(index=False):
            if row.symbol != self.config.symbol:
                continue
            try:
                strat = _make_strategy(row.kind, dict(row.params))
                status = "running" if row.enabled else "stopped"
                if self.mode == "live" and row.kind == "arbitrage":
                    # it trades the spread between local pools; live there is one aggregator
                    strat, status = None, "stopped: arbitrage runs on paper pools only"
            except WorkbenchError as exc:
                log.error("strategy %s cannot start: %s", row.name, exc)
                strat, status = None, f"error: {exc}"
            self.slots[row.name] = StrategySlot(
                name=row.name, kind=row.kind, symbol=row.symbol, params=dict(row.params),
                enabled=bool(row.enabled) and strat is not None, strategy=strat,  # type: ignore[arg-type]
                status=status)

    def _load_limits(self) -> None:
        overrides = dict(self.config.limits)
        stored = ledger.get_state(self.store, _LIMITS_KEY) or {}
        stored.pop("ts_updated", None)
        overrides.update(stored)
        limits = self.gate.limits
        for name, value in overrides.items():
            limits, _ = change_limit(limits, name, value, actor="engine-start")
        self.gate = self.gate.with_limits(limits)

    def _load_breaker(self) -> None:
        saved = ledger.get_state(self.store, "breaker")
        if not saved or saved.get("trading_state", "active") == "active":
            return
        reason = saved.get("reason")
        self.breaker.status = BreakerState(
            state=TradingState(saved["trading_state"]),
            reason=TripReason(reason) if reason else None, detail=saved.get("detail", ""),
            tripped_at_ns=saved.get("tripped_at_ns"), until_ns=saved.get("until_ns"))

    def _open_market(self, first_close: Decimal) -> None:
        path = self.config.snapshot_path or (self.settings.data.dir / "paper_chain.pkl")
        self.market = PaperMarket.open(
            pair=self.pair, specs=self.config.pools, start_price=first_close,
            wallet_quote=self.config.wallet_quote, wallet_sol=self.config.wallet_sol,
            snapshot_path=path)
        if ledger.get_state(self.store, _ACCOUNT_KEY) is None:
            if self.market.restored and len(ledger.load_orders(self.store, limit=1)):
                raise StoreError(
                    f"The paper chain snapshot {path} exists but the ledger has no starting "
                    "balances for it; delete the snapshot to start a fresh paper market.")
            self._save_account(first_close)
        chain = self.market.chain
        if self.chain_wrapper is not None:
            chain = self.chain_wrapper(chain)
        self.chain = chain
        self.router = Router(self.market.venues, split=len(self.market.venues) > 1)
        self._make_executor(self.market.wallet, ExecutorConfig.from_settings(
            self.settings.execution, poll_interval_s=0.02, resend_interval_s=0.1),
            ledger_chain=self.market.chain, clock=lambda: self._bar_ts)

    def _save_account(self, start_price: Decimal) -> None:
        assert self.market is not None
        ledger.set_state(self.store, _ACCOUNT_KEY, {
            "owner": str(self.market.owner), "mode": self.mode,
            "balances": {k: str(v) for k, v in self.market.wallet_raw().items()},
            "start_price": str(start_price)})

    def _make_executor(self, wallet: Any, config: ExecutorConfig, *, ledger_chain: Any,
                       clock: Callable[[], int], sender: Any = None) -> None:
        assert self.market is not None
        self._pool_owners = {str(p.authority_pubkey): p.name for p in self.market.pools}
        self.hooks = EngineHooks(self, store=self.store, owner=self.market.owner,
                                 pairs=[self.pair], chain=ledger_chain,
                                 pool_owners=self._pool_owners, mode=self.mode,
                                 strategy="engine")
        self.executor = Executor(
            self.chain, wallet, self.router, config=config, hooks=self.hooks,
            check=lambda _route: self.breaker.state is not TradingState.HALTED,
            clock=clock, timer=self.metrics.observe_ns, sender=sender)

    def _unlock_wallet(self) -> Wallet:
        """The live wallet from the encrypted keystore (the passphrase is never logged)."""
        path = self.settings.execution.keystore_path
        assert path is not None  # checked in __init__
        passphrase = passphrase_from_env_or_prompt(prompt=self._prompt)
        return Keystore(path).unlock(self.config.keystore_key, passphrase)

    def _price_feed(self, http: httpx.AsyncClient) -> PriceFeed:
        data = self.settings.data
        if self.config.price_source == "pyth":
            return PythPriceFeed(HermesClient(HermesConfig(base_url=data.pyth_hermes_url),
                                              client=http), self.config.pyth_feed_id)
        key = data.jupiter_api_key.get_secret_value() if data.jupiter_api_key else None
        client = JupiterPriceClient(
            JupiterPriceConfig(base_url=data.jupiter_base_url, api_key=key,
                               requests_per_s=data.requests_per_s), client=http)
        return JupiterPriceFeed(client, self.pair, self.settings.risk.cash_tokens)

    async def _open_live(self) -> None:
        """Keystore wallet, RpcChain, Jupiter (and Jito), a live price feed."""
        s = self.settings
        wallet = self._unlock_wallet()
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=10.0)
            self._owns_http = True
        http = self._http
        chain: Any = RpcChain.from_settings(http, s.execution,
                                            rate_per_s=self.config.rpc_rate_per_s)
        if self.chain_wrapper is not None:
            chain = self.chain_wrapper(chain)
        self.chain = chain
        jupiter = JupiterVenue(JupiterClient(http, JupiterConfig.from_settings(
            s, api_key=s.data.jupiter_api_key, wrap_and_unwrap_sol=False)))
        self.router = Router([jupiter], split=False)
        self.market = ChainMarket(chain, wallet, self.pair, [jupiter])
        self.feed = self._price_feed(http)
        sender = None
        if self.config.use_jito:
            sender = JitoSender(JitoClient(http, s.execution.jito_url),
                                TipPolicy.from_settings(s.execution))
            await sender.prepare()
        self._make_executor(wallet, ExecutorConfig.from_settings(s.execution), sender=sender,
                            ledger_chain=chain, clock=self._clock_ns)
        await self.market.refresh()
        first = await self.feed.fetch()
        self.last_feed_ns = self._clock_ns()
        stored = ledger.get_state(self.store, _ACCOUNT_KEY)
        if stored is None or stored.get("owner") != str(self.market.owner):
            if stored is not None and len(ledger.load_orders(self.store, limit=1)):
                raise StoreError(
                    f"This store's ledger belongs to wallet {stored.get('owner')}, not the "
                    f"keystore's {self.market.owner}; use a store per wallet "
                    "(database.url).")
            self._save_account(first)
        log.info("live engine: wallet %s on %s, venue %s, prices from %s", self.market.owner,
                 ", ".join(safe_url(u) for u in s.execution.rpc_urls), jupiter.name,
                 self.feed.name)

    def _rebuild_portfolio(self) -> None:
        account = ledger.get_state(self.store, _ACCOUNT_KEY) or {}
        start_price = Decimal(account.get("start_price", "1"))
        bal = {m: int(v) for m, v in account.get("balances", {}).items()}
        cash = {self.pair.base.symbol: from_raw(bal.get(str(self.pair.base.mint), 0),
                                                self.pair.base.decimals),
                self.pair.quote.symbol: from_raw(bal.get(str(self.pair.quote.mint), 0),
                                                 self.pair.quote.decimals)}
        self.marks = {self.pair.base.symbol: start_price, self.pair.quote.symbol: Decimal(1)}
        book = Portfolio(cash=cash, marks=self.marks)
        fills = self._stored_fills()
        for slot in self.slots.values():
            slot.position = slot.cost = slot.realised = _ZERO
        for strategy, fill in fills:
            book.apply_fill(fill)
            slot = self.slots.get(strategy or "")
            if slot is not None:
                slot.book(fill)
        self.portfolio = book

    def _stored_fills(self, coid: str | None = None) -> list[tuple[str | None, Fill]]:
        q = select(*FillRow.__table__.c).order_by(FillRow.id)
        if coid is not None:
            q = q.where(FillRow.client_order_id == coid)
        with self.store.engine.connect() as conn:
            rows = conn.execute(q).mappings().all()
        out = []
        for r in rows:
            out.append((r["strategy"], Fill(
                client_order_id=r["client_order_id"], symbol=r["symbol"], side=Side(r["side"]),
                base_amount=r["base_amount"], quote_amount=r["quote_amount"],
                fee_lamports=int(r["fee_lamports"]), venue=r["venue"],
                signature=r["signature"], ts_event=int(r["ts_event"]))))
        return out

    def _restore_cursor(self) -> None:
        cursor = ledger.get_state(self.store, _CURSOR_KEY)
        if not cursor:
            return
        self.cursor_ts = int(cursor["ts"])
        self.bars_done = int(cursor.get("bars", 0))
        if self.market is not None and cursor.get("closes"):
            self.market.closes = cursor["closes"]
        for name, blob in cursor.get("strategies", {}).items():
            slot = self.slots.get(name)
            if slot is None or slot.strategy is None or blob is None:
                continue
            if blob.get("params") != _json_params(slot.params):
                continue  # parameters changed since: the strategy starts fresh
            state = pickle.loads(base64.b64decode(blob["state"]))
            slot.strategy.__dict__.update(state)

    def _save_cursor(self) -> None:
        strategies = {}
        for name, slot in self.slots.items():
            if slot.strategy is None:
                continue
            state = {k: v for k, v in slot.strategy.__dict__.items()
                     if k != "params" and not callable(v)}
            try:
                blob = base64.b64encode(pickle.dumps(state)).decode()
            except (pickle.PicklingError, TypeError, AttributeError) as exc:
                log.warning("strategy %s state cannot be stored (%s); it restarts fresh after "
                            "a restart", name, exc)
                continue
            strategies[name] = {"params": _json_params(slot.params), "state": blob}
        closes = self.market.closes if self.market is not None else []
        ledger.set_state(self.store, _CURSOR_KEY, {"ts": self._bar_ts, "bars": self.bars_done,
                                                   "strategies": strategies, "closes": closes})

    async def setup(self) -> None:
        """Migrate, load configuration and state, open the market, recover open orders."""
        self.store.upgrade()
        if self.mode == "paper":
            self._bars_frame = self._load_bars()
            if self._bars_frame.empty:
                raise ConfigError("No bars to replay; pass bars or a symbol with a shipped "
                                  "sample.", setting="bars")
        self._load_strategies()
        self._load_limits()
        self._load_breaker()
        if self.mode == "live":
            await self._open_live()
        else:
            assert self._bars_frame is not None
            self._open_market(Decimal(repr(float(self._bars_frame["close"].iloc[0]))))
        self._rebuild_portfolio()
        self._restore_cursor()
        self._load_recent_ids()
        self.recovery = await recover_orders(
            self.store, self.chain, self._recovery_fills,
            **({"sleep": self._paper_sleep, "poll_interval_s": 0.0} if self.mode == "paper"
               else {}))
        if any(self.recovery.as_dict().values()):
            log.warning("recovery: %s", self.recovery.as_dict())
            self.bus.publish("recovery", self.recovery.as_dict())
        assert self.market is not None
        self.market.save()
        if isinstance(self.market, ChainMarket):
            await self.market.refresh()
        self._rebuild_portfolio()  # with any fills recovery found

    def _recovery_fills(self, row: dict[str, Any], landed: Any) -> list[Fill]:
        """The fills of an order found on chain by recovery, booked as the hooks book them."""
        base, quote = str(self.pair.base.mint), str(self.pair.quote.mint)
        side = Side(row["side"])
        if self._kind_of(row["strategy"]) == "arbitrage":
            in_mint = out_mint = quote
        else:
            in_mint, out_mint = (quote, base) if side is Side.BUY else (base, quote)
        owner = str(self.market.owner) if self.market is not None else ""
        swap = SwapFill(client_order_id=row["client_order_id"], signature=str(landed.signature),
                        venues=tuple(v for v in (row.get("venue") or "").split(",") if v),
                        input_mint=in_mint, output_mint=out_mint, in_amount_raw=0,
                        out_amount_raw=0, fee_lamports=landed.fee_lamports, slot=landed.slot,
                        ts_event=int(row["ts_created"]), changes=landed.token_changes(owner))
        return fills_from_swap(swap, self.pair, landed=landed, pool_owners=self._pool_owners)

    def _kind_of(self, strategy: str) -> str:
        slot = self.slots.get(strategy)
        return slot.kind if slot is not None else ""

    async def _paper_sleep(self, seconds: float) -> None:
        # In paper mode the chain's clock is ours: waiting for expiry means advancing it.
        assert isinstance(self.market, PaperMarket)
        self.market.chain.advance(max(1, int(seconds * 2.5)) if seconds else 10)
        await asyncio.sleep(0)

    def _probe(self, point: str, coid: str) -> None:
        if self.probe is not None:
            self.probe(point, coid)

    # --- the pipeline -------------------------------------------------------------------

    async def _feed(self) -> None:
        if self.mode == "live":
            await self._live_feed()
            return
        assert self._bars_frame is not None
        frame = self._bars_frame
        # After a restart: bars after the stored cursor. After a crash of this task in the
        # same process: bars after the last one started (a live feed does not resend a bar;
        # processing it twice would feed it twice to the strategies' in-memory state).
        after = max(self.cursor_ts or 0, self._bar_ts) or None
        if after is not None:
            frame = frame[frame.index.as_unit("ns").asi8 > after]
        speed = self.settings.engine.replay_speed if self.config.speed is None \
            else self.config.speed
        async for bar in replay_bars(frame, symbol=self.config.symbol,
                                     timeframe=self.config.timeframe, speed=speed,
                                     sleep=self._interruptible_sleep):
            if self._stop.is_set():
                return
            await self.on_bar(bar)
        self.feed_done = True
        if self.config.stop_at_end:
            self.stop("replay finished")

    async def _live_feed(self) -> None:
        """Bars from the live price feed; ``max_bars`` (with ``stop_at_end``) ends the run."""
        def tick(_ts_ns: int, _price: Decimal) -> None:
            self.last_feed_ns = time.time_ns()  # freshness is about the wall clock

        n = 0
        async for bar in live_bars(self.feed, symbol=self.config.symbol,
                                   timeframe=self.config.timeframe,
                                   interval_s=self.config.feed_interval_s, stop=self._stop,
                                   clock_ns=self._clock_ns,
                                   sleep=self._feed_sleep or self._interruptible_sleep,
                                   on_tick=tick,
                                   max_jump_pct=self.settings.data.max_jump_pct):
            if self._stop.is_set() or (self.cursor_ts is not None
                                       and bar.ts_event <= self.cursor_ts):
                continue
            await self.on_bar(bar)
            n += 1
            if self.config.max_bars is not None and n >= self.config.max_bars:
                self.feed_done = True
                if self.config.stop_at_end:
                    self.stop("max_bars reached")
                return

    async def _interruptible_sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), seconds)

    async def on_bar(self, bar: Bar) -> None:
        """Process one closed bar end to end."""
        t_bar = time.perf_counter_ns()
        assert self.market is not None and self.portfolio is not None
        self._bar_ts = bar.ts_event
        self.last_feed_ns = time.time_ns()
        base = self.pair.base.symbol
        close = bar.close
        self.breaker.on_price(base, close)
        self.marks[base] = close
        self.portfolio.set_marks({base: close})
        if isinstance(self.market, ChainMarket):
            try:
                await self.market.refresh()  # what the wallet holds now, once per bar
            except VenueError as exc:  # trade on the last balances; /health shows the chain
                log.warning("balances not refreshed (%s); using the last ones read", exc)
        else:
            self.market.on_close(close, bar_seconds=timeframe_seconds(bar.timeframe))
        # tick-to-order starts once the paper venue has moved: the pools' price tracking is
        # the simulated market, not the engine's decision path; executions of earlier
        # decisions in the same bar are subtracted as well (``_exec_ns``)
        t0 = time.perf_counter_ns()
        self._exec_ns = 0
        snapshot_event: VenueSnapshot | None = None
        for slot in list(self.slots.values()):
            if not slot.enabled or slot.strategy is None:
                continue
            event: Any = bar
            if slot.kind == "arbitrage":
                if snapshot_event is None:
                    snapshot_event = self._venue_snapshot(bar)
                event = snapshot_event
                slot.strategy.cash = float(self.portfolio.holdings.get(
                    self.pair.quote.symbol, _ZERO))
            ts = time.perf_counter_ns()
            try:
                decisions = slot.strategy.on_bar(event)
            except Exception as exc:  # user strategy code: stop it, keep the engine
                self._strategy_failed(slot, exc)
                continue
            self.metrics.observe_ns("strategy", time.perf_counter_ns() - ts)
            for i, decision in enumerate(decisions):
                await self._handle(slot, decision, i, bar, t0)
        self.bars_done += 1
        self.metrics.bars.labels(bar.symbol).inc()
        if self.bars_done % self.config.persist_every_bars == 0:
            self._persist_bar()
        self._drain_breaker_events()
        self.bus.publish("bar", {"ts": bar.ts_event, "symbol": bar.symbol,
                                 "close": str(close)})
        self._publish_depth(bar)
        self.metrics.observe_ns("bar", time.perf_counter_ns() - t_bar)
        self._probe("bar_done", str(bar.ts_event))

    def _store_depth(self, key: str, snapshot: dict[str, Any]) -> None:
        ledger.set_state(self.store, key, snapshot)
        self.bus.publish("depth", snapshot)

    def _publish_depth(self, bar: Bar) -> None:
        """Depth of each pool the engine reads (paper pools; none live), throttled; display
        only, so a failure is logged and trading goes on."""
        assert self.market is not None
        try:
            self.depth.maybe_publish(
                symbol=self.pair.symbol, timeframe=self.config.timeframe, ts=bar.ts_event,
                reserves=self.market.reserves(),
                fee_bps={p.name: p.fee_bps for p in self.config.pools},
                base_decimals=self.pair.base.decimals, quote_decimals=self.pair.quote.decimals)
        except WorkbenchError as exc:
            log.warning("depth not published: %s", exc)

    def _persist_bar(self) -> None:
        assert self.portfolio is not None and self.market is not None
        book = self.portfolio
        equity = book.equity_usd
        ledger.save_equity(self.store, ts=self._bar_ts, equity=equity,
                           cash=book.holdings.get(self.pair.quote.symbol, _ZERO),
                           exposure=equity - book.holdings.get(self.pair.quote.symbol, _ZERO),
                           realized_pnl=book.realised_usd, unrealized_pnl=book.unrealised_usd)
        self._save_cursor()
        self.metrics.equity.set(float(equity))
        self.metrics.pnl.labels("realised").set(float(book.realised_usd))
        self.metrics.pnl.labels("unrealised").set(float(book.unrealised_usd))
        self.metrics.pnl.labels("fees").set(float(book.fees_usd))

    def _venue_snapshot(self, bar: Bar) -> VenueSnapshot:
        assert self.market is not None
        prices, depths = {}, {}
        bd, qd = self.pair.base.decimals, self.pair.quote.decimals
        for name, (b, q) in self.market.reserves().items():
            prices[name] = from_raw(q, qd) / from_raw(b, bd)
            depths[name] = from_raw(q, qd)
        # three signatures (wallet + two pool authorities) at 5,000 lamports each
        fixed = Decimal(15_000) / Decimal(10**9) * bar.close
        return VenueSnapshot(ts_event=bar.ts_event, prices=prices, depths=depths,
                             fixed_cost_quote=fixed)

    def _strategy_failed(self, slot: StrategySlot, exc: BaseException) -> None:
        err = StrategyError(f"Strategy {slot.name} raised {type(exc).__name__}: {exc}; it is "
                            "stopped, the engine keeps running. Fix it and `workbench ctl start "
                            f"{slot.name}`.")
        log.error("%s", err)
        slot.enabled = False
        slot.status = f"error: {type(exc).__name__}: {exc}"
        self.bus.publish("strategy", {"name": slot.name, "status": slot.status})
        self.alerter.notify("strategy_error", str(err), strategy=slot.name)

    def _load_recent_ids(self) -> None:
        """Order ids of the bars a restart may process again (those after the cursor)."""
        with self.store.engine.connect() as conn:
            q = select(OrderRow.client_order_id)
            if self.cursor_ts is not None:
                q = q.where(OrderRow.ts_created > self.cursor_ts)
            self._recent_ids = set(conn.execute(q).scalars())

    def _is_known(self, coid: str) -> bool:
        # Orders of bars before the cursor are never decided again, and every order this
        # process stores is added here, so the set answers without a query on the hot path.
        return coid in self._recent_ids

    def _known_order(self, coid: str) -> str | None:
        with self.store.engine.connect() as conn:
            return conn.execute(select(OrderRow.status)
                                .where(OrderRow.client_order_id == coid)).scalar()

    def _order_for(self, slot: StrategySlot, d: Decision, coid: str, bar: Bar) -> Order | None:
        assert self.portfolio is not None
        price = bar.close
        amount = d.amount
        if d.legs:
            price = self._venue_price(d.legs[0][0]) or price
        if amount is None:
            if d.side is Side.BUY:
                cash = self.portfolio.holdings.get(self.pair.quote.symbol, _ZERO)
                amount = (cash / price).quantize(Decimal(1).scaleb(-self.pair.base.decimals),
                                                 rounding=ROUND_DOWN)
            else:
                amount = min(slot.position, self._tradable_base())
        if amount <= 0:
            return None
        return Order(client_order_id=coid, strategy=slot.name, symbol=self.pair.symbol,
                     side=d.side, amount=amount, price=price, venue=None,
                     max_slippage_bps=min(100, self.gate.limits.max_slippage_bps),
                     ts_init=bar.ts_event)

    def _venue_price(self, name: str) -> Decimal | None:
        assert self.market is not None
        res = self.market.reserves().get(name)
        if res is None or res[0] == 0:
            return None
        return from_raw(res[1], self.pair.quote.decimals) / from_raw(res[0],
                                                                      self.pair.base.decimals)

    def _tradable_base(self) -> Decimal:
        assert self.market is not None
        return from_raw(self.market.base_raw(), self.pair.base.decimals)

    async def _handle(self, slot: StrategySlot, d: Decision, i: int, bar: Bar, t0: int) -> None:
        coid = f"{slot.name}-{bar.ts_event}-{i}"
        if self._is_known(coid):
            # The bar is processed again after a restart: the order exists, never resend it.
            for _strategy, fill in self._stored_fills(coid):
                slot.strategy.on_fill(fill)
            return
        order = self._order_for(slot, d, coid, bar)
        if order is None:
            return
        t = time.perf_counter_ns()
        assert self.portfolio is not None
        snap = self.portfolio.snapshot(order.ts_init,
                                       recent_order_ts=tuple(self.recent_order_ts[-500:]))
        verdict = self.gate.check(order, snap, self.marks, state=self.breaker.state)
        self.metrics.observe_ns("risk", time.perf_counter_ns() - t)
        if verdict.action is not Action.REJECT:
            # the decision is made: what follows (storing, sending) is execution
            self.metrics.observe_ns("tick_to_order",
                                    time.perf_counter_ns() - t0 - self._exec_ns)
        t_store = time.perf_counter_ns()
        event = decision_event(verdict)
        slot.orders += 1
        if verdict.action is Action.REJECT:
            ledger.save_order(self.store, order, status=OrderStatus.REJECTED, mode=self.mode,
                              reason=f"{verdict.rule}: {verdict.detail}"[:500])
            self._recent_ids.add(coid)
            if event is not None:
                ledger.record_risk_event(self.store, event)
            self.metrics.rejections.labels(str(verdict.rule)).inc()
            self.metrics.orders.labels(slot.name, "rejected").inc()
            self.bus.publish("order", {"client_order_id": coid, "status": "rejected",
                                       "rule": str(verdict.rule), "detail": verdict.detail})
            if verdict.rule is not None and str(verdict.rule) in ("daily_loss", "drawdown"):
                self.breaker.on_limit_breach(str(verdict.rule), verdict.detail)
                self.alerter.notify("breach", f"{verdict.rule}: {verdict.detail}")
            self._exec_ns += time.perf_counter_ns() - t_store
            return
        if verdict.action is Action.RESIZE:
            if event is not None:
                ledger.record_risk_event(self.store, event)
            order = verdict.order
        self.recent_order_ts.append(order.ts_init)
        if len(self.recent_order_ts) > 1000:
            del self.recent_order_ts[:-500]
        assert self.hooks is not None
        self.hooks.track(order, self.pair)  # stored ACCEPTED by the hooks' prepared writer
        self._recent_ids.add(coid)
        self._probe("accepted", coid)
        await self._execute(slot, order, d)
        self._exec_ns += time.perf_counter_ns() - t_store

    async def _execute(self, slot: StrategySlot, order: Order, d: Decision) -> None:
        assert self.executor is not None and self.portfolio is not None
        t = time.perf_counter_ns()
        coid = order.client_order_id
        self._pending[coid] = order
        assert self.hooks is not None
        self.hooks.track(order, self.pair, saved=True)
        try:
            if d.legs:
                await self._execute_arbitrage(order, d)
            else:
                await self._execute_single(order, d)
        except (OrderRejected, TxError, VenueError) as exc:
            status = self._known_order(coid) or "failed"
            if status in ("accepted", "new"):
                ledger.set_order_status(self.store, coid, OrderStatus.REJECTED,
                                        reason=str(exc)[:500])
                status = "rejected"
            self.metrics.orders.labels(slot.name, status).inc()
            reason = getattr(exc, "reason", type(exc).__name__)
            self.metrics.rejections.labels(str(reason)).inc()
            if not isinstance(exc, OrderRejected) or reason not in ("no_profit", "risk"):
                self.breaker.record_failure(f"{coid}: {type(exc).__name__}")
            self.bus.publish("order", {"client_order_id": coid, "status": status,
                                       "error": str(exc)[:300]})
            return
        finally:
            self._pending.pop(coid, None)
            # the engine is done with the order here, even one still submitted after a
            # timeout: recovery books a late fill from the ledger's intent
            self.hooks.forget(coid, force=True)
            self.metrics.observe_ns("execute", time.perf_counter_ns() - t)
        fills = self._fills_by_coid.pop(coid, [])
        if isinstance(self.market, ChainMarket):
            await self.market.refresh()
        self.breaker.record_success()
        self.metrics.orders.labels(slot.name, "filled").inc()
        for fill in fills:
            self.portfolio.apply_fill(fill)
            slot.book(fill)
            slot.strategy.on_fill(fill)
            self.metrics.fills.labels(slot.name).inc()
            payload = {"client_order_id": coid, "strategy": slot.name, "side": str(fill.side),
                       "base_amount": str(fill.base_amount),
                       "quote_amount": str(fill.quote_amount), "venue": fill.venue,
                       "signature": fill.signature, "ts_event": fill.ts_event}
            self.bus.publish("fill", payload)
            self.alerter.notify("fill", f"{slot.name} {fill.side} {fill.base_amount} "
                                f"{self.pair.base} for {fill.quote_amount} {self.pair.quote} "
                                f"on {fill.venue}", **payload)

    async def _execute_single(self, order: Order, d: Decision) -> None:
        assert self.executor is not None and self.portfolio is not None
        base, quote = self.pair.base, self.pair.quote
        venue = None
        if order.side is Side.BUY:
            spend_mint, get_mint = quote.mint, base.mint
            if d.amount is None:
                cash_raw = to_raw(self.portfolio.holdings.get(quote.symbol, _ZERO),
                                  quote.decimals, rounding=ROUND_DOWN)
                spend = min(cash_raw, to_raw(order.amount * order.price, quote.decimals,
                                             rounding=ROUND_DOWN))
            else:
                venue, spend = await self._size_buy(to_raw(order.amount, base.decimals,
                                                           rounding=ROUND_DOWN))
        else:
            spend_mint, get_mint = base.mint, quote.mint
            spend = min(to_raw(order.amount, base.decimals, rounding=ROUND_DOWN),
                        to_raw(self._tradable_base(), base.decimals))
        if spend <= 0:
            raise OrderRejected(f"Order {order.client_order_id}: nothing to spend.",
                                reason="no_balance")
        await self.executor.execute(SwapIntent(
            client_order_id=order.client_order_id, input_mint=str(spend_mint),
            output_mint=str(get_mint), in_amount_raw=spend,
            slippage_bps=order.max_slippage_bps, venue=venue))

    async def _size_buy(self, base_raw: int) -> tuple[str, int]:
        """The venue and the least quote input that buys at least ``base_raw`` base units.

        The backtester's grid buys an exact base amount (``cp_buy_base``); an AMM takes an
        exact input, so the input is searched: quotes are concave in the input, so scaling by
        the average rate undershoots and a few secant steps converge from below.
        """
        base, quote = self.pair.base, self.pair.quote
        price = self.marks[base.symbol]
        guess = to_raw(from_raw(base_raw, base.decimals) * price * Decimal("1.003"),
                       quote.decimals, rounding=ROUND_DOWN) + 1
        req = QuoteRequest(input_mint=str(quote.mint), output_mint=str(base.mint),
                           in_amount_raw=guess)
        route = await self.router.route(req)
        venue = route.legs[0].venue
        spend, out = guess, route.legs[0].quote.out_amount_raw
        if self.mode == "live":
            # every quote is a request to a rate-limited API: scale once by the quoted rate
            # (plus 0.1% for the curve) and check; a little more base than asked is fine
            for _ in range(3):
                if out >= base_raw:
                    return venue.name, spend
                spend = -(-spend * base_raw * 1001 // (max(out, 1) * 1000))
                out = (await venue.quote(replace(req, in_amount_raw=spend))).out_amount_raw
            raise OrderRejected(f"Cannot size a buy of {base_raw} base units on {venue.name}: "
                                f"{spend} in quotes {out} out.", reason="no_route",
                                venue=venue.name)
        for _ in range(40):
            if out >= base_raw:
                # step down while it still suffices (the guess may overshoot)
                lo, hi = 0, spend
                if out > base_raw:
                    guess_lo = spend * base_raw // out
                    q = await venue.quote(replace(req, in_amount_raw=guess_lo))
                    if q.out_amount_raw < base_raw:
                        lo = guess_lo  # a verified insufficient input bounds the search
                    while hi - lo > 1:
                        mid = (lo + hi) // 2
                        q = await venue.quote(replace(req, in_amount_raw=mid))
                        if q.out_amount_raw >= base_raw:
                            hi = mid
                        else:
                            lo = mid
                return venue.name, hi
            spend = spend + max(1, -(-(base_raw - out) * spend // max(out, 1)))
            out = (await venue.quote(replace(req, in_amount_raw=spend))).out_amount_raw
        raise OrderRejected(f"Cannot size a buy of {base_raw} base units on {venue.name}.",
                            reason="no_route", venue=venue.name)

    async def _execute_arbitrage(self, order: Order, d: Decision) -> None:
        assert self.executor is not None and d.amount
        quote, base = self.pair.quote, self.pair.base
        buy_venue, sell_venue = d.legs[0][0], d.legs[1][0]
        q_in = d.legs[0][2] * order.amount / d.amount  # resized by the gate: scale the input
        q_raw = to_raw(q_in, quote.decimals, rounding=ROUND_DOWN)
        v1, v2 = self.router.venue(buy_venue), self.router.venue(sell_venue)
        q1 = await v1.quote(QuoteRequest(input_mint=str(quote.mint), output_mint=str(base.mint),
                                         in_amount_raw=q_raw, slippage_bps=0))
        q2 = await v2.quote(QuoteRequest(input_mint=str(base.mint), output_mint=str(quote.mint),
                                         in_amount_raw=q1.min_out_amount_raw, slippage_bps=0))
        if q2.out_amount_raw <= q_raw:
            raise OrderRejected(f"Arbitrage {order.client_order_id} no longer profitable: "
                                f"{q_raw} in, {q2.out_amount_raw} out.", reason="no_profit")
        q2 = replace(q2, min_out_amount_raw=max(q2.min_out_amount_raw, q_raw + 1))
        route = Route(kind="arbitrage", legs=(RouteLeg(venue=v1, quote=q1),
                                               RouteLeg(venue=v2, quote=q2)),
                      input_mint=str(quote.mint), output_mint=str(quote.mint),
                      in_amount_raw=q_raw, out_amount_raw=q2.out_amount_raw,
                      min_out_amount_raw=q2.min_out_amount_raw)
        await self.executor.execute(SwapIntent(
            client_order_id=order.client_order_id, input_mint=str(quote.mint),
            output_mint=str(quote.mint), in_amount_raw=q_raw, slippage_bps=0), route=route)

    # --- control --------------------------------------------------------------------------

    async def apply_command(self, command: str, args: dict[str, Any],
                            actor: str) -> tuple[bool, str]:
        """Apply one control command; returns (ok, what happened)."""
        if command in ("start", "stop"):
            name = str(args.get("name") or args.get("strategy") or "")
            slot = self.slots.get(name)
            if slot is None:
                return False, f"no strategy {name!r}; known: {sorted(self.slots)}"
            enable = command == "start"
            ledger.set_strategy_enabled(self.store, name, enable)
            if enable and slot.strategy is None:
                slot.strategy = _make_strategy(slot.kind, slot.params)
            slot.enabled = enable
            slot.status = "running" if enable else "stopped"
            if not enable and slot.strategy is not None:
                slot.strategy.on_stop()
            self.bus.publish("strategy", {"name": name, "status": slot.status, "by": actor})
            return True, f"{name} {slot.status}"
        if command == "set_param":
            name = str(args.get("name") or args.get("strategy") or "")
            slot = self.slots.get(name)
            if slot is None:
                return False, f"no strategy {name!r}; known: {sorted(self.slots)}"
            params = {**slot.params, **dict(args.get("params", {}))}
            strategy = _make_strategy(slot.kind, params)  # validates; ConfigError names the key
            ledger.save_strategy_config(self.store, name=name, kind=slot.kind, symbol=slot.symbol,
                                        params=_json_params(params), enabled=slot.enabled)
            slot.params, slot.strategy = _json_params(params), strategy
            if slot.status.startswith("error"):
                slot.status = "running" if slot.enabled else "stopped"
            self.bus.publish("strategy", {"name": name, "params": slot.params, "by": actor})
            return True, f"{name} params {slot.params} (state restarted)"
        if command == "set_limit":
            limits = self.gate.limits
            records = []
            changes = dict(args.get("limits") or {})
            if "name" in args:
                changes[str(args["name"])] = args.get("value")
            if not changes:
                return False, "set_limit needs {'limits': {field: value}} or {'name', 'value'}"
            for key, value in changes.items():
                limits, record = change_limit(limits, key, value, actor=actor)
                records.append(record)
            self.gate = self.gate.with_limits(limits)
            stored = ledger.get_state(self.store, _LIMITS_KEY) or {}
            stored.pop("ts_updated", None)
            stored.update({r["field"]: r["new"] for r in records})
            ledger.set_state(self.store, _LIMITS_KEY, stored)
            for record in records:
                ledger.audit(self.store, actor=actor, action="limit_changed", detail=record)
            return True, "; ".join(f"{r['field']}: {r['old']} -> {r['new']}" for r in records)
        if command == "reset_breaker":
            self.breaker.reset(actor=actor)
            self._stale_alerted = False
            self._drain_breaker_events()
            self._publish_state()
            return True, "breaker reset to active"
        if command == "kill":
            return await self._kill(actor, bool(args.get("flatten", False)))
        return False, f"unknown command {command!r}"

    async def _kill(self, actor: str, flatten: bool) -> tuple[bool, str]:
        assert self.portfolio is not None
        pending = list(self._pending.values())
        holdings = {self.pair.base.symbol: self._tradable_base()}
        result = self.breaker.kill(pending, actor=actor, flatten=flatten, holdings=holdings,
                                   marks=self.marks, quote=self.pair.quote.symbol)
        self._drain_breaker_events()
        for slot in self.slots.values():
            slot.enabled = False
            slot.status = "stopped"
            ledger.set_strategy_enabled(self.store, slot.name, False)
        self.alerter.notify("breaker", f"kill switch pulled by {actor}"
                            + (" (flatten)" if flatten else ""))
        sold = 0
        for order in result.flatten:
            ledger.save_order(self.store, order, status=OrderStatus.ACCEPTED, mode=self.mode)
            slot = StrategySlot(name=order.strategy, kind="flatten", symbol=order.symbol,
                                params={}, enabled=False, strategy=_Noop())
            await self._execute(slot, order, Decision(ts_event=order.ts_init, side=Side.SELL,
                                                      amount=order.amount, reason="flatten"))
            sold += 1
        self._publish_state()
        return True, (f"kill switch: {len(result.cancelled)} pending cancelled, "
                      f"{sold} flatten orders sent, breaker {result.state.state}")

    # --- state publication --------------------------------------------------------------

    def _drain_breaker_events(self) -> None:
        for ev in self.breaker.drain_events():
            ledger.record_risk_event(self.store, ev)
            self.bus.publish("breaker", {**ev, "state": str(self.breaker.status.state)})
            if ev["kind"] in ("breaker_trip", "kill_switch"):
                self.alerter.notify("breaker", f"breaker {ev['kind']}: {ev['detail']}")

    def breaker_dict(self) -> dict[str, Any]:
        """The breaker state as JSON."""
        st = self.breaker.status
        state = self.breaker.state
        # "ok" for the dashboard; trading_state keeps the risk package's word
        return {"state": "ok" if state is TradingState.ACTIVE else str(state),
                "trading_state": str(state), "reason": str(st.reason) if st.reason else None,
                "detail": st.detail, "tripped_at_ns": st.tripped_at_ns, "until_ns": st.until_ns}

    def health(self) -> dict[str, Any]:
        """The /health document."""
        return build_health(self)

    def _publish_state(self) -> None:
        now = time.time_ns()
        self.metrics.breaker.set(self.breaker.state.severity)
        ledger.set_state(self.store, "heartbeat", {
            "ts": now, "pid": os.getpid(), "mode": self.mode, "bars": self.bars_done,
            "bar_ts": self._bar_ts, "started_ns": self.started_ns,
            "metrics_url": self.metrics_server.url if self.metrics_server else None,
            "stopping": self._stop.is_set()})
        ledger.set_state(self.store, "breaker", self.breaker_dict())
        ledger.set_state(self.store, "strategies",
                         {n: s.as_dict() for n, s in self.slots.items()})
        ledger.set_state(self.store, "limits", {k: str(v) for k, v in
                                                self.gate.limits.as_dict().items()})
        ledger.set_state(self.store, "health", self.health())
        mark = self.marks.get(self.pair.base.symbol)
        if mark is not None:
            ledger.set_state(self.store, "marks", {self.pair.symbol: str(mark)})
        ledger.set_state(self.store, "latency", {"stages": self.metrics.latency_summary()})
        ledger.set_state(self.store, "logs", {"lines": list(_LOG_LINES)})

    def _save_positions(self) -> None:
        rows = [{"strategy": s.name, "symbol": s.symbol, "quantity": s.position,
                 "avg_cost": s.cost / s.position if s.position else _ZERO,
                 "realized_pnl": s.realised, "stops": None} for s in self.slots.values()]
        ledger.save_positions(self.store, rows)

    async def _heartbeat(self) -> None:
        while True:
            self.check_feed()
            self._save_positions()
            self._publish_state()
            await self._interruptible_sleep(self.settings.engine.heartbeat_s)
            if self._stop.is_set():
                return

    def check_feed(self) -> None:
        """Feed lag metric; trip the breaker when a live feed went silent."""
        if self.last_feed_ns is None:
            return
        lag_s = (time.time_ns() - self.last_feed_ns) / 1e9
        self.metrics.feed_lag.labels(self.config.symbol).set(lag_s)
        if self.feed_done:
            return
        stale = self.breaker.check_staleness({self.config.symbol: self.last_feed_ns})
        if stale and not self._stale_alerted:
            self._stale_alerted = True
            self.alerter.notify("stale_feed", f"feed {self.config.symbol} silent for "
                                f"{lag_s:.1f}s; breaker {self.breaker.state}")
        elif not stale:
            self._stale_alerted = False
        self._drain_breaker_events()

    def _on_task_crash(self, name: str, exc: BaseException, restarts: int,
                       backoff: float) -> None:
        self.metrics.restarts.labels(name).inc()
        self.bus.publish("task", {"name": name, "error": f"{type(exc).__name__}: {exc}",
                                  "restarts": restarts, "backoff_s": backoff})
        self.alerter.notify("task_failed", f"task {name} crashed ({type(exc).__name__}: {exc}); "
                            f"restart {restarts} in {backoff:.2f}s")

    def _on_command(self, command: str, ok: bool, actor: str, result: str) -> None:
        self.metrics.commands.labels(command, str(ok).lower()).inc()
        self.bus.publish("command", {"command": command, "ok": ok, "actor": actor,
                                     "result": result})

    # --- lifecycle ------------------------------------------------------------------------

    def stop(self, reason: str = "requested") -> None:
        """Ask the engine to stop after the current bar."""
        if not self._stop.is_set():
            self.stop_reason = reason
            self._stop.set()

    async def start(self) -> None:
        """Set up and start every task (returns once running)."""
        wb_log = logging.getLogger("workbench")
        if _HANDLER not in wb_log.handlers:
            wb_log.addHandler(_HANDLER)
        await self.setup()
        if self.config.serve_metrics:
            port = self.settings.engine.metrics_port if self.config.metrics_port is None \
                else self.config.metrics_port
            self.metrics_server = MetricsServer(self.metrics, self.health, port=port)
            try:
                await self.metrics_server.start()
            except OSError as exc:  # another engine (or anything) holds the port
                self.metrics_server = None
                raise ConfigError(
                    f"Cannot serve /metrics on port {port}: {exc.strerror} (another workbench "
                    "engine?). Set engine.metrics_port (WORKBENCH_ENGINE__METRICS_PORT) to a free "
                    "port, or pass --metrics-port 0 to `workbench run` for any free one.",
                    setting="engine.metrics_port") from None
        # Everything loaded so far (pandas, numba, SQLAlchemy, the bars) lives for the whole
        # run: moving it out of the collector's generations keeps full collections, and their
        # pauses on the order path, short.
        gc.freeze()
        sup = self.supervisor
        sup.spawn("feed", self._feed)
        self.control = ControlPlane(self.store, self.apply_command, poll_s=self.config.poll_s,
                                    redis_url=self.settings.engine.redis_url,
                                    on_applied=self._on_command)
        sup.spawn("control", self.control.run_store)
        if self.settings.engine.redis_url:
            sup.spawn("control-redis", self.control.run_redis)
            self.forwarder = RedisForwarder(self.bus, self.settings.engine.redis_url)
            sup.spawn("redis-events", self.forwarder.run)
        sup.spawn("heartbeat", self._heartbeat)
        if self.alerter.enabled:
            sup.spawn("alerts", self.alerter.run)

    async def run(self, duration_s: float | None = None) -> None:
        """Run until stopped (signal, command, end of replay, or ``duration_s``)."""
        loop = asyncio.get_running_loop()
        handled = []
        if self.config.handle_signals:
            for sig in (signal.SIGTERM, signal.SIGINT):
                with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                    loop.add_signal_handler(sig, self.stop, f"signal {sig.name}")
                    handled.append(sig)
        try:
            await self.start()
            if duration_s is not None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), duration_s)
                self.stop(f"duration {duration_s}s reached")
            else:
                await self._stop.wait()
        finally:
            await self.shutdown()
            for sig in handled:
                loop.remove_signal_handler(sig)

    async def shutdown(self) -> None:
        """Let the feed finish its bar, stop every task, publish the final state."""
        self.stop(self.stop_reason or "shutdown")
        feed = self.supervisor._tasks.get("feed")
        if feed is not None and not feed.done():
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(feed), 10)
        await self.supervisor.stop()
        if self.market is not None and self.portfolio is not None:
            with contextlib.suppress(WorkbenchError):
                if self._bar_ts:
                    self._persist_bar()
                self._save_positions()
                self._publish_state()
                ledger.audit(self.store, actor="engine", action="engine_stopped",
                             detail={"reason": self.stop_reason, "bars": self.bars_done})
        if self.hooks is not None:
            self.hooks.close()  # its own DB connection and WAL-checkpoint thread
        if self.metrics_server is not None:
            await self.metrics_server.stop()
        await self.alerter.flush()
        await self.alerter.close()
        close_chain = getattr(getattr(self, "chain", None), "aclose", None)
        if close_chain is not None:  # RpcChain: its shared signature-subscription socket
            with contextlib.suppress(WorkbenchError):
                await close_chain()
        if self._owns_http and self._http is not None:
            await self._http.aclose()
            self._http = None


class EngineHooks(LedgerHooks):
    """The ledger hooks of the engine: :class:`LedgerHooks` plus the crash probes and, in paper
    mode, the chain snapshot written as soon as a swap landed (before its fills are stored,
    so a restart finds on the chain every transaction the ledger may know of)."""

    def __init__(self, engine: Engine, **kw: Any) -> None:
        super().__init__(**kw)
        self.engine = engine

    def on_submitted(self, submitted: SubmittedTx) -> None:
        """Store the signed intent (the executor broadcasts after this returns)."""
        super().on_submitted(submitted)
        self.engine._probe("submitted", submitted.client_order_id)

    def on_status(self, client_order_id: str, status: OrderStatus, detail: str) -> None:
        """Record a status change."""
        super().on_status(client_order_id, status, detail)
        if status is OrderStatus.FILLED:
            self.engine._probe("filled", client_order_id)

    async def on_fill(self, fill: SwapFill) -> list[Fill]:
        """Persist the chain state, then the fills measured on chain."""
        eng, coid = self.engine, fill.client_order_id
        assert eng.market is not None
        eng._probe("landed_unsaved", coid)
        eng.market.record_swap(Signature.from_string(fill.signature))
        eng.market.save()
        eng._probe("landed", coid)
        fills = await super().on_fill(fill)
        eng._fills_by_coid[coid] = fills
        eng._probe("fill_saved", coid)
        return fills


class _Noop(EventStrategy[None]):
    """Stands in for a strategy on kill-switch flatten orders."""

    name = "flatten"

    def __init__(self) -> None:
        super().__init__(None)

    def on_bar(self, bar: Any) -> list[Decision]:
        return []

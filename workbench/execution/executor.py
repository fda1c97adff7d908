"""The executor: decided order -> quote -> risk check -> build -> sign -> simulate -> store
intent -> send -> confirm -> fill from the chain.

The same code runs in paper mode (``LiteSVMChain``) and live (``RpcChain``); only the
:class:`~workbench.chain.base.Chain` differs. Invariants:

* The intent (signed bytes, signature, ``last_valid_block_height``) is persisted through
  ``hooks.on_submitted`` BEFORE the first broadcast, so a crash can always be reconciled.
* One client order id has at most one transaction that can still land. A new transaction
  is only signed after the previous one is proven expired (:mod:`.confirm`).
* A fill is what the chain says: the owner's pre/post token balances of the confirmed
  transaction, never the quote.
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_DOWN
from typing import Any, Protocol

from solders.address_lookup_table_account import AddressLookupTableAccount
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.transaction import VersionedTransaction

from workbench.chain.base import Chain
from workbench.chain.classify import classify_tx_error
from workbench.chain.types import Commitment, ConfirmedTx
from workbench.domain import (
    Fill,
    Order,
    OrderStatus,
    Pair,
    QuoteRequest,
    Side,
    SwapPlan,
    TokenBalanceChange,
    from_raw,
    to_raw,
)
from workbench.errors import (
    InsufficientFunds,
    OrderRejected,
    SlippageExceeded,
    TemporaryVenueError,
    TxError,
    TxExpired,
)
from workbench.execution.confirm import Sender, send_and_confirm
from workbench.execution.keystore import Wallet
from workbench.execution.priority_fees import percentile_fee
from workbench.execution.router import Route, Router
from workbench.execution.transactions import (
    FastSigner,
    build_message,
    compute_unit_limit,
    sign_prebuilt,
    sign_with,
)
from workbench.retry import RetryPolicy

__all__ = [
    "ExecutionHooks",
    "Executor",
    "ExecutorConfig",
    "SubmittedTx",
    "SwapFill",
    "SwapIntent",
]

log = logging.getLogger(__name__)
_NO_SIGNATURE = Signature.default()
_MAX_FEE_ACCOUNTS = 128


def _fee_accounts(instructions: Sequence[Instruction]) -> list[Pubkey]:
    """Writable non-signer accounts: the local fee markets the transaction competes in."""
    seen: dict[Pubkey, None] = {}
    for ix in instructions:
        for meta in ix.accounts:
            if meta.is_writable and not meta.is_signer:
                seen[meta.pubkey] = None
    return list(seen)[:_MAX_FEE_ACCOUNTS]


@dataclass(frozen=True, slots=True, kw_only=True)
class ExecutorConfig:
    """How the executor builds and confirms.

    Attributes:
        simulate: simulate before sending and refuse on failure.
        cu_limit_default: compute-unit limit when the chain's counts are not mainnet's
            (LiteSVM), or when not simulating.
        cu_margin_pct: margin over simulated units on a mainnet-like chain.
        priority_fee_percentile / priority_fee_cap_microlamports: see ``priority_fees``.
        commitment: confirmation level waited for.
        poll_interval_s / resend_interval_s: confirmation loop pacing.
        expired_retries: how many times an expired order is re-quoted and re-signed.
        prebuilt_lvbh_margin_blocks: added to our latest ``lastValidBlockHeight`` for a venue
            transaction signed over another blockhash (see ``_sign_prebuilt``).
        confirm_by_subscription: when the chain has a ``ws_url`` (``RpcChain``), learn the
            outcome from ``signatureSubscribe`` and poll only while the socket is down
            (see :mod:`.confirm`); False polls throughout.
        ws_policy: reconnect backoff of that subscription (default: ``Subscription``'s).
        subscribed_poll_interval_s: while subscribed, statuses are still polled this often
            (a notification that never comes costs at most this much).
    """

    simulate: bool = True
    cu_limit_default: int = 200_000
    cu_margin_pct: int = 15
    priority_fee_percentile: int = 75
    priority_fee_cap_microlamports: int = 1_000_000
    commitment: Commitment = Commitment.CONFIRMED
    poll_interval_s: float = 0.4
    resend_interval_s: float = 2.0
    expired_retries: int = 0
    prebuilt_lvbh_margin_blocks: int = 150
    confirm_by_subscription: bool = True
    ws_policy: RetryPolicy | None = None
    subscribed_poll_interval_s: float = 5.0

    @classmethod
    def from_settings(cls, settings: Any, **overrides: Any) -> ExecutorConfig:
        """From ``Settings.execution`` (an ``ExecutionSettings``)."""
        values = {
            "simulate": settings.simulate,
            "priority_fee_percentile": settings.priority_fee_percentile,
            "priority_fee_cap_microlamports": settings.priority_fee_cap_microlamports,
            "commitment": Commitment(settings.commitment),
            "confirm_by_subscription": settings.confirm_by_subscription,
        }
        values.update(overrides)
        return cls(**values)


@dataclass(frozen=True, slots=True, kw_only=True)
class SwapIntent:
    """A decided swap at the mint level.

    Attributes:
        client_order_id: unique; written in the memo.
        input_mint / output_mint: base58 mints.
        in_amount_raw: exact input, base units.
        slippage_bps: output floor versus the quote.
        venue: force one venue; None lets the router choose.
    """

    client_order_id: str
    input_mint: str
    output_mint: str
    in_amount_raw: int
    slippage_bps: int = 50
    venue: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SubmittedTx:
    """The intent persisted before sending: enough to re-broadcast or reconcile after a crash.

    Attributes:
        client_order_id: the order.
        signature: base58 signature (the transaction's identity).
        tx_bytes: the exact signed bytes; re-broadcast only these.
        last_valid_block_height: after this height it can no longer land.
        venues: venue names of the route's legs.
        in_amount_raw / min_out_amount_raw: what the route spends and must at least get.
        attempt: 0 for the first transaction of the order, +1 per expiry re-sign.
    """

    client_order_id: str
    signature: str
    tx_bytes: bytes
    last_valid_block_height: int
    venues: tuple[str, ...]
    input_mint: str
    output_mint: str
    in_amount_raw: int
    min_out_amount_raw: int
    attempt: int = 0

    def __repr__(self) -> str:
        return (f"SubmittedTx({self.client_order_id!r}, signature={self.signature}, "
                f"lvbh={self.last_valid_block_height}, attempt={self.attempt})")


@dataclass(frozen=True, slots=True, kw_only=True)
class SwapFill:
    """A confirmed swap, measured from the chain.

    Attributes:
        in_amount_raw / out_amount_raw: spent and received, from the owner's token balances.
        fee_lamports: network + priority fee (+ tip, when sent as a bundle).
        changes: every token balance change of the owner in the transaction.
        slot: slot it landed in; ``ts_event`` from the executor's clock (ns).
    """

    client_order_id: str
    signature: str
    venues: tuple[str, ...]
    input_mint: str
    output_mint: str
    in_amount_raw: int
    out_amount_raw: int
    fee_lamports: int
    slot: int
    ts_event: int
    changes: tuple[TokenBalanceChange, ...] = field(default=())


class ExecutionHooks(Protocol):
    """Persistence the engine plugs in (the ledger's save_order / set_order_status / save_fill).

    Any method may be sync or async. ``on_submitted`` must have durably stored the intent when
    it returns: the executor broadcasts only after.
    """

    def on_submitted(self, submitted: SubmittedTx) -> Any:
        """Persist the signed intent (before sending)."""

    def on_status(self, client_order_id: str, status: OrderStatus, detail: str) -> Any:
        """Record a status change (REJECTED, SUBMITTED, FILLED, EXPIRED, FAILED)."""

    def on_fill(self, fill: SwapFill) -> Any:
        """Persist the fill measured from the chain."""


Check = Callable[[Route], Any]
StageTimer = Callable[[str, int], None]


async def _maybe_await(value: Any) -> Any:
    if inspect.isawaitable(value):
        return await value
    return value


def _signer_of(wallet: Wallet | Keypair) -> tuple[Keypair, Pubkey]:
    if isinstance(wallet, Wallet):
        return wallet.keypair, wallet.pubkey
    return wallet, wallet.pubkey()


class Executor:
    """Executes swaps for one wallet on one chain through a router.

    Args:
        chain: LiteSVMChain (paper) or RpcChain (live).
        wallet: the signer (a :class:`Wallet` from the keystore, or a Keypair in tests).
        router: a :class:`Router`, or a sequence of venues to build one.
        config: :class:`ExecutorConfig`.
        hooks: persistence (see :class:`ExecutionHooks`); optional in notebooks.
        check: the risk gate, called with the :class:`Route` before signing; returns a bool or
            an object with ``allowed``/``reason``/``detail`` (``workbench.risk`` Decision).
        clock: ``() -> ns`` for ``ts_event`` (replayed time in paper mode).
        timer: ``(stage, ns)`` callback for per-stage latency (benchmarks).
        sender: alternative broadcaster (e.g. a :class:`~workbench.execution.jito.JitoSender`)
            for every order. When it has ``tail_instructions`` (the tip) they are added to each
            transaction; when it has ``on_landed`` / ``on_expired`` they are told the outcome;
            ``paid_tip_lamports(landed)`` is added to the fill's fee.
        tail_instructions: ``(payer) -> instructions`` added after the venue's (a Jito tip);
            default: the sender's.
    """

    def __init__(
        self,
        chain: Chain,
        wallet: Wallet | Keypair,
        router: Router | Sequence[Any],
        *,
        config: ExecutorConfig | None = None,
        hooks: ExecutionHooks | None = None,
        check: Check | None = None,
        clock: Callable[[], int] = time.time_ns,
        timer: StageTimer | None = None,
        sender: Sender | None = None,
        tail_instructions: Callable[[Pubkey], Sequence[Instruction]] | None = None,
    ) -> None:
        self.chain = chain
        self._keypair, self.owner = _signer_of(wallet)
        self._owner_str = str(self.owner)
        self.router = router if isinstance(router, Router) else Router(list(router))
        self.config = config or ExecutorConfig()
        self.hooks = hooks
        self.check = check
        self.clock = clock
        self.timer = timer
        self.sender = sender
        if tail_instructions is None and sender is not None:
            tail_instructions = getattr(sender, "tail_instructions", None)
        self.tail_instructions = tail_instructions
        self._inflight: dict[str, SubmittedTx] = {}
        self._done: dict[str, str] = {}  # client order id -> final status
        self._alt_cache: dict[Pubkey, AddressLookupTableAccount] = {}
        self._ws_url: str | None = (getattr(chain, "ws_url", None) or None) \
            if self.config.confirm_by_subscription else None
        # id(keypair) -> (keypair, pubkey); the keypair is held so its id is never reused.
        self._signers: dict[int, FastSigner] = {id(self._keypair): FastSigner(self._keypair)}

    def __repr__(self) -> str:
        return f"Executor(chain={self.chain.name}, owner={self.owner})"

    # --- helpers ----------------------------------------------------------------------------

    def _t(self, stage: str, t0: int) -> int:
        t1 = time.perf_counter_ns()
        if self.timer is not None:
            self.timer(stage, t1 - t0)
        return t1

    async def _status(self, coid: str, status: OrderStatus, detail: str = "") -> None:
        if self.hooks is not None:
            await _maybe_await(self.hooks.on_status(coid, status, detail))

    async def _gate(self, coid: str, route: Route) -> None:
        if self.check is None:
            return
        decision = await _maybe_await(self.check(route))
        allowed = decision if isinstance(decision, bool) else bool(decision.allowed)
        if not allowed:
            reason = "risk" if isinstance(decision, bool) else str(decision.reason)
            detail = "" if isinstance(decision, bool) else str(getattr(decision, "detail", ""))
            await self._status(coid, OrderStatus.REJECTED, f"{reason}: {detail}")
            self._done[coid] = OrderStatus.REJECTED
            raise OrderRejected(f"Order {coid} stopped by the risk gate: {reason} {detail}".strip(),
                                reason=reason)

    def _signer(self, kp: Keypair) -> FastSigner:
        # keyed by id(): the FastSigner holds the keypair, so the id is never reused
        hit = self._signers.get(id(kp))
        if hit is None:
            hit = self._signers[id(kp)] = FastSigner(kp)
        return hit

    async def _lookup_tables(self, plans: Sequence[SwapPlan]) -> list[AddressLookupTableAccount]:
        out = []
        for plan in plans:
            for key in plan.lookup_tables:
                if key not in self._alt_cache:
                    self._alt_cache[key] = await self.chain.lookup_table(key)
                out.append(self._alt_cache[key])
        return out

    # --- the pipeline -----------------------------------------------------------------------

    async def quote(self, intent: SwapIntent) -> Route:
        """Route ``intent`` over the enabled venues."""
        return await self.router.route(
            QuoteRequest(input_mint=intent.input_mint, output_mint=intent.output_mint,
                         in_amount_raw=intent.in_amount_raw, slippage_bps=intent.slippage_bps),
            venue=intent.venue)

    async def sign_route(self, coid: str, route: Route) -> tuple[VersionedTransaction, int]:
        """Build, sign and (optionally) simulate the transaction executing ``route``.

        Returns the signed transaction and its ``last_valid_block_height``.

        Raises:
            SimulationFailed / SlippageExceeded / InsufficientFunds: simulation refused it.
        """
        t = time.perf_counter_ns()
        plans = [await leg.venue.build(leg.quote, self.owner) for leg in route.legs]
        if any(p.prebuilt_tx is not None for p in plans):
            if len(plans) != 1:
                raise OrderRejected(
                    f"Route {route.venues} has {len(plans)} legs and includes a prebuilt venue "
                    "transaction, which cannot be composed with the other legs; request the "
                    "venue's instructions (Jupiter /swap-instructions) instead.",
                    reason="prebuilt_not_composable")
            return await self._sign_prebuilt(route, plans[0].venue, plans[0].prebuilt_tx, t)
        instructions: list[Instruction] = []
        signers = [self._keypair]
        for leg, plan in zip(route.legs, plans, strict=True):
            instructions.extend(plan.instructions)
            cosign = getattr(leg.venue, "cosigners", None)
            if cosign is not None:
                signers.extend(cosign(plan))
        tables = await self._lookup_tables(plans)
        tail = list(self.tail_instructions(self.owner)) if self.tail_instructions else []
        t = self._t("build", t)
        bh = await self.chain.latest_blockhash()
        fees = await self.chain.recent_prioritization_fees(_fee_accounts(instructions))
        price = percentile_fee(fees, self.config.priority_fee_percentile,
                               self.config.priority_fee_cap_microlamports)
        mainnet_cu = self.chain.reports_mainnet_compute_units and self.config.simulate
        cu_limit = 1_400_000 if mainnet_cu else self.config.cu_limit_default
        msg = build_message(self.owner, instructions, bh.blockhash, memo=coid, cu_limit=cu_limit,
                            cu_price_micro_lamports=price, lookup_tables=tables, tail=tail)
        fast = [self._signer(s) for s in signers]
        tx = sign_with(msg, fast)
        t = self._t("sign", t)
        if self.config.simulate:
            sim = await self.chain.simulate(tx)
            t = self._t("simulate", t)
            if not sim.ok:
                raise classify_tx_error(sim.err_raw if sim.err_raw is not None else sim.err,
                                        sim.logs, signature=str(tx.signatures[0]),
                                        venue=",".join(route.venues))
            if mainnet_cu:
                msg = build_message(
                    self.owner, instructions, bh.blockhash, memo=coid,
                    cu_limit=compute_unit_limit(sim.units_consumed, self.config.cu_margin_pct),
                    cu_price_micro_lamports=price, lookup_tables=tables, tail=tail)
                tx = sign_with(msg, fast)
                t = self._t("sign", t)
        return tx, bh.last_valid_block_height

    async def _sign_prebuilt(self, route: Route, venue: str, tx_bytes: bytes | None,
                             t: int) -> tuple[VersionedTransaction, int]:
        """Sign a venue-built transaction (Jupiter ``/swap``, Ultra ``/order``) as it is.

        The venue chose its blockhash, compute budget and priority fee, so nothing is added (no
        memo either: the client order id is kept in the ledger only). Its
        ``lastValidBlockHeight`` is not in the plan, so the one used for expiry is an upper
        bound: exact when the venue used our latest blockhash, else ours plus
        ``prebuilt_lvbh_margin_blocks``. Too high only delays declaring expiry; too low could
        let a second transaction be signed while the first can still land.
        """
        tx = sign_prebuilt(tx_bytes or b"", self._keypair, self.owner)
        msg = tx.message
        if msg.account_keys[0] != self.owner:
            raise OrderRejected(
                f"The {venue} transaction's fee payer is {msg.account_keys[0]}, not this "
                f"wallet {self.owner}; send it through the venue (Ultra /execute) instead.",
                reason="foreign_fee_payer", venue=venue)
        unsigned = [str(k) for k, sig in zip(msg.account_keys, tx.signatures, strict=False)
                    if sig == _NO_SIGNATURE]
        if unsigned:
            raise OrderRejected(
                f"The {venue} transaction still needs signatures from "
                f"{', '.join(unsigned)}; only the venue can add them.",
                reason="missing_signer", venue=venue)
        t = self._t("sign", t)
        bh = await self.chain.latest_blockhash()
        lvbh = bh.last_valid_block_height
        if msg.recent_blockhash != bh.blockhash:
            lvbh += self.config.prebuilt_lvbh_margin_blocks
        if self.config.simulate:
            sim = await self.chain.simulate(tx)
            t = self._t("simulate", t)
            if not sim.ok:
                raise classify_tx_error(sim.err_raw if sim.err_raw is not None else sim.err,
                                        sim.logs, signature=str(tx.signatures[0]),
                                        venue=",".join(route.venues))
        return tx, lvbh

    async def execute(self, intent: SwapIntent, *, route: Route | None = None) -> SwapFill:
        """Execute ``intent`` end to end and return the fill measured on chain.

        Args:
            intent: the decided swap.
            route: a precomputed route (an arbitrage, or one chosen in a notebook); default:
                route ``intent`` now.

        Raises:
            OrderRejected: duplicate client order id, no route, or stopped by the risk gate.
            SimulationFailed / SlippageExceeded / InsufficientFunds: refused before sending.
            TxFailed: landed and failed.
            TxExpired: did not land in time (after ``expired_retries`` re-signs).
        """
        coid = intent.client_order_id
        if coid in self._inflight or coid in self._done:
            raise OrderRejected(
                f"Order {coid} was already sent (status {self._done.get(coid, 'submitted')}); "
                "use a new client order id.", reason="duplicate")
        attempt = 0
        while True:
            t = time.perf_counter_ns()
            if route is None or attempt > 0:
                route = await self.quote(intent)
                t = self._t("route", t)
            await self._gate(coid, route)
            t = self._t("risk", t)
            try:
                tx, lvbh = await self.sign_route(coid, route)
            except (TxError, OrderRejected) as exc:
                status = OrderStatus.REJECTED if isinstance(exc, OrderRejected) \
                    else OrderStatus.FAILED
                await self._status(coid, status, str(exc))
                self._done[coid] = status
                raise
            except Exception as exc:
                await self._status(coid, OrderStatus.FAILED, str(exc))
                self._done[coid] = OrderStatus.FAILED
                raise
            t = time.perf_counter_ns()
            submitted = SubmittedTx(
                client_order_id=coid, signature=str(tx.signatures[0]), tx_bytes=bytes(tx),
                last_valid_block_height=lvbh, venues=route.venues,
                input_mint=route.input_mint, output_mint=route.output_mint,
                in_amount_raw=route.in_amount_raw, min_out_amount_raw=route.min_out_amount_raw,
                attempt=attempt)
            self._inflight[coid] = submitted
            if self.hooks is not None:
                await _maybe_await(self.hooks.on_submitted(submitted))
            await self._status(coid, OrderStatus.SUBMITTED, submitted.signature)
            t = self._t("persist", t)
            try:
                return await self._confirm_and_fill(submitted, tx, route)
            except TxExpired as exc:
                del self._inflight[coid]
                if attempt >= self.config.expired_retries:
                    await self._status(coid, OrderStatus.EXPIRED, str(exc))
                    self._done[coid] = OrderStatus.EXPIRED
                    raise
                attempt += 1
                log.info("order %s: %s expired; re-quoting (attempt %d)", coid,
                         submitted.signature, attempt)

    async def _confirm_and_fill(self, submitted: SubmittedTx, tx: VersionedTransaction,
                                route: Route) -> SwapFill:
        coid = submitted.client_order_id
        t = time.perf_counter_ns()
        try:
            await send_and_confirm(
                self.chain, tx, submitted.last_valid_block_height,
                commitment=self.config.commitment, poll_interval_s=self.config.poll_interval_s,
                resend_interval_s=self.config.resend_interval_s, send=self.sender,
                ws_url=self._ws_url, ws_policy=self.config.ws_policy,
                subscribed_poll_interval_s=self.config.subscribed_poll_interval_s)
        except TxExpired:
            self._tell_sender("on_expired", tx)
            raise
        except (TxError, InsufficientFunds, SlippageExceeded) as exc:  # landed and failed
            self._tell_sender("on_landed", tx)
            del self._inflight[coid]
            await self._status(coid, OrderStatus.FAILED, str(exc))
            self._done[coid] = OrderStatus.FAILED
            raise
        t = self._t("confirm", t)
        self._tell_sender("on_landed", tx)
        landed = await self._fetch_landed(tx)
        fill = self._to_fill(submitted, route, landed)
        t = self._t("parse", t)
        del self._inflight[coid]
        self._done[coid] = OrderStatus.FILLED
        if self.hooks is not None:
            await _maybe_await(self.hooks.on_fill(fill))
        await self._status(coid, OrderStatus.FILLED, fill.signature)
        return fill

    def _tell_sender(self, event: str, tx: VersionedTransaction) -> None:
        hook = getattr(self.sender, event, None) if self.sender is not None else None
        if hook is not None:
            hook(tx.signatures[0])

    async def _fetch_landed(self, tx: VersionedTransaction, polls: int = 50) -> ConfirmedTx:
        sig = tx.signatures[0]
        for _ in range(polls):
            try:
                landed = await self.chain.get_transaction(sig)
            except TemporaryVenueError:
                landed = None
            if landed is not None:
                return landed
            await _sleep(self.config.poll_interval_s)
        raise TemporaryVenueError(
            f"Transaction {sig} is confirmed but getTransaction did not return it; reconcile "
            "the order from its signature later.", venue=self.chain.name)

    def _to_fill(self, submitted: SubmittedTx, route: Route, landed: ConfirmedTx) -> SwapFill:
        changes = landed.token_changes(self._owner_str)
        if len(route.legs) == 1:
            leg = route.legs[0]
            # a perp venue moves no tokens: its fills are in the program's events (logs)
            parse_logs = getattr(leg.venue, "parse_logs", None)
            spent, got = (parse_logs(leg.quote, landed.logs, self.owner) if parse_logs
                          else leg.venue.parse(leg.quote, changes))
        else:
            by_mint: dict[str, int] = {}
            for c in changes:
                by_mint[c.mint] = by_mint.get(c.mint, 0) + c.delta_raw
            if route.kind == "arbitrage":
                spent = route.in_amount_raw
                got = spent + by_mint.get(route.input_mint, 0)
            else:
                spent = -by_mint.get(route.input_mint, 0)
                got = by_mint.get(route.output_mint, 0)
        tip = getattr(self.sender, "paid_tip_lamports", None) if self.sender else None
        fee = landed.fee_lamports + (tip(landed) if tip is not None else 0)
        return SwapFill(
            client_order_id=submitted.client_order_id, signature=submitted.signature,
            venues=route.venues, input_mint=route.input_mint, output_mint=route.output_mint,
            in_amount_raw=spent, out_amount_raw=got, fee_lamports=fee,
            slot=landed.slot, ts_event=self.clock(), changes=changes)

    async def recover(self, submitted: SubmittedTx, route: Route) -> SwapFill:
        """Resume a persisted intent after a restart: re-send its bytes until it lands/expires."""
        if submitted.client_order_id in self._inflight:
            raise OrderRejected(f"Order {submitted.client_order_id} is already in flight.",
                                reason="duplicate")
        tx = VersionedTransaction.from_bytes(submitted.tx_bytes)
        self._inflight[submitted.client_order_id] = submitted
        try:
            return await self._confirm_and_fill(submitted, tx, route)
        except TxExpired as exc:
            self._inflight.pop(submitted.client_order_id, None)
            await self._status(submitted.client_order_id, OrderStatus.EXPIRED, str(exc))
            self._done[submitted.client_order_id] = OrderStatus.EXPIRED
            raise

    # --- domain orders ----------------------------------------------------------------------

    async def execute_order(self, order: Order, pair: Pair) -> Fill:
        """Execute a domain :class:`Order` on ``pair`` and return a domain :class:`Fill`.

        A BUY spends ``amount * price`` of the quote token (rounded down to base units);
        a SELL spends ``amount`` of the base token. The fill's amounts are what the chain moved.
        """
        if order.side is Side.BUY:
            spend_mint, get_mint = pair.quote.mint, pair.base.mint
            spend_raw = to_raw(order.amount * order.price, pair.quote.decimals, rounding=ROUND_DOWN)
        else:
            spend_mint, get_mint = pair.base.mint, pair.quote.mint
            spend_raw = to_raw(order.amount, pair.base.decimals, rounding=ROUND_DOWN)
        fill = await self.execute(SwapIntent(
            client_order_id=order.client_order_id, input_mint=str(spend_mint),
            output_mint=str(get_mint), in_amount_raw=spend_raw,
            slippage_bps=order.max_slippage_bps, venue=order.venue))
        if order.side is Side.BUY:
            base_raw, quote_raw = fill.out_amount_raw, fill.in_amount_raw
        else:
            base_raw, quote_raw = fill.in_amount_raw, fill.out_amount_raw
        return Fill(
            client_order_id=order.client_order_id, symbol=pair.symbol, side=order.side,
            base_amount=from_raw(base_raw, pair.base.decimals),
            quote_amount=from_raw(quote_raw, pair.quote.decimals),
            fee_lamports=fill.fee_lamports, venue=",".join(fill.venues),
            signature=fill.signature, ts_event=fill.ts_event)


async def _sleep(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)


SendHook = Callable[[VersionedTransaction], Awaitable[object]]

"""Jito block engine: bundles (at most 5 transactions, all-or-nothing), tips, bundle status.

A bundle lands only if it pays a tip: a plain SOL transfer to one of Jito's tip accounts,
inside one of the bundle's transactions. The tip is sized from the tip-floor percentiles Jito
publishes (landed tips over recent bundles, in SOL) and raised after a bundle that did not
land, never above ``ExecutionSettings.jito_tip_cap_lamports``.

Worked example with the defaults (50th percentile, x1.5 per miss, cap 1_000_000 lamports): a
floor of 0.00001 SOL tips 10_000 lamports; after two misses 22_500; from the ninth miss on the
cap, 1_000_000 lamports (0.001 SOL). A landed bundle resets the count.

:class:`JitoSender` plugs into the executor (``Executor(sender=jito)``): the executor adds the
tip instruction to the swap transaction it builds, so both legs of an arbitrage and the tip
land together or not at all. A transaction built by a venue (Jupiter ``/swap``) cannot take
another instruction, so the sender bundles it with a separate tip transaction signed by
``tip_payer``; the bundle stays atomic.

Endpoints (JSON-RPC over HTTP POST ``{jito_url}/api/v1/bundles``): ``sendBundle``,
``getBundleStatuses``, ``getInflightBundleStatuses``, ``getTipAccounts``; tip floor by
``GET https://bundles.jito.wtf/api/v1/bundles/tip_floor``.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import math
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal

import base58
import httpx
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.message import Message, MessageV0
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.transaction import VersionedTransaction

from workbench.chain.jsonrpc import JsonRpcClient, RpcEndpoint, check_rpc_response, safe_url
from workbench.chain.programs import SYSTEM_PROGRAM_ID, system_transfer_ix
from workbench.chain.types import ConfirmedTx
from workbench.errors import (
    ConfigError,
    OrderRejected,
    SchemaError,
    TemporaryVenueError,
)
from workbench.retry import RetryPolicy, retry

__all__ = [
    "DEFAULT_BLOCK_ENGINE_URL",
    "JITO_MIN_TIP_LAMPORTS",
    "MAX_BUNDLE_TRANSACTIONS",
    "TIP_FLOOR_URL",
    "BundleStatus",
    "InflightBundleStatus",
    "InflightState",
    "JitoClient",
    "JitoSender",
    "TipFloor",
    "TipPolicy",
    "parse_bundle_statuses",
    "parse_inflight_statuses",
    "parse_tip_accounts",
    "parse_tip_floor",
    "tip_instruction",
    "tip_paid_lamports",
]

log = logging.getLogger(__name__)

VENUE = "jito"
DEFAULT_BLOCK_ENGINE_URL = "https://mainnet.block-engine.jito.wtf"
TIP_FLOOR_URL = "https://bundles.jito.wtf/api/v1/bundles/tip_floor"
MAX_BUNDLE_TRANSACTIONS = 5
MAX_STATUS_IDS = 5  # getBundleStatuses / getInflightBundleStatuses take up to 5 ids
JITO_MIN_TIP_LAMPORTS = 1_000  # the block engine refuses smaller tips
_LAMPORTS_PER_SOL = Decimal(1_000_000_000)

Percentile = Literal["25th", "50th", "75th", "95th", "99th", "ema_50th"]


# --- wire -> typed values (pure) ---------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class TipFloor:
    """Landed-tip percentiles over recent bundles, converted to lamports (rounded up).

    Attributes:
        time: the sample's timestamp as Jito sent it (ISO 8601).
        p25_lamports .. p99_lamports: landed tip percentiles.
        ema_p50_lamports: exponential moving average of the 50th percentile.
    """

    time: str
    p25_lamports: int
    p50_lamports: int
    p75_lamports: int
    p95_lamports: int
    p99_lamports: int
    ema_p50_lamports: int

    def lamports(self, percentile: Percentile) -> int:
        """The tip at ``percentile`` ("25th" ... "99th", or "ema_50th")."""
        return {
            "25th": self.p25_lamports, "50th": self.p50_lamports, "75th": self.p75_lamports,
            "95th": self.p95_lamports, "99th": self.p99_lamports,
            "ema_50th": self.ema_p50_lamports,
        }[percentile]


def _sol_to_lamports(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise SchemaError(f"Jito tip floor {what} should be a number of SOL, got {value!r}.",
                          source="jito tip_floor", payload=value)
    lamports = Decimal(value) * _LAMPORTS_PER_SOL
    if lamports < 0:
        raise SchemaError(f"Jito tip floor {what} is negative ({value} SOL).",
                          source="jito tip_floor", payload=value)
    return math.ceil(lamports)


def parse_tip_floor(content: bytes) -> TipFloor:
    """The most recent entry of the tip-floor endpoint's JSON list (SOL parsed as Decimal)."""
    try:
        body = json.loads(content, parse_float=Decimal)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SchemaError(f"Jito tip floor body is not JSON ({exc}).", source="jito tip_floor",
                          payload=content[:200]) from exc
    if not isinstance(body, list) or not body or not isinstance(body[-1], dict):
        raise SchemaError(f"Jito tip floor should be a non-empty JSON list, got {body!r:.120}.",
                          source="jito tip_floor", payload=body)
    row = body[-1]
    keys = {"p25": "landed_tips_25th_percentile", "p50": "landed_tips_50th_percentile",
            "p75": "landed_tips_75th_percentile", "p95": "landed_tips_95th_percentile",
            "p99": "landed_tips_99th_percentile", "ema_p50": "ema_landed_tips_50th_percentile"}
    missing = [k for k in keys.values() if k not in row]
    if missing:
        raise SchemaError(f"Jito tip floor lacks {', '.join(missing)}.", source="jito tip_floor",
                          payload=row)
    vals = {f"{name}_lamports": _sol_to_lamports(row[key], key) for name, key in keys.items()}
    return TipFloor(time=str(row.get("time", "")), **vals)


class InflightState(StrEnum):
    """``getInflightBundleStatuses`` states (documented: Invalid, Pending, Failed, Landed)."""

    INVALID = "Invalid"  # unknown id, or older than 5 minutes
    PENDING = "Pending"
    FAILED = "Failed"
    LANDED = "Landed"


@dataclass(frozen=True, slots=True, kw_only=True)
class InflightBundleStatus:
    """A bundle's recent state.

    Attributes:
        bundle_id: the id ``sendBundle`` returned.
        status: see :class:`InflightState`.
        landed_slot: slot it landed in, when LANDED.
    """

    bundle_id: str
    status: InflightState
    landed_slot: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class BundleStatus:
    """A landed bundle as ``getBundleStatuses`` reports it.

    Attributes:
        bundle_id: the bundle id.
        transactions: signatures of its transactions, in order.
        slot: slot it landed in.
        confirmation_status: processed, confirmed or finalized.
        err: ``{"Ok": null}`` when it succeeded, else the error.
    """

    bundle_id: str
    transactions: tuple[Signature, ...]
    slot: int
    confirmation_status: str | None
    err: object = None

    @property
    def ok(self) -> bool:
        """True when the bundle executed without error."""
        return self.err is None or self.err == {"Ok": None}


def _ctx_value(result: Any, method: str) -> list[Any]:
    if not isinstance(result, dict) or not isinstance(result.get("value"), list):
        raise SchemaError(f"Jito {method} result should be {{context, value: [...]}}, got "
                          f"{result!r:.120}.", source=f"jito {method}", payload=result)
    return result["value"]


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SchemaError(f"Jito {what} should be an integer, got {value!r}.", source="jito",
                          payload=value)
    return value


def parse_bundle_statuses(result: Any) -> list[BundleStatus]:
    """``getBundleStatuses`` (only bundles the engine found are listed)."""
    out = []
    for i, row in enumerate(_ctx_value(result, "getBundleStatuses")):
        if row is None:
            continue
        if not isinstance(row, dict) or not isinstance(row.get("bundle_id"), str):
            raise SchemaError(f"Jito getBundleStatuses value[{i}] lacks bundle_id: {row!r:.120}",
                              source="jito getBundleStatuses", payload=row)
        try:
            sigs = tuple(Signature.from_string(s) for s in row.get("transactions") or [])
        except (TypeError, ValueError) as exc:
            raise SchemaError(f"Jito getBundleStatuses value[{i}].transactions are not "
                              f"signatures ({exc}).", source="jito getBundleStatuses",
                              payload=row) from exc
        out.append(BundleStatus(bundle_id=row["bundle_id"], transactions=sigs,
                                slot=_int(row.get("slot"), f"value[{i}].slot"),
                                confirmation_status=row.get("confirmation_status"),
                                err=row.get("err")))
    return out


def parse_inflight_statuses(result: Any) -> list[InflightBundleStatus]:
    """``getInflightBundleStatuses``."""
    out = []
    for i, row in enumerate(_ctx_value(result, "getInflightBundleStatuses")):
        try:
            state = InflightState(row["status"])
        except (KeyError, TypeError, ValueError) as exc:
            raise SchemaError(f"Jito getInflightBundleStatuses value[{i}] has no known status "
                              f"(Invalid/Pending/Failed/Landed): {row!r:.120}",
                              source="jito getInflightBundleStatuses", payload=row) from exc
        slot = row.get("landed_slot")
        out.append(InflightBundleStatus(
            bundle_id=str(row.get("bundle_id", "")), status=state,
            landed_slot=None if slot is None else _int(slot, f"value[{i}].landed_slot")))
    return out


def parse_tip_accounts(result: Any) -> list[Pubkey]:
    """``getTipAccounts``: the tip account addresses."""
    if not isinstance(result, list) or not result:
        raise SchemaError(f"Jito getTipAccounts should list addresses, got {result!r:.120}.",
                          source="jito getTipAccounts", payload=result)
    try:
        return [Pubkey.from_string(a) for a in result]
    except (TypeError, ValueError) as exc:
        raise SchemaError(f"Jito getTipAccounts returned a bad address ({exc}).",
                          source="jito getTipAccounts", payload=result) from exc


def _parse_bundle_id(result: Any) -> str:
    if not isinstance(result, str) or not result:
        raise SchemaError(f"Jito sendBundle should return a bundle id string, got {result!r}.",
                          source="jito sendBundle", payload=result)
    return result


# --- tips ---------------------------------------------------------------------------------------


def tip_instruction(payer: Pubkey, lamports: int, tip_accounts: Sequence[Pubkey],
                    rng: random.Random | None = None) -> Instruction:
    """A SOL transfer of ``lamports`` from ``payer`` to one tip account chosen at random.

    Spreading tips over the accounts avoids write-lock contention on one of them.
    """
    if not tip_accounts:
        raise OrderRejected("No Jito tip accounts known; call JitoSender.prepare() (it runs "
                            "getTipAccounts) before building bundles.", reason="no_tip_accounts",
                            venue=VENUE)
    if lamports < JITO_MIN_TIP_LAMPORTS:
        raise OrderRejected(f"A Jito tip of {lamports} lamports is below the minimum "
                            f"{JITO_MIN_TIP_LAMPORTS}.", reason="tip_too_small", venue=VENUE)
    account = (rng or random).choice(list(tip_accounts))
    return system_transfer_ix(source=payer, destination=account, lamports=lamports)


def tip_paid_lamports(message: MessageV0 | Message, tip_accounts: Sequence[Pubkey]) -> int:
    """Lamports ``message`` transfers to tip accounts with System Program transfers."""
    keys = list(message.account_keys)
    tips = set(tip_accounts)
    total = 0
    for ix in message.instructions:
        if keys[ix.program_id_index] != SYSTEM_PROGRAM_ID:
            continue
        data = bytes(ix.data)
        accounts = bytes(ix.accounts)
        if len(data) == 12 and data[:4] == b"\x02\x00\x00\x00" and len(accounts) >= 2 \
                and accounts[1] < len(keys) and keys[accounts[1]] in tips:
            total += int.from_bytes(data[4:12], "little")
    return total


@dataclass(slots=True, kw_only=True)
class TipPolicy:
    """How much to tip: a tip-floor percentile, raised after misses, within a cap.

    Attributes:
        cap_lamports: never tip more (``ExecutionSettings.jito_tip_cap_lamports``).
        percentile: which landed-tip percentile to pay.
        raise_pct: multiply the tip by ``raise_pct / 100`` per bundle that did not land.
        min_lamports: floor of the tip (Jito's minimum by default); also used when no tip floor
            has been fetched.
        misses: bundles not landed since the last one that did.
    """

    cap_lamports: int
    percentile: Percentile = "50th"
    raise_pct: int = 150
    min_lamports: int = JITO_MIN_TIP_LAMPORTS
    misses: int = field(default=0)

    def __post_init__(self) -> None:
        if self.cap_lamports < self.min_lamports:
            raise ConfigError(
                f"execution.jito_tip_cap_lamports={self.cap_lamports} is below the minimum tip "
                f"{self.min_lamports}; no bundle could land. Raise the cap.",
                setting="execution.jito_tip_cap_lamports")
        if self.raise_pct < 100:
            raise ConfigError(f"TipPolicy.raise_pct={self.raise_pct} must be >= 100.")

    @classmethod
    def from_settings(cls, settings: Any, **kw: Any) -> TipPolicy:
        """From ``Settings.execution`` (``jito_tip_cap_lamports``)."""
        return cls(cap_lamports=settings.jito_tip_cap_lamports, **kw)

    def tip_lamports(self, floor: TipFloor | None) -> int:
        """The tip for the next bundle given the latest tip ``floor``."""
        base = max(self.min_lamports, floor.lamports(self.percentile) if floor else 0)
        # integer growth: base * raise^misses / 100^misses, rounded up
        num, den = base * self.raise_pct ** self.misses, 100 ** self.misses
        return min(self.cap_lamports, -(-num // den))

    def on_landed(self) -> None:
        """A bundle landed: go back to the percentile."""
        self.misses = 0

    def on_not_landed(self) -> None:
        """A bundle expired without landing: tip more next time (up to the cap)."""
        self.misses += 1


# --- client ---------------------------------------------------------------------------------------


class JitoClient:
    """The Jito block engine's JSON-RPC bundle API and the tip-floor REST endpoint.

    Args:
        http: shared HTTP client.
        url: block engine root (``ExecutionSettings.jito_url``), or several for failover.
        auth_uuid: optional ``x-jito-auth`` key (raises the default 1 request/s limit).
        rate_per_s: request rate per block engine.
        tip_floor_url: the tip floor endpoint.
        policy: retry limits; only ``TemporaryVenueError`` (429, 5xx, timeouts) is retried.
        sleep: injectable for tests.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        url: str | Sequence[str] = DEFAULT_BLOCK_ENGINE_URL,
        *,
        auth_uuid: str | None = None,
        rate_per_s: float = 1.0,
        tip_floor_url: str = TIP_FLOOR_URL,
        policy: RetryPolicy | None = None,
        timeout_s: float = 10.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        roots = [url] if isinstance(url, str) else list(url)
        headers = {"x-jito-auth": auth_uuid} if auth_uuid else {}
        self.http = http
        self.rpc = JsonRpcClient(
            http, [RpcEndpoint(url=r.rstrip("/") + "/api/v1/bundles", rate_per_s=rate_per_s,
                               headers=headers) for r in roots],
            venue=VENUE, policy=policy, timeout_s=timeout_s, sleep=sleep)
        self.tip_floor_url = tip_floor_url
        self.timeout_s = timeout_s
        self._policy = policy or RetryPolicy()
        self._sleep = sleep

    def __repr__(self) -> str:
        return f"JitoClient({[safe_url(e.url) for e in self.rpc.endpoints]})"

    async def send_bundle(self, txs: Sequence[VersionedTransaction | bytes], *,
                          encoding: Literal["base64", "base58"] = "base64") -> str:
        """``sendBundle``: submit up to 5 signed transactions to land together, in order.

        Re-sending the same bundle is safe: each transaction can land once, and the bundle
        is all-or-nothing.

        Returns:
            The bundle id.

        Raises:
            OrderRejected: empty or more than 5 transactions, or the engine refused it.
        """
        if not txs or len(txs) > MAX_BUNDLE_TRANSACTIONS:
            raise OrderRejected(
                f"A Jito bundle holds 1 to {MAX_BUNDLE_TRANSACTIONS} transactions, got "
                f"{len(txs)}; split it into several bundles (they are then not atomic "
                "together) or put more instructions in each transaction.",
                reason="bundle_size", venue=VENUE)
        raw = [bytes(t) for t in txs]
        enc = [base64.b64encode(b).decode() if encoding == "base64" else base58.b58encode(b)
               .decode() for b in raw]
        return await self.rpc.call("sendBundle", [enc, {"encoding": encoding}],
                                   parse=_parse_bundle_id)

    async def bundle_statuses(self, bundle_ids: Sequence[str]) -> list[BundleStatus]:
        """``getBundleStatuses`` for landed bundles (5 ids per request)."""
        out: list[BundleStatus] = []
        for i in range(0, len(bundle_ids), MAX_STATUS_IDS):
            out += await self.rpc.call("getBundleStatuses",
                                       [list(bundle_ids[i:i + MAX_STATUS_IDS])],
                                       parse=parse_bundle_statuses)
        return out

    async def inflight_bundle_statuses(
        self, bundle_ids: Sequence[str]
    ) -> list[InflightBundleStatus]:
        """``getInflightBundleStatuses`` (last 5 minutes; 5 ids per request)."""
        out: list[InflightBundleStatus] = []
        for i in range(0, len(bundle_ids), MAX_STATUS_IDS):
            out += await self.rpc.call("getInflightBundleStatuses",
                                       [list(bundle_ids[i:i + MAX_STATUS_IDS])],
                                       parse=parse_inflight_statuses)
        return out

    async def tip_accounts(self) -> list[Pubkey]:
        """``getTipAccounts``."""
        return await self.rpc.call("getTipAccounts", [], parse=parse_tip_accounts)

    async def tip_floor(self) -> TipFloor:
        """The latest landed-tip percentiles (GET, retried on 429/5xx/timeouts)."""
        where = safe_url(self.tip_floor_url)

        async def once() -> TipFloor:
            try:
                resp = await self.http.get(self.tip_floor_url, timeout=self.timeout_s)
            except httpx.TimeoutException as exc:
                raise TemporaryVenueError(f"jito {where} tip floor timed out; retrying.",
                                          venue=VENUE) from exc
            except httpx.TransportError as exc:
                raise TemporaryVenueError(f"jito {where} tip floor connection failed: "
                                          f"{type(exc).__name__}.", venue=VENUE) from exc
            if resp.status_code == 429 or resp.status_code >= 400:
                # reuse the JSON-RPC status mapping: 429 RateLimited, 5xx temporary, 4xx error
                check_rpc_response(resp.status_code, resp.content, resp.headers, venue=VENUE,
                                   where=where, method="tip_floor")
            try:
                return parse_tip_floor(resp.content)
            except SchemaError as exc:
                raise TemporaryVenueError(f"jito {where} tip floor is malformed ({exc}); "
                                          "retrying.", venue=VENUE, payload=exc.payload) from exc

        return await retry(once, policy=self._policy, what="jito tip_floor", sleep=self._sleep)


# --- the executor's sender hook ---------------------------------------------------------------


class JitoSender:
    """Sends every executor transaction as a Jito bundle and adapts the tip.

    Use as ``Executor(chain, wallet, router, sender=jito)``: the executor then adds
    :meth:`tail_instructions` (the tip) to each transaction it builds, sends through
    :meth:`__call__` (a re-broadcast polls ``getBundleStatuses`` first), and reports the
    outcome through :meth:`on_landed` / :meth:`on_expired`.

    Args:
        client: the :class:`JitoClient`.
        policy: the :class:`TipPolicy` (its miss count is this sender's state).
        tip_payer: signs a separate tip transaction for transactions that carry no tip (a
            venue-built transaction); None refuses such transactions.
        rng: random source for the tip account choice.
        max_tracked: transactions remembered (bundle ids, statuses, tips); past it the
            oldest quarter is forgotten.
    """

    def __init__(self, client: JitoClient, policy: TipPolicy, *, tip_payer: Keypair | None = None,
                 rng: random.Random | None = None, max_tracked: int = 4096) -> None:
        self.client = client
        self.max_tracked = max_tracked
        self.policy = policy
        self.tip_payer = tip_payer
        self.rng = rng or random.Random()
        self.tip_accounts: list[Pubkey] = []
        self.floor: TipFloor | None = None
        self.bundle_ids: dict[Signature, str] = {}
        self.statuses: dict[Signature, BundleStatus] = {}  # as getBundleStatuses reported
        self._tip_txs: dict[Signature, VersionedTransaction] = {}
        self._tips: dict[Signature, int] = {}

    def __repr__(self) -> str:
        return f"JitoSender({self.client!r}, misses={self.policy.misses})"

    async def prepare(self) -> None:
        """Fetch the tip accounts and the tip floor (call before trading, and to refresh).

        A tip floor that cannot be fetched is not fatal: the policy's minimum (raised by
        misses) is used until the next refresh.
        """
        self.tip_accounts = await self.client.tip_accounts()
        try:
            self.floor = await self.client.tip_floor()
        except TemporaryVenueError as exc:
            log.warning("jito tip floor unavailable (%s); tipping from the policy minimum", exc)

    def tip_lamports(self) -> int:
        """The tip the next bundle pays."""
        return self.policy.tip_lamports(self.floor)

    def tail_instructions(self, payer: Pubkey) -> list[Instruction]:
        """The tip instruction the executor appends to the transaction it builds."""
        return [tip_instruction(payer, self.tip_lamports(), self.tip_accounts, self.rng)]

    def _bundle_for(self, tx: VersionedTransaction) -> list[VersionedTransaction]:
        sig = tx.signatures[0]
        paid = tip_paid_lamports(tx.message, self.tip_accounts)
        if paid:
            self._tips[sig] = paid
            return [tx]
        tip_tx = self._tip_txs.get(sig)
        if tip_tx is None:
            if self.tip_payer is None:
                raise OrderRejected(
                    f"Transaction {sig} pays no Jito tip and this sender has no tip_payer to "
                    "add a tip transaction; a bundle without a tip never lands.",
                    reason="no_tip", venue=VENUE)
            lamports = self.tip_lamports()
            ix = tip_instruction(self.tip_payer.pubkey(), lamports, self.tip_accounts, self.rng)
            tip_msg = MessageV0.try_compile(self.tip_payer.pubkey(), [ix], [],
                                            tx.message.recent_blockhash)
            tip_tx = self._tip_txs[sig] = VersionedTransaction(tip_msg, [self.tip_payer])
            self._tips[sig] = lamports
        return [tx, tip_tx]

    async def __call__(self, tx: VersionedTransaction) -> str:
        """Send ``tx`` as a bundle (with a tip transaction when it has no tip).

        A re-broadcast (the executor re-sends until the transaction lands or expires) first
        polls ``getBundleStatuses`` for the bundle already sent: once the engine reports it
        landed, sending it again could change nothing and would spend the block engine's
        rate limit (1 request/s by default). Otherwise the very same bundle (same bytes, same
        tip transaction) is sent again; nothing is ever re-signed here.
        """
        sig = tx.signatures[0]
        sent = self.bundle_ids.get(sig)
        if sent is not None and await self._landed_on_engine(sig, sent):
            return sent
        bundle_id = await self.client.send_bundle(self._bundle_for(tx))
        if sig not in self.bundle_ids and len(self.bundle_ids) >= self.max_tracked:
            self._trim()
        self.bundle_ids[sig] = bundle_id
        return bundle_id

    def _trim(self) -> None:
        """Forget the oldest quarter of the transactions sent (a 24/7 run must not grow).

        They are long settled: a transaction lives ~150 blocks (about a minute), far less
        than ``max_tracked`` sends take.
        """
        old = list(self.bundle_ids)[: max(1, self.max_tracked // 4)]
        for sig in old:
            for table in (self.bundle_ids, self.statuses, self._tips, self._tip_txs):
                table.pop(sig, None)

    async def bundle_status(self, signature: Signature) -> BundleStatus | None:
        """``getBundleStatuses`` for the bundle sent with ``signature``; None until it lands
        (or when nothing was sent for it)."""
        bundle_id = self.bundle_ids.get(signature)
        if bundle_id is None:
            return None
        found = [s for s in await self.client.bundle_statuses([bundle_id])
                 if s.bundle_id == bundle_id]
        if found:
            self.statuses[signature] = found[0]
        return found[0] if found else None

    async def _landed_on_engine(self, signature: Signature, bundle_id: str) -> bool:
        try:
            status = await self.bundle_status(signature)
        except (TemporaryVenueError, SchemaError) as exc:
            log.info("jito getBundleStatuses for %s failed (%s); re-sending the bundle",
                     bundle_id, exc)
            return False
        return status is not None

    async def send_bundle(self, txs: Sequence[VersionedTransaction]) -> str:
        """Send up to 5 signed transactions (one of them paying the tip) as one bundle."""
        return await self.client.send_bundle(txs)

    def paid_tip_lamports(self, landed: ConfirmedTx) -> int:
        """The tip paid alongside ``landed`` (in it, or in its bundle's tip transaction)."""
        return self._tips.get(landed.signature, 0)

    def on_landed(self, signature: Signature) -> None:
        """The transaction landed: the tip was enough."""
        self.policy.on_landed()
        self._tip_txs.pop(signature, None)

    def on_expired(self, signature: Signature) -> None:
        """The transaction expired unlanded: raise the next tip."""
        self.policy.on_not_landed()
        self._tip_txs.pop(signature, None)
        self._tips.pop(signature, None)
        log.info("jito bundle for %s did not land; next tip %d lamports", signature,
                 self.tip_lamports())

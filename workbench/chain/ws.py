"""Solana websocket subscriptions as async iterators that reconnect and resubscribe.

``accountSubscribe``, ``logsSubscribe`` and ``signatureSubscribe`` over ``websockets``: each
:class:`Subscription` owns one connection. When the connection drops (or the server closes it,
or it cannot be opened) it waits with the same exponential backoff + jitter as every other
retry (:class:`~workbench.chain.retry.RetryPolicy`), reconnects, and subscribes again; a
successful subscription resets the backoff.

What a reconnect cannot give back: notifications sent while disconnected are lost. An account
subscription's next notification carries the whole account, so it catches up by itself; a
signature subscription may miss the one notification it was waiting for. :class:`SignatureWatch`
handles that for the executor's confirmation: it says when the socket is down (poll meanwhile)
and asks for one ``getSignatureStatuses`` check after every (re)subscription.
:class:`SignaturePubSub` does the same for many signatures on ONE shared connection (the
executor's orders over an ``RpcChain``: one TLS handshake, not one per order).

Example:
    >>> async for update in account_subscribe(ws_url, pool_vault):  # doctest: +SKIP
    ...     print(update.slot, update.lamports)
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import urlsplit, urlunsplit

from solders.pubkey import Pubkey
from solders.signature import Signature
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from workbench.chain.classify import classify_rpc_error
from workbench.chain.jsonrpc import safe_url
from workbench.chain.rpc_parse import parse_account, parse_int, parse_signature
from workbench.chain.types import Commitment
from workbench.errors import ConfigError, SchemaError, TemporaryVenueError
from workbench.retry import RetryPolicy

__all__ = [
    "AccountNotification",
    "LogsNotification",
    "SharedSignatureWatch",
    "SignatureNotification",
    "SignaturePubSub",
    "SignatureWatch",
    "Subscription",
    "account_subscribe",
    "logs_subscribe",
    "signature_subscribe",
    "ws_url_for",
]

log = logging.getLogger("workbench.chain")
T = TypeVar("T")
_DROPS = (ConnectionClosed, OSError, TimeoutError, InvalidHandshake)


def ws_url_for(rpc_url: str, ws_url: str = "") -> str:
    """The websocket URL: ``ws_url`` if set, else ``rpc_url`` with http(s) -> ws(s)."""
    if ws_url:
        return ws_url
    parts = urlsplit(rpc_url)
    scheme = {"https": "wss", "http": "ws"}.get(parts.scheme)
    if scheme is None:
        raise ConfigError(f"Cannot derive a websocket URL from {safe_url(rpc_url)}; set "
                          "execution.ws_url.", setting="execution.ws_url")
    return urlunsplit((scheme, *parts[1:]))


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountNotification:
    """An account's new state.

    Attributes:
        slot: the slot of the change.
        lamports / owner / data / executable / rent_epoch: the account.
    """

    slot: int
    lamports: int
    owner: Pubkey
    data: bytes
    executable: bool
    rent_epoch: int


@dataclass(frozen=True, slots=True, kw_only=True)
class LogsNotification:
    """A transaction's logs.

    Attributes:
        slot: the slot it was processed in.
        signature: the transaction.
        err: its error (None on success).
        logs: program log lines.
    """

    slot: int
    signature: Signature
    err: object
    logs: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class SignatureNotification:
    """A signature reached the subscribed commitment.

    Attributes:
        slot: the slot of the notification.
        err: the transaction error (None on success).
    """

    slot: int
    err: object


def _slot_value(result: Any, what: str) -> tuple[int, Any]:
    if not isinstance(result, dict) or not isinstance(result.get("context"), dict):
        raise SchemaError(f"{what} should be {{context, value}}, got {result!r:.120}.",
                          source="solana-ws", payload=result)
    return parse_int(result["context"].get("slot"), f"{what}.context.slot"), result.get("value")


def parse_account_notification(result: Any) -> AccountNotification:
    """``accountNotification`` params.result (base64 encoding)."""
    slot, value = _slot_value(result, "accountNotification")
    acc = parse_account(value, "accountNotification.value")
    if acc is None:
        raise SchemaError("accountNotification has no account value.", source="solana-ws")
    return AccountNotification(slot=slot, lamports=acc.lamports, owner=acc.owner,
                               data=bytes(acc.data), executable=acc.executable,
                               rent_epoch=acc.rent_epoch)


def parse_logs_notification(result: Any) -> LogsNotification:
    """``logsNotification`` params.result."""
    slot, value = _slot_value(result, "logsNotification")
    if not isinstance(value, dict) or not isinstance(value.get("logs"), list):
        raise SchemaError(f"logsNotification value should hold logs, got {value!r:.120}.",
                          source="solana-ws", payload=value)
    return LogsNotification(slot=slot,
                            signature=parse_signature(value.get("signature"),
                                                      "logsNotification.signature"),
                            err=value.get("err"), logs=tuple(str(x) for x in value["logs"]))


def parse_signature_notification(result: Any) -> SignatureNotification:
    """``signatureNotification`` params.result."""
    slot, value = _slot_value(result, "signatureNotification")
    if not isinstance(value, dict) or "err" not in value:
        raise SchemaError(f"signatureNotification value should hold err, got {value!r:.120}.",
                          source="solana-ws", payload=value)
    return SignatureNotification(slot=slot, err=value["err"])


class Subscription(Generic[T]):
    """One subscription on its own connection, as an async iterator that survives drops.

    Args:
        url: websocket endpoint (``ws://`` or ``wss://``).
        method: e.g. ``"accountSubscribe"``; notifications are ``<name>Notification``.
        params: the subscribe params.
        parse: notification ``params.result`` -> item.
        one_shot: stop after the first item (``signatureSubscribe`` unsubscribes itself).
        policy: reconnect backoff; ``max_attempts`` bounds consecutive failed reconnects.
        on_reconnect: called (sync or async) after each successful resubscription.
        on_state: called (sync) with True on every successful subscription and with False
            when that connection is lost or closed; ``subscribed`` holds the same state.
        open_timeout_s: connect + subscribe-reply timeout.
        sleep: injectable for tests.

    Raises (from iteration):
        TemporaryVenueError: ``policy.max_attempts`` reconnects in a row failed.
        VenueError subclasses: the server refused the subscription (bad params).
    """

    def __init__(
        self,
        url: str,
        method: str,
        params: list[Any],
        parse: Callable[[Any], T],
        *,
        one_shot: bool = False,
        policy: RetryPolicy | None = None,
        on_reconnect: Callable[[], Any] | None = None,
        on_state: Callable[[bool], None] | None = None,
        open_timeout_s: float = 10.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.url = url
        self.method = method
        self.params = params
        self.notification = method.removesuffix("Subscribe") + "Notification"
        self.parse = parse
        self.one_shot = one_shot
        self.policy = policy or RetryPolicy(max_attempts=10, base_delay_s=0.5, max_delay_s=30.0)
        self.on_reconnect = on_reconnect
        self.on_state = on_state
        self.subscribed = False  # subscribed on an open connection right now
        self.open_timeout_s = open_timeout_s
        self._sleep = sleep
        self.connections = 0  # successful subscriptions, for callers' metrics
        self._gen: AsyncIterator[T] | None = None
        self._ws: Any = None  # the open connection, for close()
        self._closing = False

    def __repr__(self) -> str:
        return f"Subscription({self.method}, {safe_url(self.url)}, connections={self.connections})"

    def __aiter__(self) -> Subscription[T]:
        return self

    async def __anext__(self) -> T:
        if self._gen is None:
            self._gen = self._run()
        return await self._gen.__anext__()

    async def aclose(self) -> None:
        """Close the connection and stop iterating."""
        if self._gen is not None:
            await self._gen.aclose()  # type: ignore[attr-defined]

    async def close(self) -> None:
        """Close from another task: the iteration in progress ends (StopAsyncIteration)
        without reconnecting. Unlike cancelling that task, it needs nothing from the
        generator but its normal exit path."""
        self._closing = True
        ws = self._ws
        if ws is not None:
            await ws.close()

    async def _subscribe(self, ws: Any) -> int:
        await ws.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": self.method,
                                  "params": self.params}))
        while True:
            reply = json.loads(await asyncio.wait_for(ws.recv(), self.open_timeout_s))
            if reply.get("id") != 1:
                continue  # a stray notification from a previous life of the socket
            if isinstance(reply.get("error"), dict):
                raise classify_rpc_error(reply["error"], venue="rpc-ws", request_id="1")
            return parse_int(reply.get("result"), f"{self.method} subscription id")

    def _set_state(self, subscribed: bool) -> None:
        if subscribed != self.subscribed:
            self.subscribed = subscribed
            if self.on_state is not None:
                self.on_state(subscribed)

    async def _run(self) -> AsyncIterator[T]:
        failures = 0
        where = safe_url(self.url)
        while not self._closing:
            reason: BaseException | None = None
            try:
                async with connect(self.url, open_timeout=self.open_timeout_s,
                                   max_size=2**24) as ws:
                    self._ws = ws
                    if self._closing:
                        return
                    sub_id = await self._subscribe(ws)
                    failures = 0
                    self.connections += 1
                    self._set_state(True)
                    if self.connections > 1 and self.on_reconnect is not None:
                        result = self.on_reconnect()
                        if inspect.isawaitable(result):
                            await result
                    async for raw in ws:
                        msg = json.loads(raw)
                        params = msg.get("params")
                        if msg.get("method") != self.notification or not isinstance(params, dict) \
                                or params.get("subscription") != sub_id:
                            continue
                        item = self.parse(params.get("result"))
                        if self.one_shot:
                            self._set_state(False)
                        yield item
                        if self.one_shot:
                            return
            except TemporaryVenueError as exc:
                reason = exc
            except (*_DROPS, json.JSONDecodeError, SchemaError) as exc:
                reason = exc
            except InvalidURI as exc:
                raise ConfigError(f"Bad websocket URL {where}: {exc}",
                                  setting="execution.ws_url") from exc
            finally:
                self._ws = None
                self._set_state(False)
            if self._closing:
                return
            failures += 1
            if failures >= self.policy.max_attempts:
                raise TemporaryVenueError(
                    f"{self.method} on {where} failed {failures} times in a row "
                    f"({type(reason).__name__ if reason else 'closed'}); giving up.",
                    venue="rpc-ws") from reason
            delay = self.policy.delay_s(failures)
            log.info("%s on %s dropped (%s); reconnecting in %.2fs", self.method, where,
                     type(reason).__name__ if reason else "closed by server", delay)
            await self._sleep(delay)
        # closed by close(): end the iteration


def account_subscribe(url: str, account: Pubkey, *,
                      commitment: Commitment = Commitment.CONFIRMED,
                      **kw: Any) -> Subscription[AccountNotification]:
    """Every change of ``account`` (base64 data). See :class:`Subscription` for ``kw``."""
    return Subscription(url, "accountSubscribe",
                        [str(account), {"encoding": "base64", "commitment": str(commitment)}],
                        parse_account_notification, **kw)


def logs_subscribe(url: str, mentions: Pubkey | None = None, *,
                   commitment: Commitment = Commitment.CONFIRMED,
                   **kw: Any) -> Subscription[LogsNotification]:
    """Logs of transactions mentioning ``mentions`` (all non-vote ones when None)."""
    flt: Any = {"mentions": [str(mentions)]} if mentions is not None else "all"
    return Subscription(url, "logsSubscribe", [flt, {"commitment": str(commitment)}],
                        parse_logs_notification, **kw)


def signature_subscribe(url: str, signature: Signature, *,
                        commitment: Commitment = Commitment.CONFIRMED,
                        **kw: Any) -> Subscription[SignatureNotification]:
    """One notification when ``signature`` reaches ``commitment``; then the iterator ends."""
    return Subscription(url, "signatureSubscribe",
                        [str(signature), {"commitment": str(commitment)}],
                        parse_signature_notification, one_shot=True, **kw)


class SignatureWatch:
    """Waits for one signature's ``signatureNotification`` in a background task, and says
    when a caller must poll instead.

    The executor's confirmation loop reads three things: :attr:`notification` (the answer,
    once it came), :attr:`live` (subscribed on an open socket, so a notification can arrive and
    status polls can stop) and :meth:`take_recheck` (True once after every (re)subscription:
    a notification sent while the socket was down, or before the first subscription, is lost,
    so one ``getSignatureStatuses`` closes that gap). When the subscription ends for good
    (reconnects exhausted, subscription refused) :attr:`failed` holds why and the caller
    polls from then on.

    Args:
        url: websocket endpoint.
        signature: the transaction to watch.
        commitment: notification level.
        policy / open_timeout_s / sleep: see :class:`Subscription`.

    Use as ``async with SignatureWatch(...) as watch:``; leaving closes the socket.
    """

    def __init__(self, url: str, signature: Signature, *,
                 commitment: Commitment = Commitment.CONFIRMED,
                 policy: RetryPolicy | None = None, open_timeout_s: float = 10.0,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.signature = signature
        self.notification: SignatureNotification | None = None
        self.failed: BaseException | None = None
        self.live = False
        self._recheck = False
        self._changed = asyncio.Event()
        self._sub = signature_subscribe(url, signature, commitment=commitment, policy=policy,
                                        open_timeout_s=open_timeout_s, sleep=sleep,
                                        on_state=self._on_state)
        self._task: asyncio.Task[None] | None = None

    def __repr__(self) -> str:
        return (f"SignatureWatch({self.signature}, live={self.live}, "
                f"notified={self.notification is not None}, "
                f"subscriptions={self._sub.connections})")

    @property
    def subscriptions(self) -> int:
        """Successful subscriptions so far (1 + reconnects)."""
        return self._sub.connections

    def start(self) -> SignatureWatch:
        """Start subscribing in the background (idempotent)."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(),
                                             name=f"signatureSubscribe {self.signature}")
        return self

    async def __aenter__(self) -> SignatureWatch:
        return self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def _on_state(self, up: bool) -> None:
        self.live = up
        if up:
            self._recheck = True
        self._changed.set()

    async def _run(self) -> None:
        try:
            async for note in self._sub:
                self.notification = note
                break
        except Exception as exc:  # gave up reconnecting, or refused: the caller polls
            self.failed = exc
            log.info("signatureSubscribe %s ended (%s); confirmation falls back to polling",
                     self.signature, exc)
        finally:
            self.live = False
            self._changed.set()

    def take_recheck(self) -> bool:
        """True once after each (re)subscription: check the status once by RPC."""
        recheck, self._recheck = self._recheck, False
        return recheck

    async def wait(self, timeout_s: float) -> None:
        """Return when something changed (notification, subscribed, dropped) or after
        ``timeout_s``."""
        if self._changed.is_set():
            await asyncio.sleep(0)  # still let the subscription task run
        elif timeout_s <= 0:
            await asyncio.sleep(0)
        else:
            try:
                await asyncio.wait_for(self._changed.wait(), timeout_s)
            except TimeoutError:
                pass
        self._changed.clear()

    async def aclose(self, timeout_s: float = 2.0) -> None:
        """Close the socket and end the background task.

        The socket is closed first, which ends the task's iteration normally; the task is
        cancelled only if it has not ended within ``timeout_s``. A cancellation of the caller
        while it waits propagates (``asyncio.wait`` does not absorb it).
        """
        task = self._task
        if task is not None and not task.done():
            await self._sub.close()
            await asyncio.wait({task}, timeout=timeout_s)
            if not task.done():
                task.cancel()
                await asyncio.wait({task}, timeout=timeout_s)
        if task is None or task.done():
            await self._sub.aclose()


class SignaturePubSub:
    """ONE PubSub connection shared by every in-flight signature watch (one per order).

    Per-order sockets cost a TLS handshake per order on mainnet; this multiplexes
    ``signatureSubscribe`` on one socket: request ids -> watches awaiting their reply,
    subscription ids -> watches awaiting their notification. The socket opens lazily with the
    first watch and reconnects with ``policy`` (exponential backoff + jitter, reset by a
    successful subscription). After every (re)connection each live watch subscribes again and,
    on the reply, asks its caller for one status check (a notification sent while the socket
    was down is lost). When ``policy.max_attempts`` reconnects in a row fail, every watch gets
    :attr:`SharedSignatureWatch.failed` (its caller polls) and the socket stays closed until
    the next watch. A watch closed before its notification unsubscribes.

    Args:
        url: websocket endpoint.
        policy / open_timeout_s / sleep: see :class:`Subscription`.
    """

    def __init__(self, url: str, *, policy: RetryPolicy | None = None,
                 open_timeout_s: float = 10.0,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.url = url
        self.policy = policy or RetryPolicy(max_attempts=10, base_delay_s=0.5, max_delay_s=30.0)
        self.open_timeout_s = open_timeout_s
        self._sleep = sleep
        self.connections = 0  # connections opened, for callers' metrics
        self._watches: set[SharedSignatureWatch] = set()  # started, not closed, not answered
        self._pending: dict[int, SharedSignatureWatch] = {}  # request id -> watch
        self._subs: dict[int, SharedSignatureWatch] = {}  # subscription id -> watch
        self._ids = itertools.count(1)
        self._ws: Any = None  # open and resubscribed
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    def __repr__(self) -> str:
        return (f"SignaturePubSub({safe_url(self.url)}, watches={len(self._watches)}, "
                f"connections={self.connections})")

    def watch(self, signature: Signature, *,
              commitment: Commitment = Commitment.CONFIRMED) -> SharedSignatureWatch:
        """A watch for ``signature`` on the shared socket; use ``async with``."""
        return SharedSignatureWatch(self, signature, commitment)

    async def _add(self, watch: SharedSignatureWatch) -> None:
        if self._closing:
            watch._end(TemporaryVenueError(f"The PubSub connection to {safe_url(self.url)} "
                                           "is closed.", venue="rpc-ws"))
            return
        self._watches.add(watch)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name=f"pubsub {safe_url(self.url)}")
        elif self._ws is not None:
            await self._subscribe(self._ws, watch)

    async def _remove(self, watch: SharedSignatureWatch) -> None:
        self._watches.discard(watch)
        sub_id, watch.sub_id = watch.sub_id, None
        if sub_id is not None and self._subs.pop(sub_id, None) is not None:
            await self._send(self._ws, "signatureUnsubscribe", [sub_id])

    async def _send(self, ws: Any, method: str, params: list[Any]) -> int:
        rid = next(self._ids)
        if ws is not None:
            try:
                await ws.send(json.dumps({"jsonrpc": "2.0", "id": rid, "method": method,
                                          "params": params}))
            except _DROPS:
                pass  # the reader sees the drop and resubscribes
        return rid

    async def _subscribe(self, ws: Any, watch: SharedSignatureWatch) -> None:
        if watch.conn == self.connections:
            return  # already asked on this connection
        watch.conn = self.connections
        rid = next(self._ids)
        self._pending[rid] = watch
        try:
            await ws.send(json.dumps({"jsonrpc": "2.0", "id": rid, "method": "signatureSubscribe",
                                      "params": watch.params}))
        except _DROPS:
            pass

    async def _on_reply(self, msg: dict[str, Any]) -> bool:
        watch = self._pending.pop(msg["id"], None)
        if watch is None:
            return False  # an unsubscribe's reply
        if isinstance(msg.get("error"), dict):
            self._watches.discard(watch)
            watch._end(classify_rpc_error(msg["error"], venue="rpc-ws",
                                          request_id=str(msg["id"])))
            return False
        sub_id = parse_int(msg.get("result"), "signatureSubscribe subscription id")
        if watch not in self._watches:  # closed while its request was in flight
            await self._send(self._ws, "signatureUnsubscribe", [sub_id])
            return True
        self._subs[sub_id] = watch
        watch.sub_id = sub_id
        watch._set_live(True)
        return True

    def _on_notification(self, params: Any) -> None:
        sub_id = params.get("subscription") if isinstance(params, dict) else None
        watch = self._subs.pop(sub_id, None) if isinstance(sub_id, int) else None
        if watch is None:
            return
        note = parse_signature_notification(params.get("result"))
        watch.sub_id = None  # the node ends a signature subscription after notifying
        self._watches.discard(watch)
        watch._notified(note)

    def _lost(self) -> None:
        self._ws = None
        self._pending.clear()
        self._subs.clear()
        for watch in self._watches:
            watch.sub_id = None
            watch._set_live(False)

    async def _run(self) -> None:
        failures = 0
        where = safe_url(self.url)
        while not self._closing and self._watches:
            reason: BaseException | None = None
            try:
                async with connect(self.url, open_timeout=self.open_timeout_s,
                                   max_size=2**24) as ws:
                    self.connections += 1
                    self._ws = ws
                    if self._closing:
                        return
                    for watch in list(self._watches):
                        await self._subscribe(ws, watch)
                    async for raw in ws:
                        msg = json.loads(raw)
                        if not isinstance(msg, dict):
                            continue
                        if isinstance(msg.get("id"), int):
                            if await self._on_reply(msg):
                                failures = 0
                        elif msg.get("method") == "signatureNotification":
                            self._on_notification(msg.get("params"))
            except (*_DROPS, json.JSONDecodeError, SchemaError) as exc:
                reason = exc
            except InvalidURI as exc:
                reason = ConfigError(f"Bad websocket URL {where}: {exc}",
                                     setting="execution.ws_url")
                failures = self.policy.max_attempts
            finally:
                self._lost()
            if self._closing or not self._watches:
                return
            failures += 1
            if failures >= self.policy.max_attempts:
                error = reason if isinstance(reason, ConfigError) else TemporaryVenueError(
                    f"signatureSubscribe on {where} failed {failures} times in a row "
                    f"({type(reason).__name__ if reason else 'closed'}); giving up.",
                    venue="rpc-ws")
                for watch in list(self._watches):
                    watch._end(error)
                self._watches.clear()
                return
            delay = self.policy.delay_s(failures)
            log.info("PubSub %s dropped (%s); resubscribing %d signatures in %.2fs", where,
                     type(reason).__name__ if reason else "closed by server",
                     len(self._watches), delay)
            await self._sleep(delay)

    async def aclose(self, timeout_s: float = 2.0) -> None:
        """Close the socket and end the connection task (no reconnect); open watches fail
        over to polling."""
        self._closing = True
        ws, task = self._ws, self._task
        if ws is not None:
            await ws.close()
        if task is not None and not task.done():
            await asyncio.wait({task}, timeout=timeout_s)
            if not task.done():
                task.cancel()
                await asyncio.wait({task}, timeout=timeout_s)
        closed = TemporaryVenueError(f"The PubSub connection to {safe_url(self.url)} was "
                                     "closed.", venue="rpc-ws")
        for watch in list(self._watches):
            watch._end(closed)
        self._watches.clear()


class SharedSignatureWatch:
    """A :class:`SignatureWatch` (same reading interface) on a :class:`SignaturePubSub`."""

    def __init__(self, pubsub: SignaturePubSub, signature: Signature,
                 commitment: Commitment) -> None:
        self.pubsub = pubsub
        self.signature = signature
        self.params = [str(signature), {"commitment": str(commitment)}]
        self.notification: SignatureNotification | None = None
        self.failed: BaseException | None = None
        self.live = False
        self.subscriptions = 0  # successful subscriptions so far (1 + resubscriptions)
        self.sub_id: int | None = None
        self.conn = 0  # the connection number its last subscribe was sent on
        self._recheck = False
        self._changed = asyncio.Event()

    def __repr__(self) -> str:
        return (f"SharedSignatureWatch({self.signature}, live={self.live}, "
                f"notified={self.notification is not None}, "
                f"subscriptions={self.subscriptions})")

    async def __aenter__(self) -> SharedSignatureWatch:
        await self.pubsub._add(self)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Leave the shared socket (unsubscribing if still subscribed); it stays open."""
        self.live = False
        await self.pubsub._remove(self)

    def _set_live(self, up: bool) -> None:
        if up:
            self.subscriptions += 1
            self._recheck = True
        if up != self.live or up:
            self.live = up
            self._changed.set()

    def _notified(self, note: SignatureNotification) -> None:
        self.notification = note
        self.live = False
        self._changed.set()

    def _end(self, error: BaseException) -> None:
        self.failed = error
        self.live = False
        self._changed.set()
        log.info("signatureSubscribe %s ended (%s); confirmation falls back to polling",
                 self.signature, error)

    def take_recheck(self) -> bool:
        """True once after each (re)subscription: check the status once by RPC."""
        recheck, self._recheck = self._recheck, False
        return recheck

    async def wait(self, timeout_s: float) -> None:
        """Return when something changed (notification, subscribed, dropped) or after
        ``timeout_s``."""
        if self._changed.is_set() or timeout_s <= 0:
            await asyncio.sleep(0)
        else:
            try:
                await asyncio.wait_for(self._changed.wait(), timeout_s)
            except TimeoutError:
                pass
        self._changed.clear()

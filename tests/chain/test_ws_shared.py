"""One shared PubSub connection for every order's ``signatureSubscribe`` (SignaturePubSub),
against a real local ``websockets`` server speaking Solana PubSub: the subscribe reply
``{"jsonrpc", "result": <id>, "id"}``, ``signatureUnsubscribe`` answered ``true`` and the
documented ``signatureNotification`` layout (built here, no recording exists)."""

import asyncio
import json
import socket

import httpx
import pytest
from solders.signature import Signature
from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed

from workbench.chain.jsonrpc import JsonRpcClient
from workbench.chain.rpc import RpcChain
from workbench.chain.ws import SignaturePubSub
from workbench.errors import OrderRejected, TemporaryVenueError
from workbench.retry import RetryPolicy

pytestmark = pytest.mark.integration

FAST = RetryPolicy(max_attempts=4, base_delay_s=0.01, jitter=0.0)


class MultiPubSub:
    """Many subscriptions per connection. ``notify(sig, slot)`` sends a signature's
    notification on the connection it is subscribed on; ``drop()`` aborts every connection;
    ``refuse`` answers subscriptions with a JSON-RPC error."""

    def __init__(self, refuse=False):
        self.refuse = refuse
        self.connections = 0
        self.closed = 0
        self.subscribes = []  # (connection, signature, subscription id)
        self.unsubscribes = []
        self.live = {}  # signature -> (ws, subscription id)
        self._open = []
        self._ids = iter(range(24_001, 1 << 30))
        self.changed = asyncio.Event()

    async def handler(self, ws):
        self.connections += 1
        conn = self.connections
        self._open.append(ws)
        try:
            async for raw in ws:
                req = json.loads(raw)
                if req["method"] == "signatureUnsubscribe":
                    self.unsubscribes.append(req["params"][0])
                    await ws.send(json.dumps({"jsonrpc": "2.0", "result": True,
                                              "id": req["id"]}))
                elif self.refuse:
                    await ws.send(json.dumps({"jsonrpc": "2.0", "id": req["id"], "error": {
                        "code": -32602, "message": "Invalid param: WrongSize"}}))
                else:
                    sub = next(self._ids)
                    self.subscribes.append((conn, req["params"][0], sub))
                    self.live[req["params"][0]] = (ws, sub)
                    await ws.send(json.dumps({"jsonrpc": "2.0", "result": sub, "id": req["id"]}))
                self.changed.set()
        except ConnectionClosed:
            pass
        finally:
            self._open.remove(ws)
            self.closed += 1
            self.changed.set()

    async def notify(self, sig, slot, err=None):
        ws, sub = self.live.pop(str(sig))
        await ws.send(json.dumps({"jsonrpc": "2.0", "method": "signatureNotification", "params": {
            "result": {"context": {"slot": slot}, "value": {"err": err}}, "subscription": sub}}))

    def drop(self):
        self.live.clear()
        for ws in list(self._open):
            ws.transport.abort()

    async def until(self, pred):
        async with asyncio.timeout(10):
            while not pred():
                self.changed.clear()
                await self.changed.wait()

    async def __aenter__(self):
        self._server = await serve(self.handler, "127.0.0.1", 0)
        self.url = f"ws://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"
        return self

    async def __aexit__(self, *exc):
        self._server.close()
        await self._server.wait_closed()


async def _until(watches, pred):
    async with asyncio.timeout(10):
        for w in watches:
            while not pred(w):
                await w.wait(1.0)


async def test_concurrent_watches_share_one_connection():
    """Twenty watches opened at once: one connection, twenty subscriptions on it, and each
    notification reaches the watch of its own subscription."""
    sigs = [Signature.new_unique() for _ in range(20)]
    async with MultiPubSub() as srv:
        pubsub = SignaturePubSub(srv.url, policy=FAST)
        watches = [pubsub.watch(s) for s in sigs]
        await asyncio.gather(*(w.__aenter__() for w in watches))
        await _until(watches, lambda w: w.live)
        assert srv.connections == 1 and pubsub.connections == 1
        assert sorted(s for _, s, _ in srv.subscribes) == sorted(map(str, sigs))
        assert all(w.take_recheck() for w in watches)  # one status check after subscribing
        for i, s in enumerate(reversed(sigs)):
            await srv.notify(s, slot=1000 + i)
        await _until(watches, lambda w: w.notification is not None)
        assert [w.notification.slot for w in reversed(watches)] == list(range(1000, 1020))
        assert not any(w.live for w in watches)
        for w in watches:
            await w.aclose()
        assert srv.unsubscribes == []  # the node ended each one when it notified
        assert srv.connections == 1 and srv.closed == 0  # the socket stays for the next order
        await pubsub.aclose()
        await srv.until(lambda: srv.closed == 1)


async def test_a_drop_resubscribes_every_live_signature():
    """The socket drops with ten subscriptions on it: every watch goes not-live (its caller
    polls), the client reconnects once, resubscribes all ten, asks one status check each,
    and the notifications then arrive on the new connection."""
    sigs = [Signature.new_unique() for _ in range(10)]
    async with MultiPubSub() as srv:
        pubsub = SignaturePubSub(srv.url, policy=FAST)
        watches = [pubsub.watch(s) for s in sigs]
        for w in watches:
            await w.__aenter__()
        await _until(watches, lambda w: w.live)
        assert all(w.take_recheck() for w in watches)
        srv.drop()
        await _until(watches, lambda w: w.subscriptions == 2 and w.live)
        assert srv.connections == 2 and pubsub.connections == 2
        assert [c for c, _, _ in srv.subscribes] == [1] * 10 + [2] * 10
        assert sorted(s for c, s, _ in srv.subscribes if c == 2) == sorted(map(str, sigs))
        assert all(w.take_recheck() for w in watches)  # the gap while down: check once
        assert not any(w.take_recheck() for w in watches)
        for i, s in enumerate(sigs):
            await srv.notify(s, slot=i)
        await _until(watches, lambda w: w.notification is not None)
        assert [w.notification.slot for w in watches] == list(range(10))
        assert all(w.failed is None for w in watches)
        for w in watches:
            await w.aclose()
        await pubsub.aclose()


async def test_completed_watches_unsubscribe_and_the_socket_stays():
    """A watch that leaves before its notification (the order was confirmed by a status poll)
    unsubscribes its own id; the one notified does not; the socket stays open until the
    PubSub is closed."""
    sigs = [Signature.new_unique() for _ in range(3)]
    async with MultiPubSub() as srv:
        pubsub = SignaturePubSub(srv.url, policy=FAST)
        watches = [pubsub.watch(s) for s in sigs]
        for w in watches:
            await w.__aenter__()
        await _until(watches, lambda w: w.live)
        ids = {s: sub for _, s, sub in srv.subscribes}
        await srv.notify(sigs[0], slot=7)
        await _until(watches[:1], lambda w: w.notification is not None)
        for w in watches:
            await w.aclose()
        await srv.until(lambda: len(srv.unsubscribes) == 2)
        assert sorted(srv.unsubscribes) == sorted(ids[str(s)] for s in sigs[1:])
        assert srv.closed == 0
        later = pubsub.watch(Signature.new_unique())  # the next order reuses the socket
        async with later:
            await _until([later], lambda w: w.live)
        assert srv.connections == 1
        await pubsub.aclose()
        await srv.until(lambda: srv.closed == 1)


async def test_refused_subscription_fails_that_watch_only():
    """A JSON-RPC error to one subscribe fails that watch (classified); no reconnect."""
    async with MultiPubSub(refuse=True) as srv:
        pubsub = SignaturePubSub(srv.url, policy=FAST)
        async with pubsub.watch(Signature.new_unique()) as w:
            await _until([w], lambda w: w.failed is not None)
        assert isinstance(w.failed, OrderRejected) and "WrongSize" in str(w.failed)
        assert srv.connections == 1 and not w.live
        await pubsub.aclose()


async def test_unreachable_gives_up_then_the_next_watch_tries_again():
    """Nothing listening: after the policy's attempts every watch has ``failed`` (its caller
    polls) and the PubSub stops; a later watch starts a new round of attempts."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    pubsub = SignaturePubSub(f"ws://127.0.0.1:{port}", policy=FAST, open_timeout_s=2)
    watches = [pubsub.watch(Signature.new_unique()) for _ in range(3)]
    for w in watches:
        await w.__aenter__()
    await _until(watches, lambda w: w.failed is not None)
    assert all(isinstance(w.failed, TemporaryVenueError) for w in watches)
    assert "failed 4 times in a row" in str(watches[0].failed)
    assert pubsub.connections == 0
    async with pubsub.watch(Signature.new_unique()) as again:
        await _until([again], lambda w: w.failed is not None)
    await pubsub.aclose()


async def test_rpc_chain_owns_one_pubsub_and_closes_it():
    """RpcChain hands out one PubSub for its own websocket URL (None for another URL, where
    the caller opens its own), and closing the chain closes the socket."""
    async with MultiPubSub() as srv, httpx.AsyncClient() as http:
        chain = RpcChain(JsonRpcClient(http, ["http://127.0.0.1:1/"]), ws_url=srv.url)
        pubsub = chain.signature_pubsub(srv.url, FAST)
        assert pubsub is chain.signature_pubsub(srv.url) and pubsub.policy is FAST
        assert chain.signature_pubsub("ws://elsewhere.test/") is None
        assert chain.signature_pubsub(None) is None
        async with pubsub.watch(Signature.new_unique()) as w:
            await _until([w], lambda w: w.live)
        await chain.aclose()
        await srv.until(lambda: srv.closed == 1)
        assert chain.signature_pubsub(srv.url) is not pubsub  # a later order opens anew
        await chain.aclose()

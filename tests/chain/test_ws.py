"""Websocket subscriptions against a local websockets server that drops connections mid-stream."""

import asyncio
import base64
import json
import socket

import pytest
from solders.pubkey import Pubkey
from solders.signature import Signature
from websockets.asyncio.server import serve

from workbench.chain.ws import (
    SignatureWatch,
    account_subscribe,
    logs_subscribe,
    signature_subscribe,
    ws_url_for,
)
from workbench.errors import ConfigError, OrderRejected, TemporaryVenueError
from workbench.retry import RetryPolicy

pytestmark = pytest.mark.integration

FAST = RetryPolicy(max_attempts=4, base_delay_s=0.01, jitter=0.0)
OWNER = "11111111111111111111111111111111"


def _account_note(sub, slot, lamports, data=b"\x01\x02"):
    # shape of the Solana docs' accountNotification example, base64 encoding
    return {"jsonrpc": "2.0", "method": "accountNotification", "params": {
        "result": {"context": {"slot": slot}, "value": {
            "data": [base64.b64encode(data).decode(), "base64"], "executable": False,
            "lamports": lamports, "owner": OWNER, "rentEpoch": 635, "space": len(data)}},
        "subscription": sub}}


class Server:
    """Scripted RPC websocket: per connection, a list of actions after the subscribe reply:
    ("send", msg), ("drop",) aborts TCP, ("close",) closes cleanly, ("wait",) idles,
    ("gate", event) waits for the event."""

    def __init__(self, scripts, reply=None):
        self.scripts = list(scripts)
        self.reply = reply
        self.subscribes = []
        self.connections = 0

    async def handler(self, ws):
        self.connections += 1
        script = self.scripts.pop(0) if self.scripts else [("wait",)]
        req = json.loads(await ws.recv())
        self.subscribes.append(req)
        sub_id = 100 + self.connections
        reply = self.reply or {"jsonrpc": "2.0", "result": sub_id, "id": req["id"]}
        await ws.send(json.dumps(reply))
        for action in script:
            if action[0] == "send":
                await ws.send(json.dumps(action[1](sub_id)))
            elif action[0] == "drop":
                ws.transport.abort()
                return
            elif action[0] == "close":
                await ws.close()
                return
            elif action[0] == "gate":
                await action[1].wait()  # hold until the test releases it
            else:
                await ws.wait_closed()  # idle until the client goes away

    async def __aenter__(self):
        self._server = await serve(self.handler, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"ws://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc):
        self._server.close()
        await self._server.wait_closed()


class Sleeps:
    def __init__(self):
        self.calls = []

    async def __call__(self, s):
        self.calls.append(s)
        await asyncio.sleep(0)


async def _take(sub, n):
    out = []
    async with asyncio.timeout(10):
        async for item in sub:
            out.append(item)
            if len(out) == n:
                break
    await sub.aclose()
    return out


async def test_account_subscription_survives_a_dropped_connection():
    """Two notifications, a TCP drop, a resubscription with the same params, two more."""
    scripts = [
        [("send", lambda s: _account_note(s, 10, 1)), ("send", lambda s: _account_note(s, 11, 2)),
         ("drop",)],
        [("send", lambda s: _account_note(s, 12, 3)), ("send", lambda s: _account_note(s, 13, 4)),
         ("wait",)],
    ]
    key = Pubkey.new_unique()
    reconnects = []
    sleeps = Sleeps()
    async with Server(scripts) as srv:
        sub = account_subscribe(srv.url, key, policy=FAST, sleep=sleeps,
                                on_reconnect=lambda: reconnects.append(1))
        items = await _take(sub, 4)
    assert [(i.slot, i.lamports) for i in items] == [(10, 1), (11, 2), (12, 3), (13, 4)]
    assert items[0].data == b"\x01\x02" and str(items[0].owner) == OWNER
    assert [r["method"] for r in srv.subscribes] == ["accountSubscribe"] * 2
    assert srv.subscribes[0]["params"] == srv.subscribes[1]["params"] == [
        str(key), {"encoding": "base64", "commitment": "confirmed"}]
    assert reconnects == [1] and sub.connections == 2
    assert sleeps.calls == [0.01]  # one backoff, reset by the successful resubscription


async def test_logs_subscription_reconnects_after_clean_close_and_skips_foreign_ids():
    """A server-side close also reconnects; notifications for other subscription ids are
    ignored."""
    sig = str(Signature.new_unique())

    def note(slot):
        return lambda s: {"jsonrpc": "2.0", "method": "logsNotification", "params": {
            "result": {"context": {"slot": slot}, "value": {
                "signature": sig, "err": None, "logs": [f"Program log: {slot}"]}},
            "subscription": s}}

    scripts = [[("send", lambda s: note(1)(s + 999)), ("send", note(2)), ("close",)],
               [("send", note(3)), ("wait",)]]
    mention = Pubkey.new_unique()
    async with Server(scripts) as srv:
        items = await _take(logs_subscribe(srv.url, mention, policy=FAST, sleep=Sleeps()), 2)
    assert [i.slot for i in items] == [2, 3]
    assert items[0].logs == ("Program log: 2",) and str(items[0].signature) == sig
    assert srv.subscribes[0]["params"][0] == {"mentions": [str(mention)]}


async def test_signature_subscription_is_one_shot_across_a_drop():
    """A drop before the notification: resubscribe, on_reconnect runs, one item, then done."""
    note = {"context": {"slot": 5207624}, "value": {"err": None}}
    scripts = [[("drop",)],
               [("send", lambda s: {"jsonrpc": "2.0", "method": "signatureNotification",
                                    "params": {"result": note, "subscription": s}}), ("wait",)]]
    checked = []

    async def check():
        checked.append(True)

    async with Server(scripts) as srv:
        sub = signature_subscribe(srv.url, Signature.new_unique(), policy=FAST, sleep=Sleeps(),
                                  on_reconnect=check)
        async with asyncio.timeout(10):
            items = [i async for i in sub]
    assert [(i.slot, i.err) for i in items] == [(5207624, None)]
    assert checked == [True]


async def test_signature_watch_states_across_a_drop():
    """SignatureWatch: live after the subscribe reply, not live after the drop (the caller
    polls), a recheck asked after each subscription, then the notification; leaving the
    context closes the socket."""
    note = {"context": {"slot": 77}, "value": {"err": {"InstructionError": [2, {"Custom": 1}]}}}
    release = asyncio.Event()
    scripts = [[("drop",)],
               [("gate", release),
                ("send", lambda s: {"jsonrpc": "2.0", "method": "signatureNotification",
                                    "params": {"result": note, "subscription": s}}),
                ("wait",)]]
    states = []
    sig = Signature.new_unique()
    async with Server(scripts) as srv:
        watch = SignatureWatch(srv.url, sig, policy=FAST, sleep=Sleeps())
        on_state = watch._sub.on_state
        watch._sub.on_state = lambda up: (states.append(up), on_state(up))
        async with watch, asyncio.timeout(10):
            while watch.subscriptions < 2 or not watch.live:
                await watch.wait(1.0)
            assert states == [True, False, True]  # subscribed, dropped (poll), resubscribed
            assert watch.take_recheck() is True and watch.take_recheck() is False
            assert watch.notification is None
            release.set()
            while watch.notification is None:
                await watch.wait(1.0)
        assert (watch.notification.slot, watch.notification.err) == (77, note["value"]["err"])
        assert watch.live is False and watch.failed is None
    assert [r["params"] for r in srv.subscribes] == [[str(sig), {"commitment": "confirmed"}]] * 2


async def test_signature_watch_closes_a_quiet_subscription_without_cancelling_it():
    """Closing a watch whose socket is open and quiet ends its task through the normal exit
    (no reconnect, no error), and the server sees the connection go."""
    async with Server([[("wait",)]]) as srv:
        watch = SignatureWatch(srv.url, Signature.new_unique(), policy=FAST, sleep=Sleeps())
        async with watch, asyncio.timeout(10):
            while not watch.live:
                await watch.wait(1.0)
        assert watch._task.done() and not watch._task.cancelled()
        assert watch.failed is None and watch.notification is None and not watch.live
    assert srv.connections == 1


async def test_signature_watch_gives_up_and_says_why():
    """Nothing listening: the watch ends with ``failed`` set and is never live."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    async with SignatureWatch(f"ws://127.0.0.1:{port}", Signature.new_unique(), policy=FAST,
                              sleep=Sleeps(), open_timeout_s=2) as watch:
        async with asyncio.timeout(10):
            while watch.failed is None:
                await watch.wait(1.0)
    assert isinstance(watch.failed, TemporaryVenueError) and not watch.live


async def test_refused_subscription_is_not_retried():
    """A JSON-RPC error to the subscribe request raises at once, classified."""
    reply = {"jsonrpc": "2.0", "id": 1,
             "error": {"code": -32602, "message": "Invalid param: WrongSize"}}
    async with Server([[("wait",)]], reply=reply) as srv:
        sub = account_subscribe(srv.url, Pubkey.new_unique(), policy=FAST, sleep=Sleeps())
        with pytest.raises(OrderRejected, match="WrongSize"):
            await _take(sub, 1)
    assert srv.connections == 1


async def test_unreachable_server_gives_up_after_policy_attempts():
    """Nothing listening: bounded reconnects, then TemporaryVenueError."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sleeps = Sleeps()
    sub = account_subscribe(f"ws://127.0.0.1:{port}", Pubkey.new_unique(), policy=FAST,
                            sleep=sleeps, open_timeout_s=2)
    with pytest.raises(TemporaryVenueError, match="failed 4 times in a row"):
        await _take(sub, 1)
    assert sleeps.calls == [0.01, 0.02, 0.04]


def test_ws_url_derivation():
    """The websocket URL follows the RPC URL unless set; other schemes need ws_url."""
    assert ws_url_for("https://rpc.test/?api-key=k") == "wss://rpc.test/?api-key=k"
    assert ws_url_for("http://127.0.0.1:8899") == "ws://127.0.0.1:8899"
    assert ws_url_for("https://rpc.test", "wss://other.test") == "wss://other.test"
    with pytest.raises(ConfigError, match=r"set execution\.ws_url"):
        ws_url_for("ftp://rpc.test")

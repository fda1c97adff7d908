"""Concurrent orders over one RpcChain confirm on ONE shared PubSub connection: the Executor
over RpcChain with its HTTP node answered from a real LiteSVM chain (respx) and its websocket
the local PubSub server of test_confirm_ws (several subscriptions per connection)."""

import asyncio

import httpx
import pytest
import respx
from solders.signature import Signature

from tests.execution.test_confirm_ws import (
    CONFIG,
    WS_FAST,
    LaggingNode,
    PubSubNode,
    StatusesAfterSubscribe,
    _sell,
)
from tests.execution.test_executor_rpc import A, Recorder, _rpc_chain
from workbench.execution.executor import Executor, ExecutorConfig
from workbench.testing import paper_market

pytestmark = pytest.mark.integration


async def _execute_all(pm, node, ws, intents, config=CONFIG, rec=None, settle=None):
    with respx.mock() as mock:
        mock.post(A).mock(side_effect=node)
        async with httpx.AsyncClient() as http:
            chain = _rpc_chain(http, A)
            chain.ws_url = ws.url
            ex = Executor(chain, pm.wallet, pm.venues, config=config, hooks=rec)
            try:
                async with asyncio.timeout(60):
                    fills = await asyncio.gather(*(ex.execute(i) for i in intents))
                    for _ in range(5000 if settle is not None else 0):
                        if settle():
                            break
                        await asyncio.sleep(0.002)  # replies still in flight on the socket
                    return fills
            finally:
                await chain.aclose()


async def test_concurrent_orders_share_one_connection():
    """Eight orders at once, statuses lagging (only notifications can confirm): one
    connection carries all eight subscriptions and every order fills once."""
    pm = paper_market(("150",))
    node, rec = LaggingNode(pm.chain), Recorder()
    intents = [_sell(f"sh-{i}", amount=10**7, pm=pm) for i in range(8)]
    async with PubSubNode(pm.chain) as ws:
        fills = await _execute_all(pm, node, ws, intents, rec=rec)
    assert ws.connections == 1 and len(ws.subscribes) == 8
    assert sorted(s for _, s in ws.notified) == sorted(f.signature for f in fills)
    assert len(rec.submitted) == 8 and sorted(rec.fills, key=id) == sorted(fills, key=id)
    assert all(pm.chain.landed(Signature.from_string(f.signature)).ok for f in fills)


async def test_a_drop_resubscribes_every_order_on_the_new_connection():
    """The first connection drops after its first subscribe reply: the client reconnects
    once and resubscribes every order in flight; all fill from notifications on it."""
    pm = paper_market(("150",))
    node, rec = LaggingNode(pm.chain), Recorder()
    intents = [_sell(f"dr-{i}", amount=10**7, pm=pm) for i in range(6)]
    async with PubSubNode(pm.chain, scripts=["drop", "notify"]) as ws:
        fills = await _execute_all(pm, node, ws, intents, rec=rec)
    assert ws.connections == 2
    assert {c for c, _ in ws.notified} == {2}
    assert sorted(s for _, s in ws.notified) == sorted(f.signature for f in fills)
    second = [r["params"][0] for r in ws.subscribes[-6:]]
    assert sorted(second) == sorted(f.signature for f in fills)  # all six resubscribed
    assert len(rec.submitted) == 6


async def test_orders_confirmed_by_polls_unsubscribe():
    """A node that never notifies, whose statuses show once the socket has a subscription:
    the orders confirm by status polls and each one that subscribed leaves the shared socket
    with ``signatureUnsubscribe`` of its own subscription."""
    pm = paper_market(("150",))
    rec = Recorder()
    config = ExecutorConfig(poll_interval_s=0, resend_interval_s=0, ws_policy=WS_FAST,
                            subscribed_poll_interval_s=0.005)
    intents = [_sell(f"un-{i}", amount=10**7, pm=pm) for i in range(4)]
    async with PubSubNode(pm.chain, scripts=["mute"]) as ws:
        node = StatusesAfterSubscribe(pm.chain, ws, hide=0)
        fills = await _execute_all(
            pm, node, ws, intents, config=config, rec=rec,
            settle=lambda: len(ws.unsubscribes) == len(ws.subscribes))
    assert len(fills) == 4 and ws.notified == [] and ws.connections == 1
    # (an order confirmed before its subscribe reply unsubscribes once the reply comes)
    assert 1 <= len(ws.subscribes) == len(ws.unsubscribes) == len(set(ws.unsubscribes))

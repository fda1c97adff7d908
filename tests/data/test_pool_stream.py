"""Live pool prices over a local websocket server that drops the connection once.

The server speaks Solana's accountSubscribe protocol and sends recorded account bytes
(tests/fixtures/rpc_accounts) as notifications; the first connection is cut after a few.
"""

import asyncio
import base64
import json
from pathlib import Path

import numpy as np
import pytest
from websockets.asyncio.server import serve

from workbench.retry import RetryPolicy
from workbench.data.collect import PoolWatch, stream_pool
from workbench.data.decoders import (
    decode_bonding_curve,
    decode_raydium_amm_v4,
    decode_whirlpool,
)

ACC = Path(__file__).resolve().parents[1] / "fixtures" / "rpc_accounts"
FAST = RetryPolicy(max_attempts=5, base_delay_s=0.01, max_delay_s=0.02)
WHIRL = "CGGNcohZdLdeDBdhmQRGmUH1Viv1p4d1ds2aPLoiVWaR"  # the tick array fixture's pool


def _b64(name, key="data"):
    return json.loads((ACC / name).read_text())[key]


def _whirl_b64():
    return _b64("orca-whirlpool__whirlpool_account.json")


def _other_whirl_b64():
    raw = json.loads((ACC / "orca_whirlpool_56Ekyu6uBpTna3LR2qkjHjNbDNkCLWK2Lt3uWh7J2R8Z"
                             "_account.json").read_text())
    data = raw.get("data")
    if isinstance(data, list) and data and isinstance(data[0], int):
        return base64.b64encode(bytes(data)).decode()
    if isinstance(data, list):
        return data[0]
    return data


def _curves():
    return {a["name"]: a["data_base64"] for a in json.loads(
        (ACC / "pumpfun_bonding_curves.json").read_text())["accounts"]}


def _note(sub, slot, data_b64, owner):
    return json.dumps({"jsonrpc": "2.0", "method": "accountNotification", "params": {
        "subscription": sub, "result": {"context": {"slot": slot}, "value": {
            "lamports": 1, "owner": owner, "data": [data_b64, "base64"], "executable": False,
            "rentEpoch": 0, "space": len(base64.b64decode(data_b64))}}}})


class Server:
    """accountSubscribe server: per connection, a script of (slot, data) to send, then close."""

    def __init__(self, scripts, owner):
        self.scripts = list(scripts)  # one list per connection
        self.owner = owner
        self.subscribed = []

    async def handler(self, ws):
        msg = json.loads(await ws.recv())
        self.subscribed.append((msg["method"], msg["params"][0]))
        sub = 40 + len(self.subscribed)
        await ws.send(json.dumps({"jsonrpc": "2.0", "id": msg["id"], "result": sub}))
        script = self.scripts.pop(0) if self.scripts else []
        for slot, data in script:
            await ws.send(_note(sub, slot, data, self.owner))
        if self.scripts:  # more connections expected: drop this one
            return
        await ws.wait_closed()  # the last connection stays open until the client leaves


async def _collect(url, watch, n, **kw):
    stream = stream_pool(url, watch, policy=FAST, open_timeout_s=2, **kw)
    out = []
    try:
        async with asyncio.timeout(10):
            async for tick in stream:
                out.append(tick)
                if len(out) == n:
                    break
    finally:
        await stream.aclose()
    return stream, out


@pytest.mark.integration
async def test_whirlpool_prices_survive_a_drop_and_the_gates_hold():
    """Ticks are decoded from real bytes; a resent, an older and a wild update are rejected."""
    good, other = _whirl_b64(), _other_whirl_b64()
    server = Server([[(100, good), (101, good)],
                     [(101, good), (99, good), (102, other), (103, good)]],
                    owner="whirLbMiicVdio4qvUfM5KAg6Ct8VwpYzGff3uctyCc")
    async with serve(server.handler, "127.0.0.1", 0) as srv:
        port = srv.sockets[0].getsockname()[1]
        watch = PoolWatch.whirlpool(WHIRL, symbol="SOL/X", decimals_a=9, decimals_b=6)
        stream, ticks = await _collect(f"ws://127.0.0.1:{port}", watch, 3)
    want = decode_whirlpool(base64.b64decode(good)).price(9, 6)
    assert [t.slot for t in ticks] == [100, 101, 103]
    assert all(t.price == want for t in ticks) and ticks[0].venue == "whirlpool"
    assert stream.rejected == {"duplicate": 1, "out_of_order": 1, "outlier": 1}
    assert stream.subscriptions[0].connections == 2
    assert server.subscribed == [("accountSubscribe", WHIRL)] * 2


@pytest.mark.integration
async def test_pumpfun_curve_prices_and_a_completed_curve_gives_none():
    """Curve states price in SOL per token; a graduated curve is rejected as complete."""
    c = _curves()
    fresh, drained, done = c["fresh_curve_5WXUxY"], c["drained_curve_8t4tkj"], c["graduated_curve"]
    server = Server([[(10, fresh)], [(11, drained), (12, done), (13, fresh)]],
                    owner="6EF8rrecthR5Dkzon8Nwu78hRvfCKubJ14M5uBEwF6P")
    curve = "8t4tkjQkH3ArH2zmUVKmFbCUE1pHyCDq4Ac2ojbMh1wh"
    async with serve(server.handler, "127.0.0.1", 0) as srv:
        port = srv.sockets[0].getsockname()[1]
        stream, ticks = await _collect(f"ws://127.0.0.1:{port}",
                                       PoolWatch.pumpfun(curve, symbol="X/SOL"), 3)
    prices = [decode_bonding_curve(base64.b64decode(x)).price_sol() for x in (fresh, drained)]
    assert [(t.slot, t.price) for t in ticks] == [(10, prices[0]), (11, prices[1]),
                                                  (13, prices[0])]
    assert stream.rejected == {"complete": 1}


def test_raydium_watch_prices_from_both_vaults():
    """The Raydium watch needs both vault balances and prices with the pool's own PnL rule."""
    pool = decode_raydium_amm_v4(base64.b64decode(_b64(
        "raydium_amm_v4_5y2QYKY8gQCcmG6jy4fc7wFg8L5SW7bkyvMH3jUTqBdy_jupiter_market_cache_entry"
        ".json")[0]))
    watch = PoolWatch.raydium_amm_v4(pool, symbol="X/Y")
    assert watch.accounts == (str(pool.coin_vault), str(pool.pc_vault))

    def token_account(mint, amount):  # SPL layout: mint, owner, amount u64, then the rest
        return (bytes(mint) + bytes(32) + int(amount).to_bytes(8, "little")).ljust(165, b"\0")

    coin_amt = pool.need_take_pnl_coin + 5_000_000_000
    pc_amt = pool.need_take_pnl_pc + 7_000_000
    latest = {watch.accounts[0]: token_account(pool.coin_mint, coin_amt)}
    assert watch.pricer(latest) is None
    latest[watch.accounts[1]] = token_account(pool.pc_mint, pc_amt)
    assert watch.pricer(latest) == pool.price(coin_amt, pc_amt)
    assert np.isclose(float(watch.pricer(latest)),
                      7_000_000 / 5_000_000_000 * 10 ** (pool.coin_decimals - pool.pc_decimals))

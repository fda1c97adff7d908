"""RPC and feed faults: timeouts, 429s, disconnects, blockhash expiry, stalls, feed crashes.

The chain wrapper injects faults between the executor and LiteSVM exactly where an RPC node
fails (send, status, blockhash); the engine must keep running, never double an order, and
trip the breaker when failures pile up or the feed goes quiet.
"""

from __future__ import annotations

import random

import pytest

from workbench.errors import RateLimited, TemporaryVenueError
from workbench.live import Engine
from workbench.store import ledger

from .checks import assert_ledger_matches_chain
from .conftest import fast_config, make_settings, wait_until


class FaultyChain:
    """Delegates to a LiteSVM chain, failing chosen calls like a flaky RPC node."""

    def __init__(self, chain, *, rate: float = 0.0, seed: int = 7, blockhash_down: bool = False,
                 drop_and_expire: bool = False) -> None:
        self._chain = chain
        self.rate = rate
        self.rng = random.Random(seed)
        self.blockhash_down = blockhash_down
        self.drop_and_expire = drop_and_expire
        self.injected = 0

    def __getattr__(self, name):
        return getattr(self._chain, name)

    def _maybe_fail(self, call: str) -> None:
        if self.rng.random() < self.rate:
            self.injected += 1
            kind = self.rng.choice(("timeout", "429", "disconnect"))
            if kind == "429":
                raise RateLimited(f"{call}: HTTP 429", venue="rpc", retry_after_s=0.0)
            raise TemporaryVenueError(f"{call}: {kind}", venue="rpc")

    async def latest_blockhash(self):
        if self.blockhash_down:
            self.injected += 1
            raise TemporaryVenueError("getLatestBlockhash: connection reset", venue="rpc")
        return await self._chain.latest_blockhash()

    async def send_transaction(self, tx, *, skip_preflight=True):
        if self.drop_and_expire:
            self.injected += 1
            self._chain.advance(400)  # the packet is lost and the blockhash runs out
            return tx.signatures[0]
        self._maybe_fail("sendTransaction")
        return await self._chain.send_transaction(tx, skip_preflight=skip_preflight)

    async def send_raw(self, tx_bytes, *, skip_preflight=True):
        self._maybe_fail("sendTransaction")
        return await self._chain.send_raw(tx_bytes, skip_preflight=skip_preflight)

    async def signature_statuses(self, signatures):
        self._maybe_fail("getSignatureStatuses")
        return await self._chain.signature_statuses(signatures)

    async def block_height(self):
        self._maybe_fail("getBlockHeight")
        return await self._chain.block_height()


@pytest.mark.integration
async def test_transient_timeouts_429s_and_disconnects_still_fill_once(tmp_path, sol_bars):
    """With 35% of RPC calls failing, every order still fills exactly once; breaker stays."""
    wrappers = []

    def wrap(chain):
        wrappers.append(FaultyChain(chain, rate=0.35))
        return wrappers[-1]

    eng = Engine(make_settings(tmp_path), config=fast_config(sol_bars.iloc[:80]),
                 chain_wrapper=wrap)
    await eng.run()
    assert wrappers[0].injected >= 20
    orders = ledger.load_orders(eng.store)
    assert (orders["status"] == "filled").sum() >= 10
    assert eng.bars_done == 80
    assert eng.breaker_dict()["trading_state"] == "active"
    assert_ledger_matches_chain(eng.store, eng.market)


@pytest.mark.integration
async def test_rpc_outage_trips_the_breaker_and_engine_keeps_running(tmp_path, sol_bars):
    """getLatestBlockhash down: orders fail, 3 failures trip HALTED, later orders are stopped."""
    eng = Engine(make_settings(tmp_path), config=fast_config(sol_bars.iloc[:80]),
                 chain_wrapper=lambda c: FaultyChain(c, blockhash_down=True))
    await eng.run()
    assert eng.bars_done == 80  # still running to the end
    br = eng.breaker_dict()
    assert br["trading_state"] == "halted" and br["reason"] == "execution_failures"
    orders = ledger.load_orders(eng.store)
    assert (orders["status"] == "failed").sum() == 3
    assert (orders["reason"].fillna("").str.startswith("halted")).sum() >= 1
    events = ledger.load_risk_events(eng.store)
    assert "breaker_trip" in set(events["kind"])
    assert_ledger_matches_chain(eng.store, eng.market)


@pytest.mark.integration
async def test_blockhash_expiry_expires_orders_without_resigning(tmp_path, sol_bars):
    """Lost packets past lastValidBlockHeight: orders EXPIRED, nothing landed, nothing doubled."""
    eng = Engine(make_settings(tmp_path), config=fast_config(sol_bars.iloc[:40]),
                 chain_wrapper=lambda c: FaultyChain(c, drop_and_expire=True))
    await eng.run()
    orders = ledger.load_orders(eng.store)
    expired = orders[orders["status"] == "expired"]
    assert len(expired) >= 1
    assert (orders["status"] == "filled").sum() == 0
    assert ledger.load_fills(eng.store).empty
    assert eng.breaker_dict()["trading_state"] == "halted"  # expiries count as failures
    assert_ledger_matches_chain(eng.store, eng.market)


@pytest.mark.integration
async def test_stalled_feed_trips_the_breaker(tmp_path, sol_bars):
    """A feed silent longer than stale_after_s trips STALE_DATA and raises an alert."""
    eng = Engine(make_settings(tmp_path), config=fast_config(
        sol_bars.iloc[:5], speed=60.0, stop_at_end=False, stale_after_s=0.3))
    task = __import__("asyncio").create_task(eng.run())
    await wait_until(lambda: eng.breaker_dict()["trading_state"] == "halted", timeout_s=10)
    assert eng.breaker_dict()["reason"] == "stale_data"
    assert eng.health()["feeds"]["SOL/USDT"]["stale"]
    assert eng.health()["status"] == "down"
    eng.stop("test")
    await task


@pytest.mark.integration
async def test_feed_disconnect_restarts_from_the_cursor_without_duplicates(tmp_path, sol_bars):
    """The feed task crashing mid-replay is restarted and resumes after the last stored bar."""
    eng = Engine(make_settings(tmp_path), config=fast_config(sol_bars.iloc[:60]))
    real = eng.on_bar
    crashed = []

    async def flaky(bar):
        if eng.bars_done in (20, 41) and eng.bars_done not in crashed:
            crashed.append(eng.bars_done)
            raise ConnectionError("websocket closed")
        await real(bar)

    eng.on_bar = flaky
    await eng.run()
    assert crashed == [20, 41]
    assert eng.supervisor.status["feed"].restarts == 2
    assert eng.bars_done == 60
    assert len(ledger.load_equity(eng.store)) == 60
    assert_ledger_matches_chain(eng.store, eng.market)

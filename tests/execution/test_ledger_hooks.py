"""LedgerHooks: the intent is in the ledger before the first send; fills and balance snapshots
equal the chain to the base unit; on SQLite and PostgreSQL (the ``store`` fixture)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from solders.transaction import VersionedTransaction

from workbench.chain.programs import associated_token_address
from workbench.domain import (
    Order,
    OrderStatus,
    Side,
    TokenBalanceChange,
    new_client_order_id,
)
from workbench.errors import OrderRejected, StoreError
from workbench.execution import Executor, ExecutorConfig, Router, SubmittedTx, SwapFill, SwapIntent
from workbench.execution.ledger_hooks import (
    NATIVE_KEY,
    LedgerHooks,
    fills_from_swap,
    order_from_submitted,
    pool_owners_of,
)
from workbench.execution.session import open_local_market
from workbench.store import ledger
from workbench.testing import seeded_keypair

FAST = ExecutorConfig(poll_interval_s=0, resend_interval_s=0)


class Killed(BaseException):
    """The process dies here (not an Exception: nothing may catch it)."""


class SpyChain:
    """The LiteSVM chain, with a hook run before every broadcast."""

    def __init__(self, chain, before_send):
        self._chain = chain
        self.before_send = before_send

    def __getattr__(self, name):
        return getattr(self._chain, name)

    async def send_transaction(self, tx, *, skip_preflight=True):
        self.before_send(tx)
        return await self._chain.send_transaction(tx, skip_preflight=skip_preflight)

    async def send_raw(self, tx_bytes, *, skip_preflight=True):
        self.before_send(VersionedTransaction.from_bytes(tx_bytes))
        return await self._chain.send_raw(tx_bytes, skip_preflight=skip_preflight)


def _market(prices=("150",), seed="hooks"):
    kp = seeded_keypair(seed)
    return kp, open_local_market(prices, owner=kp.pubkey())


def _token_raw(setup, owner, token):
    return setup.chain.token_amount(associated_token_address(owner, token.mint))


def _order(pair, side=Side.BUY, amount="0.5", price="150", coid=None):
    return Order(client_order_id=coid or new_client_order_id("t"), strategy="test",
                 symbol=pair.symbol, side=side, amount=Decimal(amount), price=Decimal(price))


def _row(store, coid):
    rows = [r for r in ledger.open_orders(store) if r["client_order_id"] == coid]
    return rows[0] if rows else None


# -- pure ------------------------------------------------------------------------------------


def _pair():
    from workbench.domain import SOL, USDC, Pair

    return Pair(base=SOL, quote=USDC)


def _swap(input_mint, output_mint, changes, venues=("v1",), fee=5000):
    return SwapFill(client_order_id="c1", signature="sig", venues=venues,
                    input_mint=input_mint, output_mint=output_mint, in_amount_raw=0,
                    out_amount_raw=0, fee_lamports=fee, slot=1, ts_event=7, changes=changes)


def test_fills_from_swap_books_the_owner_deltas():
    """A one-venue buy is one fill of the owner's base and quote deltas, fee included."""
    pair = _pair()
    sol, usdc = str(pair.base.mint), str(pair.quote.mint)
    changes = (TokenBalanceChange(owner="o", mint=sol, delta_raw=664_558_068, decimals=9),
               TokenBalanceChange(owner="o", mint=usdc, delta_raw=-100_000_000, decimals=6))
    [fill] = fills_from_swap(_swap(usdc, sol, changes), pair)
    assert (fill.side, fill.base_amount, fill.quote_amount) == (
        Side.BUY, Decimal("0.664558068"), Decimal("100.000000"))
    assert (fill.fee_lamports, fill.venue, fill.signature, fill.ts_event) == (5000, "v1", "sig", 7)
    [sell] = fills_from_swap(_swap(sol, usdc, tuple(
        TokenBalanceChange(owner="o", mint=c.mint, delta_raw=-c.delta_raw, decimals=c.decimals)
        for c in changes)), pair)
    assert sell.side is Side.SELL and sell.base_amount == Decimal("0.664558068")


def test_fills_from_swap_without_movement_is_empty():
    """No balance moved: nothing to book."""
    pair = _pair()
    assert fills_from_swap(_swap(str(pair.quote.mint), str(pair.base.mint), ()), pair) == []


def test_order_from_submitted_prices_at_the_minimum_output():
    """An untracked intent's order: spending USDC buys SOL at the worst accepted price."""
    pair = _pair()
    sub = SubmittedTx(client_order_id="c9", signature="s", tx_bytes=b"", last_valid_block_height=1,
                      venues=("local:a",), input_mint=str(pair.quote.mint),
                      output_mint=str(pair.base.mint), in_amount_raw=150_000_000,
                      min_out_amount_raw=1_000_000_000)
    order = order_from_submitted(sub, pair, strategy="nb")
    assert (order.side, order.amount, order.price, order.strategy, order.venue) == (
        Side.BUY, Decimal("1.000000000"), Decimal("150"), "nb", "local:a")
    arb = SubmittedTx(client_order_id="c10", signature="s", tx_bytes=b"",
                      last_valid_block_height=1, venues=("a", "b"),
                      input_mint=str(pair.quote.mint), output_mint=str(pair.quote.mint),
                      in_amount_raw=1, min_out_amount_raw=2)
    with pytest.raises(StoreError, match=r"Order c10: cannot derive a price.*hooks\.track"):
        order_from_submitted(arb, pair, strategy="nb")


# -- on LiteSVM, both backends -------------------------------------------------------------


@pytest.mark.integration
async def test_intent_is_stored_before_the_first_send(store):
    """At the moment of every broadcast the ledger already holds those exact signed bytes."""
    kp, setup = _market()
    seen = []

    def check(tx):
        row = _row(store, coid)
        seen.append(row is not None and row["status"] == "submitted"
                    and bytes(row["signed_tx"]) == bytes(tx)
                    and row["signature"] == str(tx.signatures[0])
                    and row["last_valid_block_height"] is not None)

    chain = SpyChain(setup.chain, check)
    hooks = LedgerHooks(store, owner=kp.pubkey(), pairs=[setup.pair], chain=chain)
    ex = Executor(chain, kp, setup.venues, config=FAST, hooks=hooks)
    order = _order(setup.pair)
    coid = order.client_order_id
    hooks.track(order, setup.pair)
    fill = await ex.execute(SwapIntent(client_order_id=coid, input_mint=str(setup.pair.quote.mint),
                                       output_mint=str(setup.pair.base.mint),
                                       in_amount_raw=75_000_000))
    assert seen and all(seen)
    orders = ledger.load_orders(store)
    assert orders.loc[0, "status"] == "filled" and orders.loc[0, "signature"] == fill.signature


@pytest.mark.integration
async def test_kill_between_store_and_send_is_recovered(store):
    """Killed after the intent is stored and before it is sent: nothing is on chain; a new
    process re-sends the stored bytes (never re-signs) and the fill matches the chain."""
    kp, setup = _market()
    pair, owner = setup.pair, kp.pubkey()

    def die(tx):
        raise Killed

    chain = SpyChain(setup.chain, die)
    hooks = LedgerHooks(store, owner=owner, pairs=[pair], chain=chain)
    ex = Executor(chain, kp, setup.venues, config=FAST, hooks=hooks)
    order = _order(pair)
    coid = order.client_order_id
    hooks.track(order, pair)
    intent = SwapIntent(client_order_id=coid, input_mint=str(pair.quote.mint),
                        output_mint=str(pair.base.mint), in_amount_raw=75_000_000)
    route = await ex.quote(intent)
    sent_before = setup.chain.sent_count
    usdc_before = _token_raw(setup, owner, pair.quote)
    sol_before = _token_raw(setup, owner, pair.base)
    with pytest.raises(Killed):
        await ex.execute(intent, route=route)
    assert setup.chain.sent_count == sent_before  # nothing reached the chain
    assert _token_raw(setup, owner, pair.quote) == usdc_before
    row = _row(store, coid)
    assert row["status"] == "submitted" and row["signed_tx"]
    assert ledger.load_fills(store).empty

    # restart: fresh hooks and executor, only the ledger row survives
    hooks2 = LedgerHooks(store, owner=owner, pairs=[pair], chain=setup.chain)
    ex2 = Executor(setup.chain, kp, setup.venues, config=FAST, hooks=hooks2)
    submitted = SubmittedTx(
        client_order_id=coid, signature=row["signature"], tx_bytes=bytes(row["signed_tx"]),
        last_valid_block_height=int(row["last_valid_block_height"]), venues=route.venues,
        input_mint=route.input_mint, output_mint=route.output_mint,
        in_amount_raw=route.in_amount_raw, min_out_amount_raw=route.min_out_amount_raw)
    fill = await ex2.recover(submitted, route)
    assert fill.signature == row["signature"]  # the stored bytes landed, no second signature
    assert setup.chain.sent_count == sent_before + 1
    orders = ledger.load_orders(store)
    assert list(orders["status"]) == ["filled"]
    [stored] = ledger.load_fills(store).itertuples(index=False)
    assert stored.quote_amount * 10**6 == usdc_before - _token_raw(setup, owner, pair.quote)
    assert stored.base_amount * 10**9 == _token_raw(setup, owner, pair.base) - sol_before


@pytest.mark.integration
async def test_fills_and_snapshots_equal_the_chain(store):
    """Buys, sells, a split over two pools and an arbitrage: the stored fills add up to the
    wallet's token and lamport changes exactly, and the last snapshot is the chain now."""
    kp, setup = _market(("150", "150.5", "156"), seed="hooks-sum")
    pair, owner = setup.pair, kp.pubkey()
    two = setup.venues[:2]
    hooks = LedgerHooks(store, owner=owner, pairs=[pair], chain=setup.chain,
                        pool_owners=pool_owners_of(setup.venues), strategy="test")
    ex = Executor(setup.chain, kp, Router(two, min_split_gain_bps=0.1), config=FAST,
                  hooks=hooks)
    sol0, usdc0 = _token_raw(setup, owner, pair.base), _token_raw(setup, owner, pair.quote)
    lamports0 = setup.chain.svm.get_balance(owner)
    quote_mint, base_mint = str(pair.quote.mint), str(pair.base.mint)
    swaps = [(Side.BUY, quote_mint, base_mint, 100_000_000),
             (Side.SELL, base_mint, quote_mint, 400_000_000),
             (Side.BUY, quote_mint, base_mint, 900_000_000)]  # big enough to split
    kinds = []
    for side, tin, tout, raw in swaps:
        order = _order(pair, side=side)
        hooks.track(order, pair)
        intent = SwapIntent(client_order_id=order.client_order_id, input_mint=tin,
                            output_mint=tout, in_amount_raw=raw, slippage_bps=100)
        route = await ex.quote(intent)
        kinds.append(route.kind)
        await ex.execute(intent, route=route)
    assert kinds[-1] == "split"
    # arbitrage: buy on the 150 pool, sell on the 156 one, in one transaction
    arb_ex = Executor(setup.chain, kp, Router([setup.venues[0], setup.venues[2]]), config=FAST,
                      hooks=hooks)
    arb = await arb_ex.router.arbitrage(quote_mint, base_mint, 50_000_000)
    assert arb is not None
    order = _order(pair)
    hooks.track(order, pair)
    await arb_ex.execute(SwapIntent(client_order_id=order.client_order_id,
                                    input_mint=quote_mint, output_mint=quote_mint,
                                    in_amount_raw=50_000_000), route=arb)

    fills = ledger.load_fills(store)
    assert len(fills) == 1 + 1 + 2 + 2  # split and arbitrage: one fill per pool
    sign = fills["side"].map({"buy": 1, "sell": -1})
    base_net = sum((s * a for s, a in zip(sign, fills["base_amount"], strict=True)), Decimal(0))
    quote_net = sum((-s * a for s, a in zip(sign, fills["quote_amount"], strict=True)),
                    Decimal(0))
    assert base_net * 10**9 == _token_raw(setup, owner, pair.base) - sol0
    assert quote_net * 10**6 == _token_raw(setup, owner, pair.quote) - usdc0
    assert -int(fills["fee_lamports"].sum()) == setup.chain.svm.get_balance(owner) - lamports0
    assert set(ledger.load_orders(store)["status"]) == {"filled"}

    snaps = ledger.load_balances(store, owner=str(owner))
    latest = snaps[snaps["ts"] == snaps["ts"].max()].set_index("mint")["amount_raw"]
    assert int(latest[base_mint]) == _token_raw(setup, owner, pair.base)
    assert int(latest[quote_mint]) == _token_raw(setup, owner, pair.quote)
    assert int(latest[NATIVE_KEY]) == setup.chain.svm.get_balance(owner)


@pytest.mark.integration
async def test_untracked_intent_is_still_recorded(store):
    """executor.execute(SwapIntent) without track(): the order is derived, stored and filled."""
    kp, setup = _market()
    pair = setup.pair
    hooks = LedgerHooks(store, owner=kp.pubkey(), pairs=[pair], chain=setup.chain,
                        strategy="notebook")
    ex = Executor(setup.chain, kp, setup.venues, config=FAST, hooks=hooks)
    fill = await ex.execute(SwapIntent(client_order_id="nb-1", input_mint=str(pair.base.mint),
                                       output_mint=str(pair.quote.mint),
                                       in_amount_raw=10**9, slippage_bps=100))
    orders = ledger.load_orders(store)
    row = orders.iloc[0]
    assert (row["client_order_id"], row["status"], row["side"], row["strategy"]) == (
        "nb-1", "filled", "sell", "notebook")
    assert row["amount"] == Decimal("1.000000000")
    [stored] = ledger.load_fills(store).itertuples(index=False)
    assert stored.quote_amount * 10**6 == fill.out_amount_raw
    again = await hooks.on_fill(fill)  # a replay (recovery) returns the fill, stores nothing
    assert [f.quote_amount for f in again] == [stored.quote_amount]
    assert len(ledger.load_fills(store)) == 1


@pytest.mark.integration
async def test_refused_before_signing_sends_nothing(store):
    """A route check that refuses: the tracked order is REJECTED and the chain saw nothing."""
    kp, setup = _market()
    pair = setup.pair
    hooks = LedgerHooks(store, owner=kp.pubkey(), pairs=[pair], chain=setup.chain)
    ex = Executor(setup.chain, kp, setup.venues, config=FAST, hooks=hooks,
                  check=lambda route: False)
    order = _order(pair)
    hooks.track(order, pair)
    sent = setup.chain.sent_count
    with pytest.raises(OrderRejected, match="stopped by the risk gate"):
        await ex.execute(SwapIntent(client_order_id=order.client_order_id,
                                    input_mint=str(pair.quote.mint),
                                    output_mint=str(pair.base.mint), in_amount_raw=10**6))
    assert setup.chain.sent_count == sent
    row = ledger.load_orders(store).iloc[0]
    assert row["status"] == "rejected" and row["signature"] is None
    assert hooks.status_of(order.client_order_id) is OrderStatus.REJECTED


@pytest.mark.integration
async def test_forget_drops_finished_orders_only(store):
    """forget() refuses an order in flight, drops a filled one (the ledger keeps it), and a
    replayed fill after forgetting books nothing twice."""
    kp, setup = _market(seed="hooks-forget")
    pair = setup.pair
    hooks = LedgerHooks(store, owner=kp.pubkey(), pairs=[pair], chain=setup.chain,
                        strategy="default")
    refusals = []

    def in_flight(_tx):
        with pytest.raises(StoreError, match="still submitted") as info:
            hooks.forget(order.client_order_id)
        refusals.append(str(info.value))

    ex = Executor(SpyChain(setup.chain, in_flight), kp, setup.venues, config=FAST, hooks=hooks)
    fills = []
    coids = []
    for _ in range(3):
        order = _order(pair, side=Side.SELL)
        hooks.track(order, pair)
        coids.append(order.client_order_id)
        fills.append(await ex.execute(SwapIntent(
            client_order_id=order.client_order_id, input_mint=str(pair.base.mint),
            output_mint=str(pair.quote.mint), in_amount_raw=10**8, slippage_bps=100)))
        assert hooks.status_of(order.client_order_id) is OrderStatus.FILLED
        assert hooks.forget(order.client_order_id) is True
        assert hooks.order_of(order.client_order_id) is None
        assert hooks.status_of(order.client_order_id) is None
        assert hooks.forget(order.client_order_id) is False  # unknown now
    assert len(refusals) == 3 and all(coid in r for coid, r in zip(coids, refusals, strict=True))
    stored = ledger.load_fills(store)
    assert set(stored["strategy"]) == {"test"}  # booked while tracked
    assert set(ledger.load_orders(store)["status"]) == {"filled"}
    await hooks.on_fill(fills[0])  # recovery replays a fill of a forgotten order
    assert len(ledger.load_fills(store)) == 3

    # force drops an order still in flight
    late = _order(pair)
    hooks.track(late, pair)
    hooks.on_submitted(SubmittedTx(
        client_order_id=late.client_order_id, signature="1" * 64, tx_bytes=b"\x01",
        last_valid_block_height=10**6, venues=("local",), input_mint=str(pair.quote.mint),
        output_mint=str(pair.base.mint), in_amount_raw=75 * 10**6, min_out_amount_raw=1))
    with pytest.raises(StoreError, match="still submitted"):
        hooks.forget(late.client_order_id)
    assert hooks.forget(late.client_order_id, force=True) is True
    assert hooks.order_of(late.client_order_id) is None


@pytest.mark.integration
async def test_untracked_intent_is_one_submitted_row_before_the_send(store):
    """An intent nobody tracked is inserted as one row already SUBMITTED: at the broadcast the
    row holds the derived order and the exact signed bytes, never a NEW row."""
    kp, setup = _market(seed="hooks-one-row")
    pair = setup.pair
    seen = []

    def check(tx):
        rows = ledger.load_orders(store)
        [row] = [r for r in ledger.open_orders(store) if r["client_order_id"] == "nb-1"]
        seen.append((len(rows), row["status"], bytes(row["signed_tx"]) == bytes(tx),
                     row["signature"] == str(tx.signatures[0]), row["side"], row["strategy"],
                     row["venue"], row["reason"]))

    chain = SpyChain(setup.chain, check)
    hooks = LedgerHooks(store, owner=kp.pubkey(), pairs=[pair], chain=chain, strategy="nb")
    ex = Executor(chain, kp, setup.venues, config=FAST, hooks=hooks)
    await ex.execute(SwapIntent(client_order_id="nb-1", input_mint=str(pair.base.mint),
                                output_mint=str(pair.quote.mint), in_amount_raw=10**9,
                                slippage_bps=100))
    assert seen and seen[0] == (1, "submitted", True, True, "sell", "nb",
                                setup.venues[0].name, None)
    assert list(ledger.load_orders(store)["status"]) == ["filled"]
    hooks.close()


@pytest.mark.integration
async def test_fill_and_filled_status_are_one_write(store):
    """When the executor reports FILLED, on_fill has already stored the fill and the FILLED
    status together, so that report writes nothing (the row's ts_updated does not move)."""
    kp, setup = _market(seed="hooks-filled")
    pair = setup.pair
    seen = []

    class Watched(LedgerHooks):
        def on_status(self, client_order_id, status, detail):
            if status is not OrderStatus.FILLED:
                return super().on_status(client_order_id, status, detail)
            before = ledger.load_orders(store).set_index("client_order_id").loc[client_order_id]
            n_fills = len(ledger.load_fills(store, client_order_id=client_order_id))
            super().on_status(client_order_id, status, detail)
            after = ledger.load_orders(store).set_index("client_order_id").loc[client_order_id]
            seen.append((before["status"], before["signature"] == detail, n_fills,
                         after["ts_updated"] == before["ts_updated"]))
            return None

    hooks = Watched(store, owner=kp.pubkey(), pairs=[pair], chain=setup.chain)
    ex = Executor(setup.chain, kp, setup.venues, config=FAST, hooks=hooks)
    for side in (Side.BUY, Side.SELL):
        order = _order(pair, side=side)
        hooks.track(order, pair)
        spend = (pair.quote if side is Side.BUY else pair.base).mint
        get = (pair.base if side is Side.BUY else pair.quote).mint
        await ex.execute(SwapIntent(client_order_id=order.client_order_id,
                                    input_mint=str(spend), output_mint=str(get),
                                    in_amount_raw=75_000_000 if side is Side.BUY else 10**8,
                                    slippage_bps=100))
        assert hooks.status_of(order.client_order_id) is OrderStatus.FILLED
        hooks.close()  # releases the connection; the next order's writes open another
    assert seen == [("filled", True, 1, True)] * 2
    assert set(ledger.load_orders(store)["status"]) == {"filled"}

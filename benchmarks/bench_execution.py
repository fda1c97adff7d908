"""Per-stage latency of the execution path on LiteSVM, and the whole path versus a floor.

Floor: build + sign + send ONE bare SPL TransferChecked on LiteSVM (hand-built instruction,
v0 message), measured in the same run. Whole path: a decided swap intent -> route -> risk ->
build -> sign -> simulate -> persist intent -> send -> confirm -> parse fill, through the
same Executor used live, with simulation on and (paper mode) off. Target: whole-path p99 < 2 ms.

Each run starts with ``WARMUP`` unrecorded orders (first-call costs: PDA and base58 caches,
LiteSVM's program cache), then ``gc.collect(); gc.freeze()`` moves everything alive so far
(the market, the modules) out of the collector's generations, as ``Engine.start`` does: a full
collection then only walks objects made since, so its pause stays out of the p99.

With ``--ledger`` the whole path runs twice in turn, one order of each per round: without
hooks (the baseline) and through the real ``LedgerHooks`` into a temporary SQLite ledger
(intent committed before the send, fills and FILLED in one transaction, no balance
snapshots), or into a temporary schema of the PostgreSQL server given by ``--ledger-url``.
It prints the ledger's ``persist`` (intent) and ``ledger-fill`` stages, both whole paths and
the ledger's cost as their difference.

Run: NUMBA_CACHE_DIR=.cache/numba .venv/bin/python benchmarks/bench_execution.py [--orders N]
     [--ledger [--ledger-url postgresql+psycopg://user@127.0.0.1:5432/db]]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import statistics
import time
from collections import defaultdict

from solders.message import MessageV0
from solders.transaction import VersionedTransaction

from workbench.chain.programs import associated_token_address, transfer_checked_ix
from workbench.domain import QuoteRequest
from workbench.execution.executor import Executor, ExecutorConfig, SwapIntent
from workbench.testing import paper_market

WARMUP = 100


def _freeze() -> None:
    gc.collect()
    gc.freeze()


def pct(values: list[int], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] / 1e3  # µs


class TimedChain:
    """Times send and status calls of the wrapped chain."""

    def __init__(self, inner, timings):
        self.inner, self.timings = inner, timings
        self.name, self.reports_mainnet_compute_units = inner.name, False

    def __getattr__(self, name):
        return getattr(self.inner, name)

    async def send_transaction(self, tx, *, skip_preflight=True):
        t = time.perf_counter_ns()
        sig = self.inner.send_sync(tx, skip_preflight=skip_preflight)
        self.timings["send"].append(time.perf_counter_ns() - t)
        return sig


def floor_step(pm):
    """One floor sample per call: build, sign and send one bare SPL ``TransferChecked``."""
    chain, w = pm.chain, pm.wallet
    owner = w.pubkey()
    src = associated_token_address(owner, pm.quote.mint)
    dst = associated_token_address(pm.venues[0].pool.authority_pubkey, pm.quote.mint)
    count = iter(range(1, 1 << 62))

    def step() -> tuple[int, int]:
        c, t = time.thread_time_ns(), time.perf_counter_ns()
        ix = transfer_checked_ix(source=src, mint=pm.quote.mint, destination=dst, owner=owner,
                                 amount_raw=next(count), decimals=6)
        msg = MessageV0.try_compile(owner, [ix], [], chain.blockhash_info().blockhash)
        tx = VersionedTransaction(msg, [w])
        chain.svm.send_transaction(tx)
        return time.perf_counter_ns() - t, time.thread_time_ns() - c

    return step


class TimedHooks:
    """Times the ledger's fill write (the intent and status writes fall in ``persist``)."""

    def __init__(self, inner, timings):
        self.inner, self.timings = inner, timings

    def on_submitted(self, submitted):
        return self.inner.on_submitted(submitted)

    def on_status(self, coid, status, detail):
        return self.inner.on_status(coid, status, detail)

    async def on_fill(self, fill):
        t = time.perf_counter_ns()
        out = await self.inner.on_fill(fill)
        self.timings["ledger-fill"].append(time.perf_counter_ns() - t)
        return out


def ledger_hooks(pm, store, timings):
    from workbench.domain import Pair
    from workbench.execution.ledger_hooks import LedgerHooks, pool_owners_of

    hooks = LedgerHooks(store, owner=pm.wallet.pubkey(), pairs=[Pair(base=pm.base, quote=pm.quote)],
                        chain=pm.chain, pool_owners=pool_owners_of(pm.venues),
                        snapshot_balances=False)
    return TimedHooks(hooks, timings)


@contextlib.contextmanager
def ledger_store(url: str | None):
    """A migrated, empty ledger: a temporary SQLite file, or a temporary schema (dropped after)
    of the PostgreSQL server at ``url``."""
    import tempfile
    import uuid

    from workbench.store import open_store

    if url is None:
        with tempfile.TemporaryDirectory() as tmp:
            store = open_store(f"sqlite:///{tmp}/bench.db")
            store.upgrade()
            yield store
            store.dispose()
        return
    schema = f"wb_bench_{uuid.uuid4().hex[:10]}"
    admin = open_store(url)
    with admin.engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in url else "?"
    store = open_store(f"{url}{sep}options=-csearch_path%3D{schema}")
    try:
        store.upgrade()
        yield store
    finally:
        store.dispose()
        with admin.engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


def executor(pm, *, simulate: bool, timings=None, hooks=None) -> Executor:
    chain = TimedChain(pm.chain, timings if timings is not None else defaultdict(list))
    return Executor(chain, pm.wallet, pm.venues, hooks=hooks,
                    config=ExecutorConfig(poll_interval_s=0, resend_interval_s=0,
                                          simulate=simulate),
                    check=lambda route: True,
                    timer=(lambda stage, ns: timings[stage].append(ns)) if timings is not None
                    else None)


def order_step(pm, ex: Executor):
    """One whole-path sample per call: alternating sells and buys."""
    sol, usdc = str(pm.base.mint), str(pm.quote.mint)
    count = iter(range(1 << 62))

    async def step() -> tuple[int, int]:
        i = next(count)
        sell = i % 2 == 0
        intent = SwapIntent(client_order_id=f"b{i}", input_mint=sol if sell else usdc,
                            output_mint=usdc if sell else sol,
                            in_amount_raw=10**8 if sell else 15 * 10**6)
        c, t = time.thread_time_ns(), time.perf_counter_ns()
        await ex.execute(intent)
        return time.perf_counter_ns() - t, time.thread_time_ns() - c

    return step


def market():
    return paper_market(("150", "150.5"), wallet_sol=10_000, wallet_usdc=2_000_000)


def _reset(*samples) -> None:
    """Drop the warm-up samples and freeze what is alive (see the module docstring)."""
    for item in samples:
        if isinstance(item, dict):
            for stage, values in item.items():
                if stage != "quote":
                    values.clear()
        elif item is not None:
            item.clear()
    _freeze()


async def main_ledger(n: int, url: str | None) -> None:
    """The whole path without hooks and through ``LedgerHooks``, one order of each per round
    (after ``WARMUP`` rounds), so both see the same moments of a shared machine."""
    timings: dict[str, list[int]] = defaultdict(list)
    with ledger_store(url) as store:
        pm_plain, pm_ledger = market(), market()
        hooks = ledger_hooks(pm_ledger, store, timings)
        plain_once = order_step(pm_plain, executor(pm_plain, simulate=True))
        ledger_once = order_step(pm_ledger, executor(pm_ledger, simulate=True, timings=timings,
                                                     hooks=hooks))
        plain, ledgered, cpu_plain, cpu_ledger = [], [], [], []
        for i in range(-WARMUP, n):
            if i == 0:
                _reset(plain, ledgered, cpu_plain, cpu_ledger, timings)
            for walls, cpus, sample in ((plain, cpu_plain, plain_once),
                                        (ledgered, cpu_ledger, ledger_once)):
                wall, c = await sample()
                walls.append(wall)
                cpus.append(c)
        hooks.inner.close()
    print(f"orders: {n} per path, simulate on, interleaved; LedgerHooks on {store.backend} "
          "(intent committed before send, fills + FILLED in one transaction)")
    print(f"{'stage':<12}{'p50 µs':>10}{'p99 µs':>10}")
    for stage in ("persist", "ledger-fill"):
        print(f"{stage:<12}{pct(timings[stage], .5):>10.1f}{pct(timings[stage], .99):>10.1f}")
    for label, walls, cpus in (("no ledger", plain, cpu_plain), ("ledger", ledgered, cpu_ledger)):
        p99 = pct(walls, .99)
        print(f"{label:<12}{pct(walls, .5):>10.1f}{p99:>10.1f}   whole path wall; thread CPU "
              f"p50 {pct(cpus, .5):.1f} p99 {pct(cpus, .99):.1f}; p99 vs target 2 ms: "
              f"{'OK' if p99 < 2_000 else 'OVER'}")
    cost = "; ".join(f"p{q * 100:.0f} +{pct(ledgered, q) - pct(plain, q):.1f} µs "
                     f"({pct(ledgered, q) / pct(plain, q):.2f}x)" for q in (.5, .99))
    print(f"ledger cost: {cost}")


async def main(n: int) -> None:
    """Floor, whole path (simulate on) and whole path (simulate off) sampled in turn, one of
    each per round, so the three see the same moments of a shared machine."""
    timings: dict[str, list[int]] = defaultdict(list)
    pm_floor, pm_sim, pm_nosim = market(), market(), market()
    for i in range(n):  # quote alone, on one venue
        t = time.perf_counter_ns()
        await pm_sim.venues[0].quote(QuoteRequest(input_mint=str(pm_sim.base.mint),
                                                  output_mint=str(pm_sim.quote.mint),
                                                  in_amount_raw=10**8 + i))
        timings["quote"].append(time.perf_counter_ns() - t)
    floor_once = floor_step(pm_floor)
    sim_once = order_step(pm_sim, executor(pm_sim, simulate=True, timings=timings))
    nosim_once = order_step(pm_nosim, executor(pm_nosim, simulate=False))
    floor, whole, no_sim = [], [], []
    cpu_floor, cpu_sim, cpu_nosim = [], [], []
    for i in range(-WARMUP, n):
        if i == 0:
            _reset(floor, whole, no_sim, cpu_floor, cpu_sim, cpu_nosim, timings)
        for walls, cpus, sample in ((floor, cpu_floor, None), (whole, cpu_sim, sim_once),
                                    (no_sim, cpu_nosim, nosim_once)):
            wall, c = floor_once() if sample is None else await sample()
            walls.append(wall)
            cpus.append(c)
    print(f"orders: {n} (2 venues, router with split search; floor and both paths interleaved)")
    print(f"{'stage':<10}{'p50 µs':>10}{'p99 µs':>10}   (simulate on)")
    for stage in ("quote", "route", "risk", "build", "sign", "simulate", "persist", "send",
                  "confirm", "parse"):
        if timings[stage]:
            print(f"{stage:<10}{pct(timings[stage], .5):>10.1f}{pct(timings[stage], .99):>10.1f}")
    print(f"{'floor':<10}{pct(floor, .5):>10.1f}{pct(floor, .99):>10.1f}"
          "   (build+sign+send one bare SPL transfer)")
    for label, samples in (("whole", whole), ("whole-ns", no_sim)):
        what = "simulate on" if label == "whole" else "paper, simulate=False"
        print(f"{label:<10}{pct(samples, .5):>10.1f}{pct(samples, .99):>10.1f}"
              f"   (decided order -> confirmed fill, {what})")
    for label, samples in (("simulate on", whole), ("simulate off", no_sim)):
        p99 = pct(samples, .99)
        print(f"{label}: whole/floor p50 {pct(samples, .5) / pct(floor, .5):.1f}x, "
              f"p99 {p99 / pct(floor, .99):.1f}x; p99 {p99 / 1e3:.2f} ms vs target 2 ms: "
              f"{'OK' if p99 < 2_000 else 'OVER'}; mean {statistics.mean(samples) / 1e6:.3f} ms")
    print("thread CPU time (what our code costs, without time spent descheduled by other "
          "processes on a shared machine):")
    for label, samples in (("floor", cpu_floor), ("simulate on", cpu_sim),
                           ("simulate off", cpu_nosim)):
        p99 = pct(samples, .99)
        print(f"  {label:<13} p50 {pct(samples, .5):8.1f} µs  p99 {p99:8.1f} µs"
              + ("" if label == "floor" else
                 f"  ({p99 / pct(cpu_floor, .99):.1f}x floor p99; "
                 f"{'OK' if p99 < 2_000 else 'OVER'} vs 2 ms)"))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=2_000)
    parser.add_argument("--ledger", action="store_true",
                        help="persist through LedgerHooks into a temporary SQLite ledger")
    parser.add_argument("--ledger-url", default=None,
                        help="with --ledger: a PostgreSQL URL (a temporary schema is used)")
    args = parser.parse_args()
    asyncio.run(main_ledger(args.orders, args.ledger_url) if args.ledger else main(args.orders))

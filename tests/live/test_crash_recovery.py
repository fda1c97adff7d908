"""SIGKILL the engine at random points of the order lifecycle, restart it, check nothing is lost.

Each trial forks a child that runs the engine on a fast replay of real bars (grid + arbitrage
on two LiteSVM pools) and kills itself with SIGKILL either at the n-th occurrence of a random
lifecycle point (intent accepted, signed intent stored, transaction landed but the chain
snapshot not yet written, landed and snapshotted, fill stored, order FILLED, bar persisted) or
after a random delay. A second child restarts the engine on the same data directory: it
recovers, finishes the replay and exits. The parent then checks the ledger against the chain:
every order final, one transaction per filled order, and the holdings rebuilt from the stored
fills equal the wallet's balances on chain to the base unit (a lost or doubled fill cannot
pass that). Forking after the imports keeps 50+ trials within seconds each.
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import signal
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from workbench.live import Engine, PaperMarket
from workbench.store import ledger, open_store

from .checks import assert_ledger_matches_chain
from .conftest import fast_config, make_settings

POINTS = ("accepted", "submitted", "landed_unsaved", "landed", "fill_saved", "filled",
          "bar_done")
TRIALS = 52
BARS = 18


def _run_engine(data_dir: Path, bars, *, point: str | None = None, nth: int = 0,
                delay_s: float | None = None, persist_every: int = 3) -> Counter[str]:
    seen: Counter[str] = Counter()

    def probe(where: str, _coid: str) -> None:
        seen[where] += 1
        if where == point and seen[where] == nth:
            os.kill(os.getpid(), signal.SIGKILL)

    if delay_s is not None:
        threading.Timer(delay_s, os.kill, (os.getpid(), signal.SIGKILL)).start()
    eng = Engine(make_settings(data_dir), config=fast_config(
        bars, persist_every_bars=persist_every), probe=probe)
    asyncio.run(eng.run())
    return seen


def _in_child(fn, *args, **kw) -> int:
    """Run ``fn`` in a forked child; returns its wait status."""
    pid = os.fork()
    if pid == 0:  # child
        code = 0
        try:
            fn(*args, **kw)
        except BaseException:
            import traceback

            traceback.print_exc()
            code = 3
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    return status


@pytest.mark.integration
def test_sigkill_at_random_lifecycle_points_loses_and_doubles_nothing(tmp_path, sol_bars):
    """52 SIGKILLs at random lifecycle points: after restart, ledger == chain, all final."""
    bars = sol_bars.iloc[:BARS]
    rng = random.Random(20240917)
    # Reference run in this process: warms imports/numba and counts each lifecycle point.
    ref_dir = tmp_path / "reference"
    counts = _run_engine(ref_dir, bars)
    assert counts["filled"] >= 8, counts
    t0 = time.monotonic()
    _run_engine(tmp_path / "timed", bars)  # warm: how long a whole run takes, for the timer
    run_s = time.monotonic() - t0
    template = tmp_path / "template.db"
    tmpl = open_store(f"sqlite:///{template}")
    tmpl.upgrade()
    tmpl.dispose()  # the last connection's close checkpoints the WAL into the file we copy
    killed = Counter()
    for trial in range(TRIALS):
        data = tmp_path / f"t{trial}"
        data.mkdir()
        shutil.copy(template, data / "workbench.db")
        if trial % 4 == 3:
            kw = {"delay_s": rng.uniform(0.05 * run_s, 0.7 * run_s)}
        else:
            point = POINTS[trial % len(POINTS)]
            kw = {"point": point, "nth": rng.randint(1, max(1, counts[point]))}
        status = _in_child(_run_engine, data, bars, persist_every=rng.choice((1, 3, 7)), **kw)
        if os.WIFSIGNALED(status):
            assert os.WTERMSIG(status) == signal.SIGKILL
            killed[kw.get("point", "timer")] += 1
        else:
            assert os.WEXITSTATUS(status) == 0, f"trial {trial} {kw}: child failed"
        status = _in_child(_run_engine, data, bars)
        assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, \
            f"trial {trial} {kw}: restart failed"
        store = open_store(f"sqlite:///{data / 'workbench.db'}")
        beat = ledger.get_state(store, "engine_cursor")
        assert beat is not None and beat["bars"] >= BARS - 1, (trial, kw, beat)
        market = PaperMarket.open(pair=_pair(), specs=fast_config(bars).pools,
                                  start_price=0, wallet_quote=0, wallet_sol=0,
                                  snapshot_path=data / "paper_chain.pkl")
        assert market.restored
        try:
            assert_ledger_matches_chain(store, market)
        except AssertionError as exc:
            raise AssertionError(f"trial {trial} {kw}: {exc}") from None
        store.dispose()
        shutil.rmtree(data)
    print(f"\nSIGKILL trials: {TRIALS}, killed at {dict(killed)}")
    assert sum(killed.values()) >= 45
    assert len(killed) == len(POINTS) + 1


def _pair():
    from workbench.domain import WELL_KNOWN, Pair

    return Pair(base=WELL_KNOWN["SOL"], quote=WELL_KNOWN["USDT"])

"""``workbench trade``: the risk gate before signing, the ledger from the settings, fills and
reconciliation equal to the chain, and the paper wallet persisting across runs (balances,
reconcile, a tampered ledger, a corrupt state file, reset); on SQLite and PostgreSQL (the
``store`` fixture)."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from solders.signature import Signature
from typer.testing import CliRunner

import workbench.cli.trade as trade
from workbench.chain.programs import associated_token_address
from workbench.cli import app
from workbench.errors import ConfigError, KeystoreError, StoreError
from workbench.execution import Keystore
from workbench.execution.paper_wallet import PaperWallet
from workbench.store import ledger

pytestmark = pytest.mark.integration

SIG = r"signature ([1-9A-HJ-NP-Za-km-z]{80,90})"


@pytest.fixture
def env(monkeypatch, tmp_path, store):
    """A clean working directory and environment whose ledger is the ``store`` fixture."""
    monkeypatch.chdir(tmp_path)
    for name in ("WORKBENCH_CONFIG", "WORKBENCH_EXECUTION__KEYSTORE_PATH",
                 "WORKBENCH_KEYSTORE_PASSPHRASE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WORKBENCH_DATABASE__URL",
                       store.engine.url.render_as_string(hide_password=False))
    return monkeypatch


@pytest.fixture
def market(monkeypatch):
    """Captures the paper wallet the command opens (its chain keeps this run's landed
    transactions), and its transaction count once opened."""
    seen = {}
    real = trade.open_paper_wallet

    def spy(*args, **kwargs):
        paper = real(*args, **kwargs)
        seen.update(paper=paper, setup=paper.setup, owner=paper.owner,
                    sent_after_funding=paper.chain.sent_count)
        return paper

    monkeypatch.setattr(trade, "open_paper_wallet", spy)
    return seen


def _raw(setup, owner, token):
    return setup.chain.token_amount(associated_token_address(owner, token.mint))


def _swap(*args):
    return CliRunner().invoke(app, ["trade", "swap", *args])


def test_swap_fills_stores_and_reconciles(env, market, store):
    """A buy lands on LiteSVM; the ledger's order and fill equal the chain to the base unit."""
    r = _swap("--from", "USDC", "--to", "SOL", "--amount", "100")
    assert r.exit_code == 0, r.output
    setup, owner = market["setup"], market["owner"]
    sig = re.search(SIG, r.output).group(1)
    landed = setup.chain.landed(Signature.from_string(sig))
    assert landed is not None and landed.ok
    sol_moved = _raw(setup, owner, setup.pair.base) - 10 * 10**9
    usdc_moved = _raw(setup, owner, setup.pair.quote) - 10_000 * 10**6
    assert usdc_moved == -100_000_000 and sol_moved > 0

    [order] = ledger.load_orders(store).itertuples(index=False)
    assert (order.status, order.signature, order.side, order.mode, order.strategy) == (
        "filled", sig, "buy", "paper", "cli")
    [fill] = ledger.load_fills(store).itertuples(index=False)
    assert fill.signature == sig and fill.client_order_id == order.client_order_id
    assert fill.base_amount * 10**9 == sol_moved
    assert fill.quote_amount * 10**6 == -usdc_moved
    assert f"received {Decimal(sol_moved) / 10**9} SOL" in r.output

    # the reconciliation lines: SOL includes the network fee, which left the native balance
    fee = landed.fee_lamports
    assert f"reconcile SOL   ledger {sol_moved - fee:+d} chain {sol_moved - fee:+d}" in r.output
    assert f"reconcile USDC  ledger {usdc_moved:+d} chain {usdc_moved:+d}" in r.output
    assert r.output.count(" ok\n") == 2 and "MISMATCH" not in r.output
    snaps = ledger.load_balances(store, owner=str(owner))
    assert set(snaps["source"]) == {"chain"} and len(snaps) == 2 * 3  # opening + after fill


def test_gate_rejection_sends_nothing(env, market, store):
    """A rejected order exits 1 with the rule and detail; no transaction, balances untouched."""
    r = _swap("--from", "USDC", "--to", "SOL", "--amount", "10", "--slippage-bps", "500")
    assert r.exit_code == 1, r.output
    assert ("rejected by the risk gate: max_slippage: max_slippage_bps=500 is above the limit "
            "100") in r.output
    setup, owner = market["setup"], market["owner"]
    assert setup.chain.sent_count == market["sent_after_funding"]
    assert _raw(setup, owner, setup.pair.quote) == 10_000 * 10**6
    assert _raw(setup, owner, setup.pair.base) == 10 * 10**9
    [order] = ledger.load_orders(store).itertuples(index=False)
    assert order.status == "rejected" and order.signature is None
    assert order.reason.startswith("max_slippage: ")
    assert ledger.load_fills(store).empty
    events = ledger.load_risk_events(store)
    assert list(events["rule"]) == ["max_slippage"]
    assert list(events["kind"]) == ["order_rejected"]


def test_limits_come_from_settings_and_resize_is_printed(env, market, store):
    """WORKBENCH_RISK__MAX_ORDER_NOTIONAL=50 resizes a 100 USDC buy; the smaller order fills."""
    env.setenv("WORKBENCH_RISK__MAX_ORDER_NOTIONAL", "50")
    r = _swap("--from", "USDC", "--to", "SOL", "--amount", "100")
    assert r.exit_code == 0, r.output
    assert "resized by the risk gate: max_notional: " in r.output
    setup, owner = market["setup"], market["owner"]
    spent = 10_000 * 10**6 - _raw(setup, owner, setup.pair.quote)
    assert 49_000_000 < spent <= 50_000_000
    [fill] = ledger.load_fills(store).itertuples(index=False)
    assert fill.quote_amount * 10**6 == spent
    assert list(ledger.load_risk_events(store)["kind"]) == ["order_resized"]


def test_keystore_wallet_signs_on_litesvm(env, market, tmp_path):
    """--keystore: the keystore's key is funded and signs (the known-answer sell); its secret
    never appears."""
    path = tmp_path / "keys.json"
    ks = Keystore(path, scrypt_n=2**10)
    pub = ks.create("bot", "pw-123")
    env.setenv("WORKBENCH_KEYSTORE_PASSPHRASE", "pw-123")
    r = _swap("--from", "SOL", "--to", "USDC", "--amount", "1", "--keystore", str(path),
              "--key-name", "bot")
    assert r.exit_code == 0, r.output
    # 1 SOL into 1000 SOL / 150000 USDC at 25 bps: 149.475897 USDC (see local_amm.math)
    assert "spent    1.000000000 SOL" in r.output and "received 149.475897 USDC" in r.output
    assert market["owner"] == pub and f"wallet {pub}" in r.output
    landed = market["setup"].chain.landed(Signature.from_string(re.search(SIG, r.output).group(1)))
    assert landed.account_keys[0] == str(pub)  # the fee payer and signer
    secret = str(ks.unlock("bot", "pw-123").keypair)
    assert secret not in r.output


def test_wrong_passphrase_is_a_keystore_error(env, tmp_path):
    """A wrong passphrase stops before any market or order exists."""
    path = tmp_path / "keys.json"
    Keystore(path, scrypt_n=2**10).create("default", "right")
    env.setenv("WORKBENCH_KEYSTORE_PASSPHRASE", "wrong")
    r = _swap("--from", "SOL", "--to", "USDC", "--amount", "1", "--keystore", str(path))
    assert isinstance(r.exception, KeystoreError)
    assert "Wrong passphrase for key 'default'" in str(r.exception)


def test_unknown_token_is_a_config_error(env):
    """An unknown symbol is a clean ConfigError naming the tokens traded."""
    r = _swap("--from", "BONK", "--to", "USDC", "--amount", "1")
    assert isinstance(r.exception, ConfigError)
    assert "Paper market trades SOL, USDC; got --from BONK --to USDC." in str(r.exception)


# -- the paper wallet across runs ------------------------------------------------------------


def _cli(*args, input=None):
    return CliRunner().invoke(app, ["trade", *args], input=input)


def _state(tmp_path):
    return tmp_path / "data" / "paper_wallet.json"


def _reopen(tmp_path):
    """The paper wallet as the next run sees it: restored from the state file."""
    return PaperWallet.open(_state(tmp_path), create=False)


def _holdings(paper):
    """The wallet on chain: SOL counts native lamports too (as reconcile does)."""
    raw = paper.chain_raw()
    return {t.symbol: raw[str(t.mint)] for t in (paper.pair.base, paper.pair.quote)}


def test_two_runs_carry_over_and_reconcile_clean(env, tmp_path, store):
    """The second run resumes the first run's chain; balances and reconcile span both."""
    r1 = _swap("--from", "USDC", "--to", "SOL", "--amount", "100")
    assert r1.exit_code == 0, r1.output
    assert "new paper wallet data/paper_wallet.json" in r1.output
    after1 = _holdings(_reopen(tmp_path))
    r2 = _swap("--from", "SOL", "--to", "USDC", "--amount", "0.25")
    assert r2.exit_code == 0, r2.output
    assert "resumed data/paper_wallet.json (1 order(s))" in r2.output
    paper = _reopen(tmp_path)
    assert len(paper.order_ids) == 2 and not paper.created
    after2 = _holdings(paper)

    # the second run started from the first run's balances: the chain moved by its fill only
    fills = ledger.load_fills(store)  # newest first
    sell = fills.iloc[0]
    assert (sell.side, sell.client_order_id) == ("sell", paper.order_ids[1])
    assert after2["SOL"] - after1["SOL"] == -(int(sell.base_amount * 10**9)
                                              + int(sell.fee_lamports))
    assert after2["USDC"] - after1["USDC"] == int(sell.quote_amount * 10**6)
    # opening (10 wSOL + 1 SOL for fees, 10000 USDC) + both fills == chain
    buy = fills.iloc[1]
    assert after2["SOL"] == (11 * 10**9 + int(buy.base_amount * 10**9) - int(buy.fee_lamports)
                             - int(sell.base_amount * 10**9) - int(sell.fee_lamports))
    assert after2["USDC"] == (10_000 * 10**6 - int(buy.quote_amount * 10**6)
                              + int(sell.quote_amount * 10**6))

    rec = _cli("reconcile")
    assert rec.exit_code == 0, rec.output
    assert f"2 order(s), 2 fill(s) in {store.url}" in rec.output
    assert f"ok       SOL   {after2['SOL']} base units" in rec.output
    assert f"ok       USDC  {after2['USDC']} base units" in rec.output
    assert "reconciled: ledger equals chain for every token" in rec.output

    bal = _cli("balances")
    assert bal.exit_code == 0, bal.output
    usdc = Decimal(after2["USDC"]).scaleb(-6)
    assert re.search(rf"USDC +{re.escape(f'{usdc:,f}')} +{re.escape(f'{usdc:,f}')} +0\.000000  ok",
                     bal.output), bal.output
    assert bal.output.count("  ok\n") == 2


def test_deleted_fill_is_a_reconcile_mismatch(env, tmp_path, store):
    """A fill deleted from the ledger: reconcile exits 1 with a line per token naming the
    ledger's and the chain's amounts."""
    from sqlalchemy import delete

    from workbench.store.models import FillRow

    assert _swap("--from", "USDC", "--to", "SOL", "--amount", "100").exit_code == 0
    assert _swap("--from", "USDC", "--to", "SOL", "--amount", "50").exit_code == 0
    fills = ledger.load_fills(store)
    gone = fills.iloc[0]  # the 50 USDC buy
    with store.engine.begin() as conn:
        conn.execute(delete(FillRow).where(FillRow.client_order_id == gone.client_order_id))
    chain = _holdings(_reopen(tmp_path))
    sol_ledger = chain["SOL"] - int(gone.base_amount * 10**9) + int(gone.fee_lamports)
    usdc_ledger = chain["USDC"] + 50 * 10**6

    r = _cli("reconcile")
    assert r.exit_code == 1, r.output
    assert (f"MISMATCH SOL: ledger {Decimal(sol_ledger).scaleb(-9)} ({sol_ledger} base units), "
            f"chain {Decimal(chain['SOL']).scaleb(-9)} ({chain['SOL']} base units), "
            f"chain - ledger {chain['SOL'] - sol_ledger:+d}") in r.output
    assert (f"MISMATCH USDC: ledger {Decimal(usdc_ledger).scaleb(-6)} ({usdc_ledger} base units), "
            f"chain {Decimal(chain['USDC']).scaleb(-6)} ({chain['USDC']} base units), "
            "chain - ledger -50000000") in r.output
    assert "reconcile failed: 2 token(s) differ" in r.output
    assert "MISMATCH" in _cli("balances").output.upper()  # balances shows it, exit 0


def test_corrupt_state_file_is_refused_and_left_as_is(env, tmp_path, store):
    """A truncated, an edited and a foreign state file: every command refuses with the file
    named and the way out; the bytes on disk never change."""
    import os
    import subprocess
    import sys

    assert _swap("--from", "USDC", "--to", "SOL", "--amount", "10").exit_code == 0
    path = _state(tmp_path)
    good = path.read_bytes()

    path.write_bytes(good[: len(good) // 2])  # truncated
    exe = str(Path(sys.executable).parent / "workbench")  # the console script
    proc = subprocess.run([exe, "trade", "swap", "--from", "USDC", "--to", "SOL", "--amount",
                           "10"], capture_output=True,
                          text=True, env=os.environ | {"NO_COLOR": "1"}, timeout=300)
    assert proc.returncode == 3, proc.stderr
    assert ("error: data/paper_wallet.json is not a workbench paper wallet state file (not JSON"
            in proc.stderr)
    assert "It was left as is" in proc.stderr and "workbench trade reset-paper" in proc.stderr
    assert path.read_bytes() == good[: len(good) // 2]

    edited = good.replace(b'"order_ids":["', b'"order_ids":["x', 1)  # valid JSON, wrong hash
    assert edited != good
    path.write_bytes(edited)
    for args in (["swap", "--from", "USDC", "--to", "SOL", "--amount", "10"], ["balances"],
                 ["reconcile"]):
        r = _cli(*args)
        assert isinstance(r.exception, StoreError), r.output
        assert f"Paper wallet state {path.relative_to(tmp_path)} is corrupt: its SHA-256" in str(
            r.exception)
        assert path.read_bytes() == edited

    path.write_bytes(b"\x80\x05\x95 a pickle from another program")
    r = _cli("reconcile")
    assert isinstance(r.exception, StoreError)
    assert "is not a workbench paper wallet state file" in str(r.exception)
    assert path.read_bytes() == b"\x80\x05\x95 a pickle from another program"

    path.write_bytes(good)  # restored from a backup: trading goes on
    assert _cli("reconcile").exit_code == 0


def test_reset_paper_confirms_and_keeps_a_backup(env, tmp_path, store):
    """reset-paper asks first; yes moves the state aside and the next swap starts anew."""
    assert _swap("--from", "USDC", "--to", "SOL", "--amount", "10").exit_code == 0
    path = _state(tmp_path)
    old = path.read_bytes()
    no = _cli("reset-paper", input="n\n")
    assert no.exit_code == 1 and "Move the paper wallet" in no.output
    assert path.read_bytes() == old
    yes = _cli("reset-paper", input="y\n")
    assert yes.exit_code == 0, yes.output
    assert not path.exists()
    [backup] = path.parent.glob("paper_wallet.json.*.bak")
    assert backup.read_bytes() == old and str(backup.name) in yes.output
    assert "nothing to reset" in _cli("reset-paper", "--yes").output
    r = _swap("--from", "USDC", "--to", "SOL", "--amount", "10")
    assert r.exit_code == 0 and "new paper wallet" in r.output
    assert len(_reopen(tmp_path).order_ids) == 1
    assert _cli("reconcile").exit_code == 0  # the old wallet's orders are not counted


def test_existing_wallet_refuses_creation_options_and_other_keys(env, tmp_path, store):
    """--price on an existing wallet, or a keystore key that does not own it, is refused
    before anything is sent; reconcile before any swap names the missing wallet."""
    r = _cli("reconcile")
    assert isinstance(r.exception, ConfigError) and "No paper wallet at data/paper_wallet.json" \
        in str(r.exception)
    assert _swap("--from", "USDC", "--to", "SOL", "--amount", "10").exit_code == 0
    state = _state(tmp_path).read_bytes()
    r = _swap("--from", "USDC", "--to", "SOL", "--amount", "10", "--price", "140")
    assert isinstance(r.exception, ConfigError)
    assert "--price applies only to a new one" in str(r.exception)
    keys = tmp_path / "keys.json"
    pub = Keystore(keys, scrypt_n=2**10).create("default", "pw")
    env.setenv("WORKBENCH_KEYSTORE_PASSPHRASE", "pw")
    r = _swap("--from", "USDC", "--to", "SOL", "--amount", "10", "--keystore", str(keys))
    assert isinstance(r.exception, ConfigError)
    assert f"belongs to {_reopen(tmp_path).owner} (throwaway key), not to {pub}" in str(
        r.exception)
    assert _state(tmp_path).read_bytes() == state
    assert len(ledger.load_orders(store)) == 1

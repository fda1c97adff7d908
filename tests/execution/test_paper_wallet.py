"""The paper wallet through the Python API (what notebooks use): resume, reconcile across
sessions, the file written atomically, concurrent runs refused, keystore secrets never written."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from solders.keypair import Keypair

from workbench.config import RiskSettings
from workbench.errors import ConfigError, StoreError
from workbench.execution import Keystore, Wallet
from workbench.execution.paper_wallet import (
    STATE_FORMAT,
    PaperSpec,
    PaperWallet,
    paper_state_path,
    reset_paper_wallet,
)
from workbench.risk import RiskGate, limits_from_settings

pytestmark = pytest.mark.integration


def _gate():
    return RiskGate(limits=limits_from_settings(RiskSettings()))


async def _trade(paper, store, spend, receive, amount):
    session = paper.session(store, _gate(), strategy="notebook")
    await session.start()
    return await paper.swap(session, spend, receive, amount, slippage_bps=50)


async def test_sessions_resume_the_chain_and_reconcile_across_them(tmp_path, store):
    """Two notebooks sessions on one state file: the second sees the first's balances and
    reconcile covers both; hooks forget the finished orders."""
    path = tmp_path / "paper_wallet.json"
    spec = PaperSpec(prices=("150", "151"), wallet_usdc="5000")
    first = PaperWallet.open(path, new=spec)
    assert first.created and first.generation == 1
    out = await _trade(first, store, "USDC", "SOL", "200")
    assert out.fill is not None and len(first.order_ids) == 1
    hooks_after = out.order.client_order_id
    second = PaperWallet.open(path, new=spec)  # a notebook re-run: resumed, spec unused
    assert not second.created and second.spec == spec and second.order_ids == first.order_ids
    assert second.chain_raw() == first.chain_raw()  # the restored chain is the saved one
    assert [v.name for v in second.setup.venues] == [v.name for v in first.setup.venues]
    out2 = await _trade(second, store, "SOL", "USDC", "0.5")
    assert out2.fill is not None
    third = PaperWallet.open(path)
    assert third.order_ids == [hooks_after, out2.order.client_order_id]
    assert third.generation == 3
    rec = third.reconcile(store)
    assert list(rec["status"]) == ["ok", "ok"]
    usdc = rec.set_index("symbol").loc["USDC"]
    assert usdc["opening_raw"] == 5_000 * 10**6
    assert usdc["chain_raw"] == 5_000 * 10**6 - out.fill.in_amount_raw + out2.fill.out_amount_raw
    bal = third.balances(store).set_index("symbol")
    assert bal.loc["USDC", "chain"] == Decimal(usdc["chain_raw"]).scaleb(-6)
    assert third.reconcile(store, include_matches=False).empty


async def test_stale_wallet_does_not_overwrite_a_newer_save(tmp_path, store):
    """Two runs open the same file; the first saves; the second's save is refused and the
    file keeps the first's trade."""
    path = tmp_path / "paper_wallet.json"
    PaperWallet.open(path)
    a, b = PaperWallet.open(path), PaperWallet.open(path)
    await _trade(a, store, "USDC", "SOL", "10")
    saved = path.read_bytes()
    with pytest.raises(StoreError, match="changed since this run opened it"):
        await _trade(b, store, "USDC", "SOL", "10")
    assert path.read_bytes() == saved
    assert PaperWallet.open(path).order_ids == a.order_ids
    assert not list(tmp_path.glob("*.tmp"))  # no temp file left behind


def test_state_file_is_checksummed_json_without_keystore_secrets(tmp_path):
    """A keystore wallet's paper state holds its public key only; signing needs the wallet."""
    keys = Keystore(tmp_path / "keys.json", scrypt_n=2**10)
    keys.create("bot", "pw")
    wallet = keys.unlock("bot", "pw")
    path = tmp_path / "paper_wallet.json"
    paper = PaperWallet.open(path, wallet=wallet)
    text = path.read_text()
    doc = json.loads(text)
    assert doc["format"] == STATE_FORMAT and doc["body"]["owner"] == str(wallet.pubkey)
    assert doc["body"]["throwaway_key"] is None and doc["body"]["source"] == "keystore"
    assert str(wallet.keypair) not in text
    assert paper.signer(wallet) is wallet
    with pytest.raises(ConfigError, match="belongs to keystore key"):
        PaperWallet.open(path).signer()
    with pytest.raises(ConfigError, match="not to"):
        PaperWallet.open(path, wallet=Wallet(Keypair()))


def test_missing_foreign_and_reset(tmp_path):
    """create=False needs a wallet; a foreign file is refused; reset moves it aside."""
    settings = type("S", (), {"data": type("D", (), {"dir": tmp_path / "data"})()})()
    path = paper_state_path(settings)
    assert path == tmp_path / "data" / "paper_wallet.json"
    with pytest.raises(ConfigError, match="No paper wallet at"):
        PaperWallet.open(path, create=False)
    assert reset_paper_wallet(path) is None
    path.parent.mkdir()
    path.write_text('{"format": "something-else"}')
    with pytest.raises(StoreError, match="not a workbench paper wallet state file"):
        PaperWallet.open(path)
    backup = reset_paper_wallet(path)
    assert backup is not None and backup.read_text() == '{"format": "something-else"}'
    assert PaperWallet.open(path).created

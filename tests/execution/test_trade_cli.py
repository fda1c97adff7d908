"""``workbench trade swap``: the risk gate before signing, the ledger from the settings, fills
and reconciliation equal to the chain; on SQLite and PostgreSQL (the ``store`` fixture)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from solders.signature import Signature
from typer.testing import CliRunner

import workbench.cli.trade as trade
from workbench.chain.programs import associated_token_address
from workbench.cli import app
from workbench.errors import ConfigError, KeystoreError
from workbench.execution import Keystore
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
    """Captures the paper market the command opens, and its transaction count once funded."""
    seen = {}
    real = trade.open_local_market

    def spy(*args, **kwargs):
        setup = real(*args, **kwargs)
        seen.update(setup=setup, owner=kwargs["owner"], sent_after_funding=setup.chain.sent_count)
        return setup

    monkeypatch.setattr(trade, "open_local_market", spy)
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

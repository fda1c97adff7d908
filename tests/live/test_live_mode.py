"""Live mode end to end without the internet: keystore wallet, RpcChain, Jupiter, a live price
feed, all served with respx over a real LiteSVM chain (see ``livenet.py``)."""

from __future__ import annotations

import logging
from decimal import Decimal

import base58
import httpx
import pytest
import respx
from solders.signature import Signature
from solders.transaction import VersionedTransaction

from workbench.chain.programs import COMPUTE_BUDGET_PROGRAM_ID
from workbench.config import Settings, load_settings
from workbench.errors import ConfigError, KeystoreError
from workbench.execution.keystore import PASSPHRASE_ENV, Keystore
from workbench.execution.priority_fees import percentile_fee
from workbench.execution.transactions import compute_unit_limit
from workbench.live import Engine, EngineConfig, StrategySeed
from workbench.portfolio import reconcile
from workbench.store import ledger

from .checks import FINAL, ledger_holdings
from .livenet import JUP, RPC, LiveNet

PASSPHRASE = "correct horse battery staple 7f3a"
GRID = StrategySeed(name="grid", kind="grid", symbol="SOL/USDT", params={
    "lower": 140.0, "upper": 150.0, "n_levels": 21, "size_per_level": "0.5",
    "max_inventory_levels": 5, "out_of_range": "shift"})
#: one price per poll: the setup fetch, a fall of 0.25 per poll, then a rise of 0.3 per poll
PRICES = ["147.40", *(f"{147.40 - 0.25 * i:.2f}" for i in range(1, 17)),
          *(f"{143.40 + 0.30 * i:.2f}" for i in range(1, 20))]
BARS = 11


def _settings(tmp_path, keystore, **engine):
    return Settings(
        data={"dir": tmp_path, "jupiter_base_url": JUP, "requests_per_s": 1000},
        execution={"keystore_path": keystore, "rpc_urls": [RPC]},
        engine={"mode": "live", "live_opt_in": True, "metrics_port": 0, "heartbeat_s": 0.2,
                **engine})


def _keystore(tmp_path, net):
    path = tmp_path / "keys.json"
    Keystore(path, scrypt_n=2**10).add("default", net.keypair, PASSPHRASE)
    return path


def _config(**kw):
    values = {"symbol": "SOL/USDT", "timeframe": "1m", "seeds": (GRID,), "max_bars": BARS,
              "stop_at_end": True, "handle_signals": False, "serve_metrics": False,
              "feed_interval_s": 0.0, "rpc_rate_per_s": 1e6}
    values.update(kw)
    return EngineConfig(**values)


async def _nosleep(_s):
    return None


def _cu(tx_bytes):
    msg = VersionedTransaction.from_bytes(tx_bytes).message
    return {bytes(ix.data)[0]: int.from_bytes(bytes(ix.data)[1:], "little")
            for ix in msg.instructions
            if msg.account_keys[ix.program_id_index] == COMPUTE_BUDGET_PROGRAM_ID}


@pytest.mark.integration
async def test_live_engine_trades_through_rpc_and_jupiter_and_books_what_the_chain_did(
        tmp_path, monkeypatch, caplog):
    """Opted-in live mode unlocks the keystore, polls Jupiter prices into 1m bars, routes grid
    orders through the risk gate to Jupiter, simulates, sends over RPC once per order, and
    books fills equal to the chain's balance changes; the secret never reaches a log."""
    caplog.set_level(logging.DEBUG)
    net = LiveNet(PRICES)
    start = net.wallet_raw()
    monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE)
    settings = _settings(tmp_path, _keystore(tmp_path, net))
    with respx.mock(assert_all_called=False) as mock:
        net.mount(mock)
        async with httpx.AsyncClient() as http:
            eng = Engine(settings, config=_config(), http=http, clock_ns=net.clock_ns,
                         feed_sleep=_nosleep, passphrase_prompt=None)
            await eng.run()
    assert eng.mode == "live" and eng.stop_reason == "max_bars reached"
    assert eng.bars_done == BARS
    assert eng.market is not None and eng.market.owner == net.owner
    store = eng.store
    # the stored starting balances are the chain's at start
    account = ledger.get_state(store, "engine_account")
    assert {k: int(v) for k, v in account["balances"].items()} == start
    assert account["mode"] == "live"

    orders = ledger.load_orders(store)
    assert set(orders["status"]) <= FINAL
    assert set(orders["mode"]) == {"live"}
    assert (orders["status"] == "filled").all(), orders[["client_order_id", "status", "reason"]]
    sides = set(orders["side"])
    assert sides == {"buy", "sell"}, sides  # the fall bought lots, the rise sold them
    assert len(orders) >= 4

    # one transaction per order, landed once, and nothing else was sent
    fills = ledger.load_fills(store)
    assert set(fills["client_order_id"]) == set(orders["client_order_id"])
    sigs = list(fills["signature"])
    assert len(set(sigs)) == len(orders) == len(net.node.sent)
    assert set(net.node.sent) == set(sigs)
    owner = str(net.owner)
    for row in fills.itertuples(index=False):
        landed = net.chain.landed(Signature.from_string(row.signature))
        assert landed is not None and landed.ok
        ch = {c.mint: c.delta_raw for c in landed.token_changes(owner)}
        base_raw = int(Decimal(row.base_amount) * 10**9)
        quote_raw = int(Decimal(row.quote_amount) * 10**6)
        sign = 1 if row.side == "buy" else -1
        assert ch[str(net.sol.mint)] == sign * base_raw
        assert ch[str(net.usdt.mint)] == -sign * quote_raw
        assert row.fee_lamports == landed.fee_lamports > 5_000  # base fee + priority fee
    # the ledger (starting balances + fills) equals the wallet on chain, to the base unit
    diff = reconcile(ledger_holdings(store), net.wallet_raw())
    assert diff.empty, diff.to_string()
    snaps = ledger.load_balances(store)
    assert set(snaps["source"]) == {"chain"} and len(snaps) >= 3 * len(orders)

    # simulate before every send; CU limit from that simulation, price from recent fees
    calls = net.node.calls
    assert calls.count("simulateTransaction") == len(orders)
    first_send = calls.index("sendTransaction")
    assert calls.index("simulateTransaction") < first_send
    signed = list(net.node.sent.values())
    price = percentile_fee(net.node.fees, settings.execution.priority_fee_percentile,
                           settings.execution.priority_fee_cap_microlamports)
    for units, tx in zip(net.node.simulated_units, signed, strict=True):
        assert _cu(tx) == {2: compute_unit_limit(units, 15), 3: price}
    # Jupiter was asked to leave SOL wrapped, for our wallet
    assert net.builds and all(b["wrapAndUnwrapSol"] is False and b["userPublicKey"] == owner
                              for b in net.builds)

    health = eng.health()
    assert health["chain"]["ok"] and health["chain"]["name"] == "rpc"
    assert health["chain"]["owner"] == owner and health["status"] == "ok"
    beat = ledger.get_state(store, "heartbeat")
    assert beat is not None and beat["mode"] == "live"

    text = caplog.text + repr(eng.market.wallet) + str(eng.settings)
    assert PASSPHRASE not in text
    assert base58.b58encode(bytes(net.keypair)).decode() not in text
    assert f"wallet {net.owner}" in caplog.text


def test_live_mode_without_opt_in_is_refused_naming_the_setting(tmp_path):
    """mode=live without engine.live_opt_in stops before anything is built."""
    ks = tmp_path / "keys.json"
    ks.write_text("{}")
    settings = Settings(data={"dir": tmp_path}, engine={"mode": "live"},
                        execution={"keystore_path": ks})
    with pytest.raises(ConfigError, match=r"engine\.live_opt_in = true") as info:
        Engine(settings, config=EngineConfig())
    assert info.value.setting == "engine.live_opt_in"
    assert not (tmp_path / "workbench.db").exists()


def test_live_mode_without_keystore_is_refused_naming_the_setting(tmp_path):
    """No keystore path is a config error at load; a path to a missing file at engine start."""
    with pytest.raises(ConfigError, match=r"live trading needs execution\.keystore_path"):
        load_settings(None, profile="live", engine={"live_opt_in": True})
    settings = Settings(data={"dir": tmp_path},
                        engine={"mode": "live", "live_opt_in": True},
                        execution={"keystore_path": tmp_path / "missing.json"})
    with pytest.raises(ConfigError, match=r"execution\.keystore_path.*missing\.json does not "
                       r"exist.*workbench keys create") as info:
        Engine(settings, config=EngineConfig())
    assert info.value.setting == "execution.keystore_path"


@pytest.mark.integration
async def test_wrong_passphrase_is_refused_without_echoing_it(tmp_path, monkeypatch, caplog):
    """A wrong passphrase stops the live engine with a KeystoreError that never shows it."""
    caplog.set_level(logging.DEBUG)
    net = LiveNet(PRICES[:3])
    wrong = "not-the-passphrase-91c2"
    monkeypatch.setenv(PASSPHRASE_ENV, wrong)
    settings = _settings(tmp_path, _keystore(tmp_path, net))
    eng = Engine(settings, config=_config(), passphrase_prompt=None)
    with pytest.raises(KeystoreError, match="Wrong passphrase for key 'default'") as info:
        await eng.setup()
    assert wrong not in str(info.value) and wrong not in caplog.text
    assert PASSPHRASE not in caplog.text
    monkeypatch.delenv(PASSPHRASE_ENV)
    eng = Engine(settings, config=_config(), passphrase_prompt=None)
    with pytest.raises(KeystoreError, match=PASSPHRASE_ENV):
        await eng.setup()

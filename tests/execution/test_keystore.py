import json
import logging

import base58
import pytest
from pydantic import SecretStr
from solders.keypair import Keypair
from typer.testing import CliRunner

from workbench.cli.keys import app
from workbench.errors import KeystoreError
from workbench.execution.keystore import (
    PASSPHRASE_ENV,
    Keystore,
    Wallet,
    passphrase_from_env_or_prompt,
    read_secret_key,
)

FAST_N = 2**10  # scrypt cost for tests; production default is 2**15
PW = SecretStr("correct horse battery staple")


def _secret_forms(kp: Keypair) -> list[str]:
    """Every text form a leaked secret could take."""
    raw = bytes(kp)
    return [
        str(kp), base58.b58encode(raw).decode(), base58.b58encode(kp.secret()).decode(),
        raw.hex(), kp.secret().hex(), json.dumps(list(raw)), str(list(raw)),
    ]


@pytest.fixture
def ks(tmp_path):
    return Keystore(tmp_path / "keys.json", scrypt_n=FAST_N)


def test_create_unlock_roundtrip(ks):
    """A created key unlocks to a wallet with the stored pubkey."""
    pub = ks.create("main", PW)
    assert ks.pubkey("main") == pub
    wallet = ks.unlock("main", PW)
    assert wallet.pubkey == pub
    assert wallet.keypair.pubkey() == pub
    assert ks.names() == ["main"]


def test_file_is_encrypted_and_private(ks):
    """The keystore file holds no secret form of the key and is mode 0600."""
    kp = Keypair()
    ks.add("k", kp, PW)
    text = ks.path.read_text()
    for form in _secret_forms(kp):
        assert form not in text
    assert str(kp.pubkey()) in text
    assert ks.path.stat().st_mode & 0o777 == 0o600


def test_import_solana_cli_file_and_base58(ks, tmp_path):
    """Both a Solana CLI JSON file and a base58 key import to the same pubkey."""
    kp = Keypair()
    f = tmp_path / "id.json"
    f.write_text(json.dumps(list(bytes(kp))))
    assert ks.import_key("file", f, PW) == kp.pubkey()
    assert ks.import_key("b58", base58.b58encode(bytes(kp)).decode(), PW) == kp.pubkey()
    assert ks.unlock("b58", PW).keypair == kp


def test_wrong_passphrase(ks):
    """A wrong passphrase raises KeystoreError naming the key, not the secret."""
    ks.create("main", PW)
    with pytest.raises(KeystoreError, match="Wrong passphrase for key 'main'"):
        ks.unlock("main", SecretStr("nope"))


def test_tampered_ciphertext_fails(ks):
    """Swapping the stored pubkey (GCM associated data) makes unlock fail."""
    ks.create("a", PW)
    doc = json.loads(ks.path.read_text())
    doc["keys"]["a"]["pubkey"] = str(Keypair().pubkey())
    ks.path.write_text(json.dumps(doc))
    with pytest.raises(KeystoreError, match="Wrong passphrase"):
        ks.unlock("a", PW)


def test_duplicate_and_unknown_names(ks):
    """Names are unique and unknown names list the known ones."""
    ks.create("a", PW)
    with pytest.raises(KeystoreError, match="Key 'a' already exists"):
        ks.create("a", PW)
    with pytest.raises(KeystoreError, match=r"No key 'b' .*\(keys: a\)"):
        ks.unlock("b", PW)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("not-base58-0OIl", "neither a JSON byte array nor valid base58"),
        ("[1, 2, 3]", "must be 64 bytes"),
        ("[1, 2, 999]", "not 64 byte values"),
    ],
)
def test_bad_secret_inputs(source, message):
    """Malformed secrets raise KeystoreError without echoing the input."""
    with pytest.raises(KeystoreError, match=message) as info:
        read_secret_key(source)
    assert source not in str(info.value)


def test_mismatched_pubkey_half_rejected():
    """A 64-byte key whose public half is wrong is refused."""
    kp = Keypair()
    raw = kp.secret() + bytes(Keypair().pubkey())
    with pytest.raises(KeystoreError) as info:
        read_secret_key(raw)
    for form in _secret_forms(kp):
        assert form not in str(info.value)


def test_secrets_never_in_logs_reprs_or_errors(ks, tmp_path, caplog):
    """No secret form appears in logs, reprs, str or errors across the whole key lifecycle."""
    caplog.set_level(logging.DEBUG)
    kp = Keypair()
    f = tmp_path / "id.json"
    f.write_text(json.dumps(list(bytes(kp))))
    ks.import_key("k", f, PW)
    wallet = ks.unlock("k", PW)
    texts = [repr(wallet), str(wallet), repr(ks), str(ks), f"{wallet}", caplog.text]
    errors = []
    for bad in (lambda: ks.unlock("k", SecretStr("wrong")), lambda: ks.import_key("k", f, PW),
                lambda: read_secret_key(base58.b58encode(bytes(kp)[:40]).decode())):
        with pytest.raises(KeystoreError) as info:
            bad()
        errors.append(info.value)
    texts += [str(e) for e in errors] + [repr(e) for e in errors] + [repr(e.args) for e in errors]
    texts.append(caplog.text)
    joined = "\n".join(texts)
    for form in _secret_forms(kp):
        assert form not in joined
    assert PW.get_secret_value() not in joined
    assert str(kp.pubkey()) in repr(wallet)


def test_wallet_refuses_pickle(ks):
    """A wallet cannot be pickled (so it cannot leak through a dask or multiprocessing hop)."""
    import pickle

    ks.create("k", PW)
    with pytest.raises(KeystoreError, match="cannot be pickled"):
        pickle.dumps(ks.unlock("k", PW))


def test_passphrase_from_env(monkeypatch):
    """The env var wins over the prompt; without either, a clear error."""
    monkeypatch.setenv(PASSPHRASE_ENV, "from-env")
    assert passphrase_from_env_or_prompt(prompt=lambda _: "typed").get_secret_value() == "from-env"
    monkeypatch.delenv(PASSPHRASE_ENV)
    assert passphrase_from_env_or_prompt(prompt=lambda _: "typed").get_secret_value() == "typed"
    with pytest.raises(KeystoreError, match=PASSPHRASE_ENV):
        passphrase_from_env_or_prompt(prompt=None)
    answers = iter(["a", "b"])
    with pytest.raises(KeystoreError, match="differ"):
        passphrase_from_env_or_prompt(prompt=lambda _: next(answers), confirm=True)


def test_unlock_uses_env(ks, monkeypatch):
    """unlock() without a passphrase reads the env var."""
    ks.create("k", PW)
    monkeypatch.setenv(PASSPHRASE_ENV, PW.get_secret_value())
    assert isinstance(ks.unlock("k"), Wallet)


def test_cli_create_import_show(tmp_path, monkeypatch):
    """`keys create|import|show` print pubkeys only."""
    monkeypatch.setenv(PASSPHRASE_ENV, "pw")
    path = tmp_path / "ks.json"
    runner = CliRunner()
    r = runner.invoke(app, ["create", "--keystore", str(path), "--name", "a"])
    assert r.exit_code == 0, r.output
    pub = r.output.strip()
    r = runner.invoke(app, ["show", "--keystore", str(path), "--name", "a"])
    assert r.output.strip() == pub
    kp = Keypair()
    f = tmp_path / "id.json"
    f.write_text(json.dumps(list(bytes(kp))))
    r = runner.invoke(app, ["import", str(f), "--keystore", str(path), "--name", "b"])
    assert r.exit_code == 0, r.output
    assert r.output.strip() == str(kp.pubkey())
    for form in _secret_forms(kp):
        assert form not in r.output
    r = runner.invoke(app, ["import", "--keystore", str(path), "--name", "c"],
                      input=base58.b58encode(bytes(kp)).decode() + "\n")
    assert r.exit_code == 0, r.output
    assert r.output.strip().splitlines()[-1] == str(kp.pubkey())
    assert base58.b58encode(bytes(kp)).decode() not in r.output

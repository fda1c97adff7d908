"""An encrypted keystore for Solana keypairs.

File format (JSON, one file, several named keys)::

    {"version": 1, "keys": {"default": {
        "pubkey": "<base58>", "kdf": "scrypt", "n": 32768, "r": 8, "p": 1,
        "salt": "<hex 16>", "nonce": "<hex 12>", "ciphertext": "<hex>"}}}

The 32-byte ed25519 seed is encrypted with AES-256-GCM under a key derived from the passphrase
by scrypt (memory-hard: n=2**15, r=8 costs ~32 MiB and ~0.1 s per guess). The pubkey is the
GCM associated data, so swapping ciphertexts between entries fails authentication, and on
unlock the derived pubkey must equal the stored one.

Secrets never leave through text: :class:`Wallet` prints its pubkey only, and every error
names the file, key name or the kind of problem, never the key bytes or the passphrase.
"""

from __future__ import annotations

import getpass
import json
import logging
import os
from collections.abc import Callable
from pathlib import Path

import base58
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from pydantic import SecretStr
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from workbench.errors import KeystoreError

__all__ = [
    "PASSPHRASE_ENV",
    "Keystore",
    "Wallet",
    "passphrase_from_env_or_prompt",
    "read_secret_key",
]

log = logging.getLogger(__name__)

PASSPHRASE_ENV = "WORKBENCH_KEYSTORE_PASSPHRASE"
_VERSION = 1
_DEFAULT_N = 2**15


class Wallet:
    """An unlocked keypair whose text forms show only the pubkey.

    ``solders.Keypair`` prints its secret key in ``str()``; a Wallet never does, so it is safe
    in logs, reprs and notebook outputs. ``keypair`` is for signing only.
    """

    __slots__ = ("_keypair", "_pubkey")

    def __init__(self, keypair: Keypair) -> None:
        self._keypair = keypair
        self._pubkey = keypair.pubkey()  # cached: solders recomputes it on every call

    @property
    def pubkey(self) -> Pubkey:
        """The wallet's address."""
        return self._pubkey

    @property
    def keypair(self) -> Keypair:
        """The solders keypair, for signing. Never print it."""
        return self._keypair

    def __repr__(self) -> str:
        return f"Wallet(pubkey={self._pubkey})"

    __str__ = __repr__

    def __getstate__(self) -> None:
        raise KeystoreError("A Wallet cannot be pickled; unlock the keystore in each process.")


def read_secret_key(source: str | bytes | Path) -> Keypair:
    """Parse a secret key: a Solana CLI JSON file (64-number array), or base58 (64 or 32 bytes).

    Raises:
        KeystoreError: the input is not one of those forms (the message never echoes it).
    """
    raw: bytes
    if isinstance(source, Path):
        try:
            text = source.read_text()
        except OSError as exc:
            raise KeystoreError(f"Cannot read key file {source}: {exc.strerror}.") from None
        try:
            values = json.loads(text)
            raw = bytes(values)
        except (ValueError, TypeError):
            raise KeystoreError(
                f"Key file {source} is not a Solana CLI keypair (a JSON array of 64 byte "
                "values, as written by `solana-keygen new`)."
            ) from None
    elif isinstance(source, bytes):
        raw = source
    else:
        text = source.strip()
        if text.startswith("["):
            try:
                raw = bytes(json.loads(text))
            except (ValueError, TypeError):
                raise KeystoreError(
                    "The secret key looks like a JSON array but is not 64 byte values."
                ) from None
        else:
            try:
                raw = base58.b58decode(text)
            except ValueError:
                raise KeystoreError(
                    "The secret key is neither a JSON byte array nor valid base58."
                ) from None
    if len(raw) == 32:
        return Keypair.from_seed(raw)
    if len(raw) != 64:
        raise KeystoreError(
            f"A secret key must be 64 bytes (or a 32-byte seed); got {len(raw)} bytes."
        )
    try:
        kp = Keypair.from_bytes(raw)
    except ValueError:
        raise KeystoreError("The 64-byte secret key is not a valid ed25519 keypair.") from None
    if bytes(kp.pubkey()) != raw[32:]:
        raise KeystoreError(
            "The secret key's last 32 bytes do not match its public key; the file is corrupt."
        )
    return kp


def passphrase_from_env_or_prompt(
    *, prompt: Callable[[str], str] | None = getpass.getpass, confirm: bool = False
) -> SecretStr:
    """The keystore passphrase from ``WORKBENCH_KEYSTORE_PASSPHRASE``, else from a prompt.

    Args:
        prompt: asks the user (``getpass`` by default); None means env only.
        confirm: ask twice and require a match (used when creating a key).

    Raises:
        KeystoreError: no env var and no prompt, an empty passphrase, or a mismatch.
    """
    env = os.environ.get(PASSPHRASE_ENV)
    if env:
        return SecretStr(env)
    if prompt is None:
        raise KeystoreError(
            f"No keystore passphrase: set {PASSPHRASE_ENV} or run interactively to be prompted."
        )
    first = prompt("Keystore passphrase: ")
    if not first:
        raise KeystoreError("The keystore passphrase must not be empty.")
    if confirm and prompt("Repeat passphrase: ") != first:
        raise KeystoreError("The two passphrases differ; nothing was written.")
    return SecretStr(first)


def _secret(passphrase: SecretStr | str) -> bytes:
    value = passphrase.get_secret_value() if isinstance(passphrase, SecretStr) else passphrase
    if not value:
        raise KeystoreError("The keystore passphrase must not be empty.")
    return value.encode()


class Keystore:
    """Named keypairs, encrypted at rest in one JSON file.

    Example:
        >>> ks = Keystore(Path("keys.json"))
        >>> pub = ks.create("default", SecretStr("pw"))
        >>> wallet = ks.unlock("default", SecretStr("pw"))
    """

    def __init__(self, path: Path | str, *, scrypt_n: int = _DEFAULT_N) -> None:
        self.path = Path(path)
        self._scrypt_n = scrypt_n

    def __repr__(self) -> str:
        return f"Keystore(path={str(self.path)!r})"

    def _load(self) -> dict[str, dict[str, object]]:
        if not self.path.exists():
            return {}
        try:
            doc = json.loads(self.path.read_text())
            keys = doc["keys"]
            if doc.get("version") != _VERSION or not isinstance(keys, dict):
                raise ValueError
        except (ValueError, KeyError, TypeError, OSError):
            raise KeystoreError(
                f"Keystore {self.path} is corrupt or not a workbench keystore; restore it from "
                "a backup or point execution.keystore_path elsewhere."
            ) from None
        return keys

    def _save(self, keys: dict[str, dict[str, object]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(self.path.suffix + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump({"version": _VERSION, "keys": keys}, fh, indent=1, sort_keys=True)
        tmp.replace(self.path)

    def names(self) -> list[str]:
        """Names of the stored keys, sorted."""
        return sorted(self._load())

    def pubkey(self, name: str = "default") -> Pubkey:
        """The stored public key of ``name``; needs no passphrase."""
        entry = self._entry(name)
        return Pubkey.from_string(str(entry["pubkey"]))

    def create(self, name: str, passphrase: SecretStr | str) -> Pubkey:
        """Generate a new keypair, store it encrypted, return its pubkey."""
        return self.add(name, Keypair(), passphrase)

    def import_key(
        self, name: str, source: str | bytes | Path, passphrase: SecretStr | str
    ) -> Pubkey:
        """Import a Solana CLI JSON keypair file or a base58 secret key; return its pubkey."""
        return self.add(name, read_secret_key(source), passphrase)

    def add(self, name: str, keypair: Keypair, passphrase: SecretStr | str) -> Pubkey:
        """Encrypt ``keypair`` under ``name``.

        Raises:
            KeystoreError: ``name`` exists already (delete it deliberately first).
        """
        keys = self._load()
        if name in keys:
            raise KeystoreError(
                f"Key {name!r} already exists in {self.path}; choose another name."
            )
        pub = keypair.pubkey()
        salt, nonce = os.urandom(16), os.urandom(12)
        n, r, p = self._scrypt_n, 8, 1
        key = Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(_secret(passphrase))
        ct = AESGCM(key).encrypt(nonce, keypair.secret(), bytes(pub))
        keys[name] = {
            "pubkey": str(pub), "kdf": "scrypt", "n": n, "r": r, "p": p,
            "salt": salt.hex(), "nonce": nonce.hex(), "ciphertext": ct.hex(),
        }
        self._save(keys)
        log.info("keystore: stored key %r (pubkey %s) in %s", name, pub, self.path)
        return pub

    def _entry(self, name: str) -> dict[str, object]:
        keys = self._load()
        if name not in keys:
            known = ", ".join(sorted(keys)) or "none"
            raise KeystoreError(
                f"No key {name!r} in {self.path} (keys: {known}); create one with "
                "`workbench keys create`."
            )
        return keys[name]

    def unlock(self, name: str = "default", passphrase: SecretStr | str | None = None) -> Wallet:
        """Decrypt ``name`` into a :class:`Wallet`.

        Args:
            name: key name.
            passphrase: defaults to ``WORKBENCH_KEYSTORE_PASSPHRASE`` (no prompt).

        Raises:
            KeystoreError: unknown name, wrong passphrase, or tampered file.
        """
        entry = self._entry(name)
        if passphrase is None:
            passphrase = passphrase_from_env_or_prompt(prompt=None)
        try:
            salt = bytes.fromhex(str(entry["salt"]))
            nonce = bytes.fromhex(str(entry["nonce"]))
            ct = bytes.fromhex(str(entry["ciphertext"]))
            pub = Pubkey.from_string(str(entry["pubkey"]))
            n, r, p = int(entry["n"]), int(entry["r"]), int(entry["p"])  # type: ignore[call-overload]
        except (KeyError, ValueError, TypeError):
            raise KeystoreError(f"Key {name!r} in {self.path} is corrupt.") from None
        key = Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(_secret(passphrase))
        try:
            seed = AESGCM(key).decrypt(nonce, ct, bytes(pub))
        except InvalidTag:
            log.warning("keystore: failed unlock of key %r in %s", name, self.path)
            raise KeystoreError(
                f"Wrong passphrase for key {name!r} in {self.path} (or the file was modified)."
            ) from None
        kp = Keypair.from_seed(seed)
        if kp.pubkey() != pub:
            raise KeystoreError(f"Key {name!r} in {self.path} does not match its stored pubkey.")
        log.info("keystore: unlocked key %r (pubkey %s)", name, pub)
        return Wallet(kp)

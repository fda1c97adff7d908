"""``workbench keys``: create, import and show keys in the encrypted keystore."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from workbench.config import load_settings
from workbench.errors import KeystoreError
from workbench.execution.keystore import Keystore, passphrase_from_env_or_prompt

app = typer.Typer(help="Create, import and show keypairs in the encrypted keystore.")

_PathOpt = Annotated[
    Path | None,
    typer.Option("--keystore", help="Keystore file (default: execution.keystore_path)."),
]
_NameOpt = Annotated[str, typer.Option("--name", help="Key name inside the keystore.")]


def _keystore(path: Path | None) -> Keystore:
    if path is None:
        path = load_settings().execution.keystore_path
    if path is None:
        raise KeystoreError(
            "No keystore path: pass --keystore or set WORKBENCH_EXECUTION__KEYSTORE_PATH."
        )
    return Keystore(path)


@app.command()
def create(keystore: _PathOpt = None, name: _NameOpt = "default") -> None:
    """Generate a new keypair and store it encrypted; prints the pubkey."""
    ks = _keystore(keystore)
    pub = ks.create(name, passphrase_from_env_or_prompt(confirm=True))
    typer.echo(str(pub))


@app.command("import")
def import_(
    source: Annotated[
        Path | None,
        typer.Argument(help="Solana CLI keypair JSON file; omit to paste a base58 key."),
    ] = None,
    keystore: _PathOpt = None,
    name: _NameOpt = "default",
) -> None:
    """Import a Solana CLI JSON keypair file or a base58 secret key (prompted, hidden)."""
    ks = _keystore(keystore)
    secret: str | Path = (
        typer.prompt("Base58 secret key", hide_input=True) if source is None else source
    )
    pub = ks.import_key(name, secret, passphrase_from_env_or_prompt(confirm=True))
    typer.echo(str(pub))


@app.command()
def show(keystore: _PathOpt = None, name: _NameOpt = "default") -> None:
    """Print the public key of a stored key (never the secret)."""
    typer.echo(str(_keystore(keystore).pubkey(name)))

"""Shared helpers for fixed-layout account decoders.

Solana programs written with Anchor or plain Borsh/bytemuck store accounts as packed
little-endian structs, so a NumPy structured dtype with the same field order reads one account
(``np.frombuffer(data, dtype, count=1)``) or a hundred thousand at once from their concatenated
bytes with no Python loop. NumPy has no 128-bit integer, so u128 fields are read as two u64
halves (``*_lo``/``*_hi``) and joined exactly in Python with :func:`u128`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from solders.pubkey import Pubkey

from workbench.errors import SchemaError

__all__ = ["PUBKEY", "as_records", "check_discriminator", "pubkey", "u128", "u128_float"]

PUBKEY = (np.uint8, (32,))
"""A 32-byte public key inside a structured dtype."""


def pubkey(raw: np.ndarray) -> Pubkey:
    """A solders Pubkey from a 32-byte uint8 field."""
    return Pubkey.from_bytes(raw.tobytes())


def u128(record: np.void, name: str) -> int:
    """Exact u128 from its ``name_lo``/``name_hi`` u64 halves."""
    return int(record[f"{name}_hi"]) << 64 | int(record[f"{name}_lo"])


def u128_float(records: np.ndarray, name: str) -> np.ndarray:
    """u128 halves as float64, vectorised; exact to 53 bits, enough for prices."""
    return records[f"{name}_hi"].astype(np.float64) * 2.0**64 + records[f"{name}_lo"].astype(
        np.float64
    )


def as_records(
    datas: Sequence[bytes] | bytes, dtype: np.dtype, *, what: str, min_size: int | None = None
) -> np.ndarray:
    """View many accounts' bytes as one structured array, checking sizes first.

    Args:
        datas: one account's bytes, or a sequence of accounts' bytes.
        dtype: the packed layout; accounts longer than it (trailing padding or newer
            fields) are truncated to ``dtype.itemsize``.
        what: account kind, for error messages.
        min_size: smallest acceptable account size (defaults to ``dtype.itemsize``).

    Raises:
        SchemaError: an account is shorter than the layout, naming its index and size.
    """
    items = [datas] if isinstance(datas, bytes | bytearray | memoryview) else list(datas)
    size = dtype.itemsize
    need = size if min_size is None else min_size
    if not items:
        return np.empty(0, dtype=dtype)
    uniform = all(len(d) == size for d in items)
    if uniform:
        blob = b"".join(items)
    else:
        parts = []
        for i, d in enumerate(items):
            if len(d) < need:
                raise SchemaError(
                    f"{what} account #{i} has {len(d)} bytes, fewer than the {need} its layout "
                    "needs; check that the address is really this account type.",
                    source=what,
                    payload=bytes(d[:64]),
                )
            parts.append(bytes(d[:size]).ljust(size, b"\0"))
        blob = b"".join(parts)
    return np.frombuffer(blob, dtype=dtype, count=len(items))


def check_discriminator(records: np.ndarray, expected: bytes, *, what: str) -> None:
    """Raise SchemaError when any record's 8-byte Anchor discriminator differs."""
    disc = records["discriminator"]
    want = np.frombuffer(expected, dtype=np.uint8)
    bad = np.flatnonzero(~(disc == want).all(axis=1))
    if bad.size:
        got = disc[bad[0]].tobytes().hex()
        raise SchemaError(
            f"{what} account #{int(bad[0])} has discriminator {got}, expected "
            f"{expected.hex()}; the address is not a {what} account.",
            source=what,
        )

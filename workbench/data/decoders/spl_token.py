"""SPL token account balances, the reserves of AMM vaults.

A token account is 165 bytes: mint (32), owner (32), amount u64 at offset 64, ... Token-2022
accounts share that prefix and append extensions, so the amount sits at the same offset.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from workbench.data.decoders._common import PUBKEY, as_records

__all__ = ["TOKEN_ACCOUNT_DTYPE", "decode_token_amounts"]

TOKEN_ACCOUNT_DTYPE = np.dtype([("mint", PUBKEY), ("owner", PUBKEY), ("amount", "<u8")])


def decode_token_amounts(datas: Sequence[bytes]) -> np.ndarray:
    """``amount`` (u64 base units) of each token account, as a uint64 array.

    Raises:
        SchemaError: an account is shorter than 72 bytes.
    """
    return as_records(datas, TOKEN_ACCOUNT_DTYPE, what="spl_token_account")["amount"].copy()

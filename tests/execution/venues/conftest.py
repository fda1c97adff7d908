"""Shared fixtures for venue adapter tests: recorded payloads and balance changes from real txs."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from workbench.domain import TokenBalanceChange

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
WSOL = "So11111111111111111111111111111111111111112"


@pytest.fixture
def fixture_path() -> Callable[[str], Path]:
    def path(name: str) -> Path:
        return FIXTURES / name

    return path


@pytest.fixture
def load_json() -> Callable[[str], Any]:
    def load(name: str) -> Any:
        return json.loads((FIXTURES / name).read_text())

    return load


def _changes(tx: dict[str, Any], owner: str, *, native_as_wsol: bool) -> list[TokenBalanceChange]:
    """The owner's per-mint balance changes in a recorded getTransaction result.

    Token balances come from pre/postTokenBalances (an account absent on one side counts as 0).
    With ``native_as_wsol`` the owner's lamport change, net of the network fee it paid as fee
    payer, is reported under the wSOL mint, the way an executor reports native SOL legs.
    """
    meta = tx["meta"]
    pre = {b["accountIndex"]: b for b in meta["preTokenBalances"]}
    post = {b["accountIndex"]: b for b in meta["postTokenBalances"]}
    per_mint: dict[str, list[int]] = {}
    for index in set(pre) | set(post):
        ref = post.get(index) or pre[index]
        if ref["owner"] != owner:
            continue
        before = int(pre[index]["uiTokenAmount"]["amount"]) if index in pre else 0
        after = int(post[index]["uiTokenAmount"]["amount"]) if index in post else 0
        slot = per_mint.setdefault(ref["mint"], [0, ref["uiTokenAmount"]["decimals"]])
        slot[0] += after - before
    if native_as_wsol:
        keys = tx["transaction"]["message"]["accountKeys"]
        i = keys.index(owner)
        lamports = meta["postBalances"][i] - meta["preBalances"][i]
        if i == 0:
            lamports += meta["fee"]
        slot = per_mint.setdefault(WSOL, [0, 9])
        slot[0] += lamports
    return [
        TokenBalanceChange(owner=owner, mint=mint, delta_raw=delta, decimals=decimals)
        for mint, (delta, decimals) in sorted(per_mint.items())
        if delta != 0
    ]


@pytest.fixture
def changes_from_tx() -> Callable[..., list[TokenBalanceChange]]:
    return _changes

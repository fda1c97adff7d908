import re

import pytest
from typer.testing import CliRunner

from workbench.cli.trade import app

pytestmark = pytest.mark.integration


def test_trade_swap_paper_prints_fill():
    """`trade swap` executes on a local LiteSVM pool and prints amounts and a signature."""
    r = CliRunner().invoke(app, ["--from", "SOL", "--to", "USDC", "--amount", "1"])
    assert r.exit_code == 0, r.output
    assert "spent    1.000000000 SOL" in r.output
    got = re.search(r"received (\S+) USDC", r.output)
    # 1 SOL into 1000 SOL / 150000 USDC at 25 bps: 149.475897 USDC (see local_amm.math)
    assert got and got.group(1) == "149.475897"
    assert re.search(r"signature [1-9A-HJ-NP-Za-km-z]{80,90}", r.output)


def test_trade_swap_unknown_token():
    """An unknown symbol is a clean ConfigError."""
    r = CliRunner().invoke(app, ["--from", "BONK", "--to", "USDC", "--amount", "1"])
    assert r.exit_code != 0
    assert "Paper market trades SOL, USDC" in str(r.exception)

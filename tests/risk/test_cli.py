"""``workbench risk check`` and ``workbench risk limits`` through the real CLI entry point."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from workbench.cli import main
from workbench.cli.risk import app

# main() discards the exit code typer returns in non-standalone mode, so exit codes of
# commands that finish without an error are checked with CliRunner on the sub-app.
runner = CliRunner()


def test_check_accepts_small_order(capsys: pytest.CaptureFixture[str]) -> None:
    """A small buy under default limits prints ACCEPT and the limits, exit 0."""
    code = main(["risk", "check", "--symbol", "SOL/USDC", "--side", "buy", "--amount", "1",
                 "--price", "150"])
    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith("decision: ACCEPT\n")
    assert "  max_order_notional           1000\n" in out


def test_check_resize_and_reject(capsys: pytest.CaptureFixture[str]) -> None:
    """An oversized buy prints RESIZE with rule and detail; an unknown token exits 1."""
    assert main(["risk", "check", "--symbol", "SOL/USDC", "--side", "buy", "--amount", "100",
                 "--price", "150"]) == 0
    out = capsys.readouterr().out
    assert "decision: RESIZE\nrule:     max_notional (the order is larger than the maximum " \
           "notional)\n" in out
    assert "order:    buy 6.666666666 SOL at 150 USDC" in out
    result = runner.invoke(app, ["check", "--symbol", "WIF/USDC", "--side", "buy", "--amount",
                                 "1", "--price", "2"])
    assert result.exit_code == 1
    assert "rule:     unknown_token" in result.output


def test_check_uses_holdings_and_marks() -> None:
    """--holding and --mark describe the account; a sell without holdings is rejected."""
    result = runner.invoke(app, ["check", "--symbol", "SOL/USDC", "--side", "sell", "--amount",
                                 "1", "--price", "150", "--holding", "USDC=100"])
    assert result.exit_code == 1
    assert "sell of 1 SOL but none is held." in result.output
    result = runner.invoke(app, ["check", "--symbol", "SOL/USDC", "--side", "sell", "--amount",
                                 "1", "--price", "150", "--holding", "SOL=2", "--mark", "SOL=150"])
    assert result.exit_code == 0 and result.output.startswith("decision: ACCEPT")


def test_check_bad_number_is_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    """A non-numeric amount is a clean one-line error."""
    code = main(["risk", "check", "--symbol", "SOL/USDC", "--side", "buy", "--amount", "x",
                 "--price", "150"])
    assert code == 1
    assert capsys.readouterr().err.strip() == "error: --amount 'x' is not a number."


def test_limits_json_reads_config(tmp_path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """`risk limits --json` shows configured values from the TOML file."""
    monkeypatch.chdir(tmp_path)
    cfg = tmp_path / "wb.toml"
    cfg.write_text('[risk]\nmax_order_notional = "250"\nmax_open_positions = 3\n')
    assert main(["risk", "limits", "--json", "--config", str(cfg)]) == 0
    values = json.loads(capsys.readouterr().out)
    assert values["max_order_notional"] == "250" and values["max_open_positions"] == 3

import json
from pathlib import Path

import pytest

from workbench.chain.classify import classify_rpc_error, classify_tx_error, failing_program
from workbench.errors import (
    InsufficientFunds,
    OrderRejected,
    RateLimited,
    SimulationFailed,
    SlippageExceeded,
    TemporaryVenueError,
    TxExpired,
    TxFailed,
    VenueError,
)

FIX = Path(__file__).parents[1] / "fixtures" / "rpc"
PAIRS = json.loads((FIX / "blocto_solana-go-sdk_rpc_request_response_pairs.json").read_text())
SWIFT = json.loads((FIX / "p2p-org_solana-swift_sendTransaction_responses.json").read_text())
RATE = json.loads((FIX / "rate_limit_429_examples.json").read_text())


def _errors():
    return [p["response"]["error"] for p in PAIRS if "error" in p["response"]]


def test_recorded_blockhash_not_found_is_tx_expired():
    """-32002 with err BlockhashNotFound (recorded) maps to TxExpired."""
    err = next(e for e in _errors() if e["code"] == -32002)
    assert isinstance(classify_rpc_error(err), TxExpired)
    assert isinstance(classify_rpc_error(SWIFT["sendTransactionBlockhashNotFound"]["error"]),
                      TxExpired)


def test_recorded_node_behind_is_temporary():
    """-32005 node behind (recorded) is retryable."""
    err = next(e for e in _errors() if e["code"] == -32005)
    exc = classify_rpc_error(err, request_id="1")
    assert type(exc) is TemporaryVenueError
    assert exc.request_id == "1" and exc.payload == err


def test_recorded_invalid_params_rejected():
    """-32602 (recorded io error) is a non-retryable rejection."""
    err = next(e for e in _errors() if e["code"] == -32602)
    exc = classify_rpc_error(err)
    assert isinstance(exc, OrderRejected) and exc.reason == "invalid_request"


def test_recorded_simulation_insufficient_lamports():
    """Recorded simulation Custom(1) with 'insufficient lamports' -> InsufficientFunds."""
    value = next(p["response"]["result"]["value"] for p in PAIRS
                 if p["request"]["method"] == "simulateTransaction"
                 and p["response"]["result"]["value"]["err"] not in (None, "BlockhashNotFound"))
    exc = classify_tx_error(value["err"], value["logs"])
    assert isinstance(exc, InsufficientFunds)
    assert exc.payload["logs"] == value["logs"]


def test_recorded_whirlpool_error_is_simulation_failed_with_logs():
    """A -32002 preflight failure with an unmapped custom code keeps the program logs."""
    err = SWIFT["sendTransactionWhirpoolInvalidTimestamp"]["error"]
    exc = classify_rpc_error(err)
    assert type(exc) is SimulationFailed
    assert "0x1786" in str(exc) and exc.logs == err["data"]["logs"]


@pytest.mark.parametrize("example", RATE["examples"])
def test_recorded_429_bodies(example):
    """Every recorded 429 body is RateLimited."""
    body = example.get("body") or json.loads(example["body_raw"])
    assert isinstance(classify_rpc_error(body["error"], http_status=429), RateLimited)


def test_jupiter_slippage_6001():
    """Custom 6001 (0x1771) from Jupiter is SlippageExceeded; from another program it is not."""
    logs = ["Program JUP6LkbZbjS1jKKwapdHNy74zcZ3tLUZoi5QNyVTaV4 invoke [1]",
            "Program log: AnchorError occurred. Error Code: SlippageToleranceExceeded.",
            "Program JUP6LkbZbjS1jKKwapdHNy74zcZ3tLUZoi5QNyVTaV4 failed: custom program error: "
            "0x1771"]
    err = {"InstructionError": [3, {"Custom": 6001}]}
    exc = classify_tx_error(err, logs)
    assert isinstance(exc, SlippageExceeded) and exc.venue == "jupiter"
    other = ["Program 6EF8rrecthR5Dkzon8Nwu78hRvfCKubJ14M5uBEwF6P failed: custom program error: "
             "0x1771"]
    assert type(classify_tx_error(err, other)) is SimulationFailed
    assert type(classify_tx_error(err, other, landed=True)) is TxFailed
    assert failing_program(logs) == "JUP6LkbZbjS1jKKwapdHNy74zcZ3tLUZoi5QNyVTaV4"


def test_every_rpc_code_has_a_target():
    """Each JSON-RPC code we know maps to a specific workbench class."""
    expected = {429: RateLimited, -32005: TemporaryVenueError, -32004: TemporaryVenueError,
                -32603: TemporaryVenueError, -32003: OrderRejected, -32602: OrderRejected,
                -32601: OrderRejected, -32000: VenueError}
    for code, cls in expected.items():
        assert type(classify_rpc_error({"code": code, "message": "m"})) is cls

"""Jupiter adapter on recorded Jupiter responses and mainnet transactions, served with respx."""

from __future__ import annotations

import base64
import json

import base58
import httpx
import pytest
import respx
from pydantic import SecretStr
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction

from workbench.config import Settings
from workbench.domain import Quote, QuoteRequest
from workbench.errors import (
    ConfigError,
    InsufficientFunds,
    OrderRejected,
    RateLimited,
    SchemaError,
    SlippageExceeded,
    TemporaryVenueError,
)
from workbench.execution.jupiter import (
    PROGRAM_ERRORS,
    JupiterClient,
    JupiterConfig,
    JupiterVenue,
    decode_swap_event,
    error_for_program_code,
    program_code_from_message,
)
from workbench.execution.jupiter.client import TRANSPORT_ERRORS
from workbench.ports import Venue

BASE = "https://jup.test"
SOL = "So11111111111111111111111111111111111111112"
USDC = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"
OWNER = Pubkey.from_string("BQ72nSv9f3PRyRKCBnHLVrerrv37CYTHm5h3s9VSGQDV")
TAKER = Pubkey.from_string("5dMXLJ8GYQxcHe2fjpttVkEpRrxcajRXZqJHCiCbWS4H")


class FakeClock:
    def __init__(self, now_ns: int = 1_700_000_000_000_000_000) -> None:
        self.t = now_ns

    def now_ns(self) -> int:
        return self.t


def fx_bytes(fixture_path, name: str) -> bytes:
    return fixture_path(f"jupiter/{name}").read_bytes()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def make_venue(http: httpx.AsyncClient, clock: FakeClock, **cfg) -> JupiterVenue:
    config = JupiterConfig(base_url=BASE, **cfg)
    return JupiterVenue(JupiterClient(http, config), clock=clock)


REQUEST = QuoteRequest(input_mint=SOL, output_mint=USDC, in_amount_raw=100_000_000, slippage_bps=50)


# --- quotes -----------------------------------------------------------------------------------


@respx.mock
async def test_quote_maps_recorded_response_and_sends_exact_in_params(fixture_path, clock):
    """A recorded /quote becomes a Quote with exact ints, and the request carries our params."""
    route = respx.get(f"{BASE}/swap/v1/quote").mock(
        return_value=httpx.Response(
            200, content=fx_bytes(fixture_path, "quote_swapv1_space-station_example.json")
        )
    )
    async with httpx.AsyncClient() as http:
        quote = await make_venue(http, clock).quote(REQUEST)
    params = route.calls.last.request.url.params
    assert (params["inputMint"], params["outputMint"], params["amount"]) == (SOL, USDC, "100000000")
    assert (params["slippageBps"], params["swapMode"]) == ("50", "ExactIn")
    assert (quote.venue, quote.in_amount_raw, quote.out_amount_raw) == (
        "jupiter",
        100_000_000,
        16_198_753,
    )
    assert quote.min_out_amount_raw == 16_117_760
    assert quote.fee_raw == 24_825  # the hop's fee is in SOL, the input mint
    assert quote.price_impact_bps == 0.0
    assert quote.ts_init == clock.t


@respx.mock
async def test_quote_without_fee_fields_has_zero_fee(fixture_path, clock):
    """The older rendering without feeAmount still parses; the fee is unknown, so zero."""
    respx.get(f"{BASE}/swap/v1/quote").mock(
        return_value=httpx.Response(
            200, content=fx_bytes(fixture_path, "quote_v1_SOL_to_USDC_example.json")
        )
    )
    async with httpx.AsyncClient() as http:
        quote = await make_venue(http, clock).quote(REQUEST)
    assert (quote.out_amount_raw, quote.fee_raw) == (16_198_753, 0)


@respx.mock
async def test_exact_out_quote_is_refused_with_schema_error(fixture_path, clock):
    """An ExactOut quote (mSOL->USDC, 3 hops) is refused: the workbench only sends ExactIn."""
    respx.get(f"{BASE}/swap/v1/quote").mock(
        return_value=httpx.Response(
            200, content=fx_bytes(fixture_path, "quote_v6_ExactOut_mSOL_to_USDC_3hop_example.json")
        )
    )
    async with httpx.AsyncClient() as http:
        with pytest.raises(SchemaError, match="swapMode='ExactOut'"):
            await make_venue(http, clock).quote(REQUEST)


async def test_zero_amount_is_rejected_before_any_request(clock):
    """in_amount_raw=0 is refused locally, naming the value."""
    async with httpx.AsyncClient(
        transport=httpx.MockTransport(lambda r: httpx.Response(500))
    ) as http:
        with pytest.raises(OrderRejected, match="in_amount_raw > 0, got 0"):
            await make_venue(http, clock).quote(
                QuoteRequest(input_mint=SOL, output_mint=USDC, in_amount_raw=0)
            )


# --- HTTP failures ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("response", "error", "match"),
    [
        (
            httpx.Response(429, headers={"retry-after": "2"}, text="Too Many Requests"),
            RateLimited,
            "HTTP 429",
        ),
        (httpx.Response(500, text="internal"), TemporaryVenueError, "HTTP 500"),
        (httpx.Response(502, text="<html>bad gateway</html>"), TemporaryVenueError, "HTTP 502"),
        (httpx.Response(503, text=""), TemporaryVenueError, "HTTP 503"),
        (
            httpx.Response(
                400,
                json={"error": "Could not find any route", "errorCode": "COULD_NOT_FIND_ANY_ROUTE"},
            ),
            OrderRejected,
            "COULD_NOT_FIND_ANY_ROUTE",
        ),
        (httpx.Response(401, json={"error": "Unauthorized"}), ConfigError, "API key"),
        (httpx.Response(200, text="<html>maintenance</html>"), SchemaError, "not valid JSON"),
        (
            httpx.Response(200, json={"inputMint": SOL, "inAmount": "1"}),
            SchemaError,
            "missing required field",
        ),
        (httpx.Response(200, json=[]), SchemaError, "does not match QuoteResponse"),
    ],
)
@respx.mock
async def test_http_failures_map_to_workbench_errors(clock, response, error, match):
    """Each failure of /quote surfaces as exactly one workbench error class with a clear message."""
    respx.get(f"{BASE}/swap/v1/quote").mock(return_value=response)
    async with httpx.AsyncClient() as http:
        with pytest.raises(error, match=match) as info:
            await make_venue(http, clock).quote(REQUEST)
    if error is RateLimited:
        assert info.value.retry_after_s == 2.0
    if error is OrderRejected:
        assert info.value.reason == "COULD_NOT_FIND_ANY_ROUTE"
        assert info.value.venue == "jupiter"


@pytest.mark.parametrize(
    "exc",
    [
        httpx.ReadTimeout("read timed out"),
        httpx.ConnectTimeout("connect"),
        httpx.ConnectError("refused"),
        httpx.RemoteProtocolError("peer closed"),
    ],
)
@respx.mock
async def test_transport_errors_become_temporary(clock, exc):
    """Timeouts and connection failures are retryable TemporaryVenueError, chained to the cause."""
    respx.get(f"{BASE}/swap/v1/quote").mock(side_effect=exc)
    async with httpx.AsyncClient() as http:
        with pytest.raises(TemporaryVenueError) as info:
            await make_venue(http, clock).quote(REQUEST)
    assert info.value.__cause__ is exc
    assert not isinstance(info.value, RateLimited)


def test_every_mapped_transport_exception_has_a_target():
    """The mapping table covers timeouts and all other transport errors with a venue error."""
    assert set(TRANSPORT_ERRORS) == {httpx.TimeoutException, httpx.TransportError}
    assert all(issubclass(t, TemporaryVenueError) for t in TRANSPORT_ERRORS.values())


# --- building ---------------------------------------------------------------------------------


async def _quoted(venue: JupiterVenue) -> Quote:
    return await venue.quote(REQUEST)


@respx.mock
async def test_swap_mode_truncated_transaction_is_a_clear_schema_error(fixture_path, clock):
    """The docs' /swap response has a truncated swapTransaction: building refuses it clearly."""
    respx.get(f"{BASE}/swap/v1/quote").mock(
        return_value=httpx.Response(
            200, content=fx_bytes(fixture_path, "quote_swapv1_space-station_example.json")
        )
    )
    respx.post(f"{BASE}/swap/v1/swap").mock(
        return_value=httpx.Response(
            200, content=fx_bytes(fixture_path, "swap_v1_response_example_TRUNCATED_TX.json")
        )
    )
    async with httpx.AsyncClient() as http:
        venue = make_venue(http, clock, mode="swap")
        quote = await _quoted(venue)
        with pytest.raises(SchemaError, match=r"cannot be decoded.*truncated") as info:
            await venue.build(quote, OWNER)
    assert info.value.source == "POST /swap/v1/swap"


@respx.mock
async def test_swap_mode_posts_quote_verbatim_with_fee_and_slippage_options(fixture_path, clock):
    """/swap gets the quote bytes unchanged plus owner, priority-fee cap and dynamic slippage."""
    quote_bytes = fx_bytes(fixture_path, "quote_swapv1_space-station_example.json")
    tx_b64 = json.loads(fx_bytes(fixture_path, "ultra_order_aggregator.json"))["transaction"]
    respx.get(f"{BASE}/swap/v1/quote").mock(return_value=httpx.Response(200, content=quote_bytes))
    swap = respx.post(f"{BASE}/swap/v1/swap").mock(
        return_value=httpx.Response(
            200,
            json={
                "swapTransaction": tx_b64,
                "lastValidBlockHeight": 279632475,
                "prioritizationFeeLamports": 9999,
            },
        )
    )
    async with httpx.AsyncClient() as http:
        venue = make_venue(
            http, clock, mode="swap", dynamic_slippage=True, max_priority_fee_lamports=5000
        )
        plan = await venue.build(await _quoted(venue), OWNER)
    body = json.loads(swap.calls.last.request.content)
    assert body["quoteResponse"] == json.loads(quote_bytes)
    assert body["userPublicKey"] == str(OWNER)
    assert body["dynamicSlippage"] is True
    assert body["prioritizationFeeLamports"] == {
        "priorityLevelWithMaxLamports": {"priorityLevel": "high", "maxLamports": 5000}
    }
    assert plan.prebuilt_tx == base64.b64decode(tx_b64)
    assert plan.instructions == ()


@respx.mock
async def test_swap_instructions_become_solders_instructions_and_lookup_tables(
    fixture_path, load_json, clock
):
    """Instructions of a recorded mainnet Jupiter tx map to solders, minus compute budget."""
    respx.get(f"{BASE}/swap/v1/quote").mock(
        return_value=httpx.Response(
            200, content=fx_bytes(fixture_path, "quote_swapv1_space-station_example.json")
        )
    )
    recorded = load_json("jupiter/swap_instructions_from_Route_2.json")
    respx.post(f"{BASE}/swap/v1/swap-instructions").mock(
        return_value=httpx.Response(200, json=recorded)
    )
    async with httpx.AsyncClient() as http:
        venue = make_venue(http, clock, mode="instructions")
        plan = await venue.build(await _quoted(venue), OWNER)

    # Ground truth: the JUP6 and Token instructions of the recorded transaction, decoded directly.
    tx = load_json("jupiter/jupiterAggregatorV6_Route_2.json")[0]
    loaded = tx["meta"]["loadedAddresses"]
    keys = tx["transaction"]["message"]["accountKeys"] + loaded["writable"] + loaded["readonly"]
    expected = [
        ix
        for ix in tx["transaction"]["message"]["instructions"]
        if not keys[ix["programIdIndex"]].startswith("ComputeBudget")
    ]
    assert len(plan.instructions) == len(expected) == 3
    for built, ix in zip(plan.instructions, expected, strict=True):
        assert str(built.program_id) == keys[ix["programIdIndex"]]
        assert bytes(built.data) == base58.b58decode(ix["data"])
        assert [str(a.pubkey) for a in built.accounts] == [keys[i] for i in ix["accounts"]]
    swap_ix = plan.instructions[1]
    assert bytes(swap_ix.data)[:8].hex() == "e517cb977ae3ad2a"  # Anchor sha256("global:route")[:8]
    assert [str(t) for t in plan.lookup_tables] == ["CBRFxxXxzmhjFXCUTswxdNiQnJdTv7jGMHY4FEPkubRX"]
    assert plan.prebuilt_tx is None


@respx.mock
async def test_docs_swap_instructions_with_truncated_data_is_schema_error(fixture_path, clock):
    """The OpenAPI example's swapInstruction data ("3Dc2AAAAAAA...") is refused outright."""
    import yaml

    spec = yaml.safe_load(fixture_path("jupiter/openapi_swap_v1.yaml").read_text())
    example = spec["paths"]["/swap-instructions"]["post"]["responses"]["200"]["content"][
        "application/json"
    ]["example"]
    respx.get(f"{BASE}/swap/v1/quote").mock(
        return_value=httpx.Response(
            200, content=fx_bytes(fixture_path, "quote_swapv1_space-station_example.json")
        )
    )
    respx.post(f"{BASE}/swap/v1/swap-instructions").mock(
        return_value=httpx.Response(200, json=example)
    )
    async with httpx.AsyncClient() as http:
        venue = make_venue(http, clock)
        with pytest.raises(SchemaError, match="JUP6LkbZbjS1jKKwapdHNy74zcZ3tLUZoi5QNyVTaV4"):
            await venue.build(await _quoted(venue), OWNER)


@respx.mock
async def test_stale_quote_is_requoted_before_building(fixture_path, clock):
    """A quote older than max_quote_age_s is re-fetched, and the fresh one is what gets built."""
    first = fx_bytes(fixture_path, "quote_swapv1_space-station_example.json")
    second = json.loads(first)
    second["outAmount"], second["otherAmountThreshold"] = "16100000", "16019500"
    second_bytes = json.dumps(second).encode()
    quote_route = respx.get(f"{BASE}/swap/v1/quote").mock(
        side_effect=[httpx.Response(200, content=first), httpx.Response(200, content=second_bytes)]
    )
    build = respx.post(f"{BASE}/swap/v1/swap-instructions").mock(
        return_value=httpx.Response(
            200, json=json.loads(fx_bytes(fixture_path, "swap_instructions_from_Route_2.json"))
        )
    )
    async with httpx.AsyncClient() as http:
        venue = make_venue(http, clock, max_quote_age_s=2.0)
        quote = await venue.quote(REQUEST)
        clock.t += 2_500_000_000  # 2.5 s later
        assert venue.is_stale(quote)
        plan = await venue.build(quote, OWNER)
    assert quote_route.call_count == 2
    assert quote_route.calls.last.request.url.params["slippageBps"] == "50"
    assert (plan.quote.out_amount_raw, plan.quote.min_out_amount_raw) == (16_100_000, 16_019_500)
    assert json.loads(build.calls.last.request.content)["quoteResponse"]["outAmount"] == "16100000"


@respx.mock
async def test_fresh_quote_is_built_without_requote(fixture_path, clock):
    """A quote younger than the limit is built as is: one /quote call only."""
    quote_route = respx.get(f"{BASE}/swap/v1/quote").mock(
        return_value=httpx.Response(
            200, content=fx_bytes(fixture_path, "quote_swapv1_space-station_example.json")
        )
    )
    respx.post(f"{BASE}/swap/v1/swap-instructions").mock(
        return_value=httpx.Response(
            200, json=json.loads(fx_bytes(fixture_path, "swap_instructions_from_Route_2.json"))
        )
    )
    async with httpx.AsyncClient() as http:
        venue = make_venue(http, clock, max_quote_age_s=2.0)
        quote = await venue.quote(REQUEST)
        clock.t += 1_900_000_000
        plan = await venue.build(quote, OWNER)
    assert quote_route.call_count == 1
    assert plan.quote is quote


async def test_foreign_quote_is_refused(clock):
    """A quote from another venue cannot be built by Jupiter."""
    foreign = Quote(
        venue="pumpfun",
        input_mint=SOL,
        output_mint=USDC,
        in_amount_raw=1,
        out_amount_raw=1,
        min_out_amount_raw=1,
    )
    async with httpx.AsyncClient(
        transport=httpx.MockTransport(lambda r: httpx.Response(500))
    ) as http:
        with pytest.raises(OrderRejected, match="venue 'pumpfun'"):
            await make_venue(http, clock).build(foreign, OWNER)


# --- Ultra ------------------------------------------------------------------------------------


@respx.mock
async def test_ultra_build_fetches_order_for_taker_and_carries_request_id(fixture_path, clock):
    """Ultra: the order for a taker yields a decodable transaction paid by the taker."""
    order = fx_bytes(fixture_path, "ultra_order_aggregator.json")
    route = respx.get(f"{BASE}/ultra/v1/order").mock(
        return_value=httpx.Response(200, content=order)
    )
    async with httpx.AsyncClient() as http:
        venue = make_venue(http, clock, mode="ultra")
        quote = await venue.quote(
            QuoteRequest(input_mint=USDC, output_mint=SOL, in_amount_raw=1_000_000)
        )
        plan = await venue.build(quote, TAKER)
    assert "taker" not in route.calls[0].request.url.params
    assert route.calls[1].request.url.params["taker"] == str(TAKER)
    assert (plan.quote.in_amount_raw, plan.quote.out_amount_raw, plan.quote.min_out_amount_raw) == (
        1_000_000,
        6_652_914,
        6_644_643,
    )
    assert plan.quote.route.request_id == "5421e18f-9d12-4709-8f5a-6c79c1032203"
    tx = VersionedTransaction.from_bytes(plan.prebuilt_tx)
    assert tx.message.account_keys[0] == TAKER


def _mock_ultra_order(fixture_path):
    """Serve the recorded Ultra /order response."""
    respx.get(f"{BASE}/ultra/v1/order").mock(
        return_value=httpx.Response(
            200, content=fx_bytes(fixture_path, "ultra_order_aggregator.json")
        )
    )


async def _ultra_plan(http, clock):
    """An Ultra venue and the plan it builds for 1 USDC -> SOL for the taker."""
    venue = make_venue(http, clock, mode="ultra")
    quote = await venue.quote(
        QuoteRequest(input_mint=USDC, output_mint=SOL, in_amount_raw=1_000_000)
    )
    return venue, await venue.build(quote, TAKER)


@pytest.mark.parametrize(
    ("body", "error", "match"),
    [
        (
            {
                "status": "Failed",
                "signature": "s",
                "error": "custom program error: #6023",
                "code": 4615026,
                "slot": "323597963",
            },
            OrderRejected,
            "program error 6023",
        ),
        (
            {
                "status": "Failed",
                "error": "Program JUP6 failed: custom program error: 0x1771",
                "code": -1000,
            },
            SlippageExceeded,
            "SlippageToleranceExceeded",
        ),
        (
            {"status": "Failed", "error": "custom program error: 0x1788", "code": -1000},
            InsufficientFunds,
            "6024",
        ),
        ({"status": "Failed", "error": "expired", "code": -1005}, TemporaryVenueError, "-1005"),
        (
            {"status": "Failed", "error": "Missing cached order", "code": -1},
            OrderRejected,
            "code -1 ",
        ),
    ],
)
@respx.mock
async def test_ultra_execute_failures_map_by_code(fixture_path, clock, body, error, match):
    """A Failed /execute raises the error its program error or Ultra code calls for."""
    _mock_ultra_order(fixture_path)
    execute = respx.post(f"{BASE}/ultra/v1/execute").mock(
        return_value=httpx.Response(200, json=body)
    )
    async with httpx.AsyncClient() as http:
        venue, plan = await _ultra_plan(http, clock)
        with pytest.raises(error, match=match) as info:
            await venue.execute_ultra(plan, plan.prebuilt_tx)
    assert info.value.request_id == "5421e18f-9d12-4709-8f5a-6c79c1032203"
    sent = json.loads(execute.calls.last.request.content)
    assert sent["requestId"] == "5421e18f-9d12-4709-8f5a-6c79c1032203"
    assert base64.b64decode(sent["signedTransaction"]) == plan.prebuilt_tx


@respx.mock
async def test_ultra_execute_success_returns_amounts(fixture_path, clock):
    """The documented success response is returned typed, with the executed amounts."""
    _mock_ultra_order(fixture_path)
    respx.post(f"{BASE}/ultra/v1/execute").mock(
        return_value=httpx.Response(
            200, content=fx_bytes(fixture_path, "ultra_execute_success.json")
        )
    )
    async with httpx.AsyncClient() as http:
        venue, plan = await _ultra_plan(http, clock)
        result = await venue.execute_ultra(plan, plan.prebuilt_tx)
    assert (result.status, result.code, result.slot) == ("Success", 0, "323598314")
    assert (result.input_amount_result, result.output_amount_result) == ("9995000", "1274698")


@respx.mock
async def test_ultra_execute_failed_fixture_is_rejected(fixture_path, clock):
    """The documented failed response (#6023) is an OrderRejected naming the program error."""
    _mock_ultra_order(fixture_path)
    respx.post(f"{BASE}/ultra/v1/execute").mock(
        return_value=httpx.Response(
            200, content=fx_bytes(fixture_path, "ultra_execute_failed.json")
        )
    )
    async with httpx.AsyncClient() as http:
        venue, plan = await _ultra_plan(http, clock)
        with pytest.raises(OrderRejected) as info:
            await venue.execute_ultra(plan, plan.prebuilt_tx)
    assert info.value.reason == "program_error_6023"


@respx.mock
async def test_ultra_order_without_transaction_for_taker_is_rejected(fixture_path, clock):
    """An order for a taker that comes back without a transaction is refused, not signed."""
    order = json.loads(fx_bytes(fixture_path, "ultra_order_aggregator.json"))
    del order["transaction"]
    order["errorCode"], order["errorMessage"] = 1, "Insufficient funds"
    respx.get(f"{BASE}/ultra/v1/order").mock(return_value=httpx.Response(200, json=order))
    async with httpx.AsyncClient() as http:
        venue = make_venue(http, clock, mode="ultra")
        with pytest.raises(OrderRejected, match="Insufficient funds"):
            await venue.build(
                await venue.quote(
                    QuoteRequest(input_mint=USDC, output_mint=SOL, in_amount_raw=1_000_000)
                ),
                TAKER,
            )


# --- program error codes ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "code"),
    [
        (
            "Program JUP6LkbZbjS1jKKwapdHNy74zcZ3tLUZoi5QNyVTaV4 failed: "
            "custom program error: 0x1771",
            6001,
        ),
        ("custom program error: #6023", 6023),
        ('{"InstructionError":[2,{"Custom":6024}]}', 6024),
        ("Blockhash not found", None),
    ],
)
def test_program_code_is_found_in_hex_decimal_and_json_forms(message, code):
    """0x1771, #6023 and {"Custom": n} all yield the decimal Anchor code."""
    assert program_code_from_message(message) == code


def test_program_error_table_maps_to_named_classes():
    """Slippage codes -> SlippageExceeded, 6024 -> InsufficientFunds, the rest -> OrderRejected."""
    assert 0x1771 == 6001
    classes = {code: type(error_for_program_code(code)) for code in PROGRAM_ERRORS}
    assert classes == {
        6001: SlippageExceeded,
        6008: OrderRejected,
        6014: OrderRejected,
        6017: SlippageExceeded,
        6024: InsufficientFunds,
        6025: OrderRejected,
    }
    rejected = error_for_program_code(6014)
    assert rejected.reason == "IncorrectTokenProgramID"
    assert "0x177e" in str(rejected)


# --- parse on recorded mainnet transactions ---------------------------------------------------


def _swap_events(tx: dict) -> list:
    loaded = tx["meta"]["loadedAddresses"]
    keys = tx["transaction"]["message"]["accountKeys"] + loaded["writable"] + loaded["readonly"]
    events = []
    for inner in tx["meta"]["innerInstructions"]:
        for ix in inner["instructions"]:
            if keys[ix["programIdIndex"]] == "JUP6LkbZbjS1jKKwapdHNy74zcZ3tLUZoi5QNyVTaV4":
                event = decode_swap_event(base58.b58decode(ix["data"]))
                if event is not None:
                    events.append(event)
    return events


@pytest.mark.parametrize(
    ("name", "input_mint", "output_mint", "expected", "platform_fee_bps"),
    [
        # token -> SOL: the owner's lamports (net of the tx fee) are the exact SOL output
        (
            "jupiterAggregatorV6_Route_2.json",
            "8SgNwESovnbG1oNEaPVhg6CR9mTMSK7jPvcYRe3wpump",
            SOL,
            (100_000_000, 12_309_272),
            0,
        ),
        (
            "jupiterAggregatorV6_sharedAccountsRoute_1.json",
            USDC,
            "oreoN2tQbHXVaZsr3pf66A48miqcBXCDJozganhEJgz",
            (100_000_000, 944_945_170),
            0,
        ),
        # this route paid a 60 bps integrator fee (last byte of the route's instruction data)
        (
            "jupiterAggregatorV6_sharedAccountsRoute_2.json",
            "CMjfdovtzmgRsnhE1cCzdwDFGKt1UzZB4oCGQchQpump",
            USDC,
            (634_862_142_081, 47_461_249),
            60,
        ),
    ],
)
def test_parse_matches_balance_changes_and_program_swap_events(
    load_json, changes_from_tx, name, input_mint, output_mint, expected, platform_fee_bps
):
    """parse() reads the owner's balances; they match Jupiter's SwapEvents net of fees."""
    tx = load_json(f"jupiter/{name}")[0]
    owner = tx["transaction"]["message"]["accountKeys"][0]
    quote = Quote(
        venue="jupiter",
        input_mint=input_mint,
        output_mint=output_mint,
        in_amount_raw=expected[0],
        out_amount_raw=expected[1],
        min_out_amount_raw=0,
    )
    venue = JupiterVenue(JupiterClient(httpx.AsyncClient(), JupiterConfig()))
    in_raw, out_raw = venue.parse(quote, changes_from_tx(tx, owner, native_as_wsol=True))
    assert (in_raw, out_raw) == expected
    events = _swap_events(tx)
    assert events, "the recorded route logs at least one SwapEvent"
    first_in = sum(e.input_amount for e in events if str(e.input_mint) == input_mint)
    last_out = sum(e.output_amount for e in events if str(e.output_mint) == output_mint)
    platform_fee = last_out * platform_fee_bps // 10_000
    assert (first_in, last_out - platform_fee) == expected


def test_parse_sol_input_includes_rent_of_created_accounts(load_json, changes_from_tx):
    """SOL -> token: SOL spent is the swap input plus rent of the new ATA (2_039_280)."""
    tx = load_json("jupiter/jupiterAggregatorV6_Route_1.json")[0]
    owner = tx["transaction"]["message"]["accountKeys"][0]
    mint = "3p7eCgdQx1RiJUfr4t7Z8w6DpVbP7CMa9Z6Ff69tpump"
    quote = Quote(
        venue="jupiter",
        input_mint=SOL,
        output_mint=mint,
        in_amount_raw=400_000_000,
        out_amount_raw=0,
        min_out_amount_raw=0,
    )
    venue = JupiterVenue(JupiterClient(httpx.AsyncClient(), JupiterConfig()))
    in_raw, out_raw = venue.parse(quote, changes_from_tx(tx, owner, native_as_wsol=True))
    (event,) = _swap_events(tx)
    assert out_raw == event.output_amount == 3_861_519_639_304
    assert in_raw == event.input_amount + 2_039_280 == 402_039_280


# --- config and protocol ----------------------------------------------------------------------


def test_venue_satisfies_port_and_config_reads_settings():
    """JupiterVenue is a Venue; the config takes the API root and quote age from Settings."""
    settings = Settings(
        execution={"max_quote_age_s": 3.5}, data={"jupiter_base_url": "https://api.jup.ag"}
    )
    config = JupiterConfig.from_settings(settings, mode="swap")
    assert (config.base_url, config.max_quote_age_s, config.mode) == (
        "https://api.jup.ag",
        3.5,
        "swap",
    )
    assert isinstance(JupiterVenue(JupiterClient(httpx.AsyncClient(), config)), Venue)


def test_bad_config_names_the_value():
    """A non-HTTP base URL is a ConfigError naming the URL."""
    with pytest.raises(ConfigError, match="'ftp://x'"):
        JupiterConfig(base_url="ftp://x")


@respx.mock
async def test_api_key_is_sent_but_never_shown(fixture_path, clock):
    """The key goes in x-api-key and does not appear in the config's repr."""
    route = respx.get(f"{BASE}/swap/v1/quote").mock(
        return_value=httpx.Response(
            200, content=fx_bytes(fixture_path, "quote_swapv1_space-station_example.json")
        )
    )
    async with httpx.AsyncClient() as http:
        venue = make_venue(http, clock, api_key=SecretStr("k-123-secret"))
        await venue.quote(REQUEST)
    assert route.calls.last.request.headers["x-api-key"] == "k-123-secret"
    assert "k-123-secret" not in repr(JupiterConfig(api_key=SecretStr("k-123-secret")))

"""Every source on recorded real responses served by respx, plus 429/500/timeouts/bad bodies."""

import json
from decimal import Decimal

import httpx
import pytest
import respx

from workbench.data.http import EXCEPTION_MAP, RateLimiter, RetryPolicy, check_response, retry
from workbench.data.sources.birdeye import BirdeyeClient, BirdeyeConfig, parse_ohlcv
from workbench.data.sources.jupiter import JupiterClient, JupiterConfig, parse_price_v3
from workbench.data.sources.pyth import HermesClient, parse_latest_price_updates
from workbench.data.sources.rpc import RpcConfig, SolanaRpcSource, parse_multiple_accounts
from workbench.domain import QuoteRequest
from workbench.errors import (
    ConfigError,
    RateLimited,
    SchemaError,
    TemporaryVenueError,
    VenueError,
)

from .conftest import FIXTURES, load_json

FAST = RetryPolicy(max_attempts=3, base_delay_s=0.001, max_delay_s=0.002)
SOL = "So11111111111111111111111111111111111111112"
USDC = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"
BTC_FEED = "e62df6c8b4a85fe1a67db44dc12de5db330f7ac66b72dc658afedf0f4a415b43"


def _jup():
    return JupiterClient(JupiterConfig(base_url="https://jup.test", requests_per_s=1000),
                         client=httpx.AsyncClient(), retry_policy=FAST)


# ---------------------------------------------------------------- Jupiter

def test_price_v3_parses_exact_decimals():
    """SOL's documented price comes out as the exact decimal of the JSON number."""
    prices = {p.mint: p for p in parse_price_v3(load_json("jupiter_price", "price_v3_example.json"),
                                               ts_init=1)}
    assert prices[SOL].usd_price == Decimal("147.4789340738336")
    assert prices[SOL].decimals == 9
    assert prices[SOL].slot == 348004023


@respx.mock
async def test_jupiter_fetch_prices_sends_ids_and_parses():
    """fetch_prices calls /price/v3 with comma-separated ids."""
    route = respx.get("https://jup.test/price/v3").respond(
        json=load_json("jupiter_price", "price_v3_example.json"))
    prices = await _jup().fetch_prices([SOL, "JUPyiwrYJFskUPiHa7hkeR8VUtAeFoSYbKedZNsDvCN"])
    assert route.calls.last.request.url.params["ids"].startswith(SOL + ",")
    assert len(prices) == 2


@respx.mock
async def test_jupiter_quote_parses_recorded_quote():
    """The documented 0.1 SOL -> USDC quote becomes a Quote in base units."""
    route = respx.get("https://jup.test/swap/v1/quote").respond(
        json=load_json("jupiter_price", "quote_v1_SOL_to_USDC_example.json"))
    q = await _jup().fetch_quote(QuoteRequest(input_mint=SOL, output_mint=USDC,
                                              in_amount_raw=100_000_000, slippage_bps=50))
    assert (q.in_amount_raw, q.out_amount_raw, q.min_out_amount_raw) == (
        100_000_000, 16_198_753, 16_117_760)
    assert route.calls.last.request.url.params["amount"] == "100000000"
    assert q.price_impact_bps == 0.0


def test_jupiter_exact_out_quote_min_out_is_the_exact_output():
    """For ExactOut the threshold is the max input, so min_out is the exact output."""
    from workbench.data.sources.jupiter import parse_quote

    q = parse_quote(load_json("jupiter_price", "quote_v6_ExactOut_mSOL_to_USDC_3hop_example.json"),
                    ts_init=0)
    assert q.min_out_amount_raw == q.out_amount_raw == 5_000_000


@respx.mock
async def test_429_then_success_is_retried():
    """A 429 with Retry-After is retried and the second answer is used."""
    route = respx.get("https://jup.test/price/v3").mock(side_effect=[
        httpx.Response(429, headers={"Retry-After": "0"}, text="Too Many Requests"),
        httpx.Response(200, json=load_json("jupiter_price", "price_v3_example.json")),
    ])
    assert len(await _jup().fetch_prices([SOL])) == 2
    assert route.call_count == 2


@respx.mock
async def test_500_every_time_gives_up_after_the_policy():
    """Persistent 500s raise TemporaryVenueError after max_attempts calls."""
    route = respx.get("https://jup.test/price/v3").respond(500, text="upstream")
    with pytest.raises(TemporaryVenueError, match="HTTP 500"):
        await _jup().fetch_prices([SOL])
    assert route.call_count == FAST.max_attempts


@respx.mock
async def test_timeout_is_temporary_and_retried():
    """A read timeout maps to TemporaryVenueError and is retried."""
    route = respx.get("https://jup.test/price/v3").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(TemporaryVenueError, match="timed out"):
        await _jup().fetch_prices([SOL])
    assert route.call_count == FAST.max_attempts


@respx.mock
async def test_truncated_json_is_a_schema_error_not_retried():
    """Half a body is a SchemaError at once; retrying would not fix it."""
    text = (FIXTURES / "jupiter_price" / "price_v3_example.json").read_text()
    route = respx.get("https://jup.test/price/v3").respond(200, text=text[: len(text) // 2])
    with pytest.raises(SchemaError, match="not JSON"):
        await _jup().fetch_prices([SOL])
    assert route.call_count == 1


@respx.mock
async def test_wrong_field_type_is_a_schema_error():
    """usdPrice as an object instead of a number names the field."""
    body = load_json("jupiter_price", "price_v3_example.json")
    body[SOL]["usdPrice"] = {"value": 1}
    respx.get("https://jup.test/price/v3").respond(json=body)
    with pytest.raises(SchemaError, match="usdPrice"):
        await _jup().fetch_prices([SOL])


@respx.mock
async def test_400_is_a_venue_error_not_retried():
    """A client error is not retried."""
    route = respx.get("https://jup.test/swap/v1/quote").respond(400, json={"error": "bad mint"})
    with pytest.raises(VenueError, match="HTTP 400") as info:
        await _jup().fetch_quote(QuoteRequest(input_mint="x", output_mint="y", in_amount_raw=1))
    assert not isinstance(info.value, TemporaryVenueError)
    assert route.call_count == 1


# ---------------------------------------------------------------- Pyth Hermes

def test_hermes_parses_recorded_btc_update():
    """BTC/USD feed: price 5190075917635e-8, publish time and slot from the payload."""
    body = load_json("pyth", "hermes_v2_updates_price_latest_pyth-client-py.json")
    (p,) = parse_latest_price_updates(body, ts_init=5)
    assert p.feed_id == BTC_FEED
    assert p.price == Decimal("51900.75917635")
    assert p.conf == Decimal("26.61582364")
    assert p.publish_time_s == 1708363256
    assert p.slot == 125976528


@respx.mock
async def test_hermes_client_sends_repeated_ids_and_parsed():
    """The request uses ids[]= for each feed and parsed=true."""
    route = respx.get("https://hermes.test/v2/updates/price/latest").respond(
        json=load_json("pyth", "hermes_v2_updates_price_latest_pyth-client-py.json"))
    from workbench.data.sources.pyth import HermesConfig

    client = HermesClient(HermesConfig(base_url="https://hermes.test", requests_per_s=1000),
                          client=httpx.AsyncClient(), retry_policy=FAST)
    prices = await client.fetch_latest(["0x" + BTC_FEED])
    params = route.calls.last.request.url.params
    assert params.get_list("ids[]") == [BTC_FEED]
    assert params["parsed"] == "true"
    assert prices[0].price > 0


def test_hermes_price_as_number_is_a_schema_error():
    """Hermes sends prices as strings; a JSON number there is a schema change."""
    body = load_json("pyth", "hermes_v2_updates_price_latest_pyth-client-py.json")
    body["parsed"][0]["price"]["price"] = 5190075917635
    with pytest.raises(SchemaError, match="price"):
        parse_latest_price_updates(body, ts_init=0)


def test_hermes_without_parsed_section_says_how_to_fix():
    """A binary-only response asks for parsed=true."""
    body = load_json("pyth", "hermes_v2_updates_price_latest_pyth-client-py.json")
    del body["parsed"]
    with pytest.raises(SchemaError, match="parsed=true"):
        parse_latest_price_updates(body, ts_init=0)


# ---------------------------------------------------------------- Birdeye

def test_birdeye_parses_documented_candles():
    """Two 15m SOL candles, UTC-indexed, float columns."""
    frame = parse_ohlcv(load_json("birdeye", "ohlcv_SOL_15m_docs_example.json"))
    assert list(frame.columns) == ["open", "high", "low", "close", "volume"]
    assert frame.index[0].value == 1726670700 * 10**9
    assert frame["close"].iloc[1] == pytest.approx(128.04188346328968)


@respx.mock
async def test_birdeye_sends_api_key_header_and_pages():
    """X-API-KEY and x-chain are sent; a range over 1000 bars is paged."""
    route = respx.get("https://be.test/defi/ohlcv").respond(
        json=load_json("birdeye", "ohlcv_SOL_15m_docs_example.json"))
    client = BirdeyeClient(BirdeyeConfig(api_key="k-123", base_url="https://be.test",
                                         requests_per_s=1000, max_bars=2),
                           client=httpx.AsyncClient(), retry_policy=FAST)
    frame = await client.fetch_ohlcv(SOL, "15m", 1726670700, 1726670700 + 4 * 900)
    req = route.calls.last.request
    assert req.headers["X-API-KEY"] == "k-123"
    assert req.headers["x-chain"] == "solana"
    assert req.url.params["type"] == "15m"
    assert route.call_count == 3
    assert len(frame) == 2  # same two candles each page, deduplicated


def test_birdeye_needs_a_key_and_hides_it():
    """No key is a ConfigError naming the setting; repr never shows the key."""
    with pytest.raises(ConfigError, match="birdeye_api_key"):
        BirdeyeClient(BirdeyeConfig(api_key=""))
    assert "secret-key" not in repr(BirdeyeConfig(api_key="secret-key"))


def test_birdeye_failure_envelope_is_a_venue_error():
    """success=false carries Birdeye's message."""
    with pytest.raises(VenueError, match="invalid address"):
        parse_ohlcv({"success": False, "message": "invalid address"})


# ---------------------------------------------------------------- Solana RPC

def _rpc():
    return SolanaRpcSource(RpcConfig(url="https://rpc.test", requests_per_s=1000),
                           client=httpx.AsyncClient(), retry_policy=FAST)


@pytest.mark.parametrize("example", load_json("rpc_accounts", "rate_limit_429_examples.json")
                         ["examples"])
async def test_recorded_429_bodies_are_rate_limited(example):
    """Each real 429 body (odd spacing, string ids) maps to RateLimited, then a retry succeeds."""
    body = example.get("body_raw") or json.dumps(example["body"])
    tx = load_json("transactions", "raydiumLiquidityPoolV4_swap_0.json")[0]
    with respx.mock:
        route = respx.post("https://rpc.test").mock(side_effect=[
            httpx.Response(429, text=body),
            httpx.Response(200, json={"jsonrpc": "2.0", "id": 2, "result": tx}),
        ])
        got = await _rpc().fetch_transaction(tx["transaction"]["signatures"][0])
    assert got["slot"] == 292734971
    assert route.call_count == 2
    resp = httpx.Response(429, text=body, request=httpx.Request("POST", "https://rpc.test"))
    with pytest.raises(RateLimited):
        check_response(resp, venue="rpc")


def test_jsonrpc_429_inside_http_200_is_rate_limited():
    """Some nodes send the 429 error object with HTTP 200."""
    body = load_json("rpc_accounts", "rate_limit_429_examples.json")["examples"][0]["body"]
    resp = httpx.Response(200, json=body, request=httpx.Request("POST", "https://rpc.test"))
    with pytest.raises(RateLimited, match="Too many requests") as info:
        check_response(resp, venue="rpc")
    assert info.value.request_id == "1"


@respx.mock
async def test_rpc_signatures_and_accounts_round_trip():
    """getSignaturesForAddress and getMultipleAccounts parse into typed values and raw bytes."""
    ray = load_json("rpc_accounts",
                    "raydium_amm_v4_5y2QYKY8gQCcmG6jy4fc7wFg8L5SW7bkyvMH3jUTqBdy"
                    "_jupiter_market_cache_entry.json")
    tx = load_json("transactions", "raydiumLiquidityPoolV4_swap_0.json")[0]

    def handler(request):
        call = json.loads(request.content)
        if call["method"] == "getSignaturesForAddress":
            result = [{"signature": tx["transaction"]["signatures"][0], "slot": tx["slot"],
                       "blockTime": tx["blockTime"], "err": None}]
        else:
            acc = {k: ray[k] for k in ("data", "owner", "lamports", "executable", "rentEpoch")}
            result = {"context": {"slot": 1}, "value": [acc, None]}
        return httpx.Response(200, json={"jsonrpc": "2.0", "id": call["id"], "result": result})

    respx.post("https://rpc.test").mock(side_effect=handler)
    src = _rpc()
    (sig,) = await src.fetch_signatures(ray["pubkey"])
    assert sig.slot == 292734971 and not sig.is_failed
    accounts = await src.fetch_accounts([ray["pubkey"], "11111111111111111111111111111111"])
    assert len(accounts[0].data) == 752 and accounts[1] is None


def test_multiple_accounts_count_mismatch_is_schema_error():
    """A node returning fewer accounts than asked is caught."""
    body = {"jsonrpc": "2.0", "id": 1, "result": {"context": {"slot": 1}, "value": []}}
    with pytest.raises(SchemaError, match="0 accounts for 1"):
        parse_multiple_accounts(body, ["a"])


def test_node_behind_is_temporary():
    """JSON-RPC -32005 (node behind) is retried, not fatal."""
    body = {"jsonrpc": "2.0", "id": 1, "error": {"code": -32005, "message": "Node is behind"}}
    resp = httpx.Response(200, json=body, request=httpx.Request("POST", "https://rpc.test"))
    with pytest.raises(TemporaryVenueError):
        check_response(resp, venue="rpc")


# ---------------------------------------------------------------- retry and limits

async def test_retry_catches_only_temporary_errors():
    """A SchemaError passes straight through; temporary errors are retried with growing delays."""
    delays = []

    async def fake_sleep(s):
        delays.append(s)

    calls = 0

    async def flaky():
        nonlocal calls
        calls += 1
        if calls < 3:
            raise TemporaryVenueError("blip")
        return "ok"

    pol = RetryPolicy(max_attempts=5, base_delay_s=1.0, jitter=0.0)
    assert await retry(flaky, policy=pol, sleep=fake_sleep) == "ok"
    assert delays == [1.0, 2.0]

    async def broken():
        raise SchemaError("bad")

    with pytest.raises(SchemaError):
        await retry(broken, policy=pol, sleep=fake_sleep)
    assert len(delays) == 2


def test_retry_after_hint_wins_when_longer():
    """A server's Retry-After longer than our backoff is honoured."""
    assert RetryPolicy(base_delay_s=0.5, jitter=0).delay_s(1, hint_s=7.0) == 7.0


async def test_rate_limiter_spaces_calls():
    """Three calls at 2/s wait 0.5 s between each (fake clock)."""
    now = [100.0]
    waits = []

    async def fake_sleep(s):
        waits.append(s)
        now[0] += s

    lim = RateLimiter(2.0, clock=lambda: now[0], sleep=fake_sleep)
    for _ in range(3):
        await lim.wait()
    assert waits == [0.5, 0.5]


@pytest.mark.parametrize("source_exc", list(EXCEPTION_MAP))
def test_every_mapped_exception_has_a_workbench_target(source_exc):
    """Each third-party exception in the map targets a workbench error class."""
    from workbench.errors import WorkbenchError

    assert issubclass(EXCEPTION_MAP[source_exc], WorkbenchError)

"""Pump.fun adapter on recorded mainnet curve accounts and buy/sell transactions."""

from __future__ import annotations

import base64
import hashlib
import json
import struct

import base58
import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from solders.pubkey import Pubkey

from workbench.domain import Quote, QuoteRequest
from workbench.errors import (
    OrderRejected,
    RateLimited,
    SchemaError,
    TemporaryVenueError,
)
from workbench.execution.pumpfun import (
    BUY_DISCRIMINATOR,
    PUMP_PROGRAM_ID,
    SELL_DISCRIMINATOR,
    BondingCurve,
    PumpFunClient,
    PumpFunConfig,
    PumpFunVenue,
    bonding_curve_pda,
    build_buy,
    build_sell,
    buy_cost_lamports,
    decode_bonding_curve,
    decode_trade_event,
    quote_buy,
    quote_sell,
)
from workbench.ports import Venue

PROGRAM = str(PUMP_PROGRAM_ID)
WSOL = "So11111111111111111111111111111111111111112"
RPC = "https://rpc.test"
FEE_RECIPIENT = "CebN5WGQ4jvEPvsVU4EoHEpgzq1VV7AbicfhtW4xC9iM"
# Global account parameters (pump-fun/pump-public-docs PUMP_PROGRAM_README.md)
INITIAL_VIRTUAL_TOKENS = 1_073_000_000_000_000
INITIAL_REAL_TOKENS = 793_100_000_000_000
INITIAL_VIRTUAL_SOL = 30_000_000_000

TX_FILES = [
    "pumpfun_buy_0.json",
    "pumpfun_buy_1.json",
    "pumpfun_buy_bundle.json",
    "pumpfun_create_0.json",
    "pumpfun_sell_0.json",
]


class FakeClock:
    def __init__(self) -> None:
        self.t = 1_700_000_000_000_000_000

    def now_ns(self) -> int:
        return self.t


def _keys(tx: dict) -> list[str]:
    loaded = tx["meta"]["loadedAddresses"]
    return tx["transaction"]["message"]["accountKeys"] + loaded["writable"] + loaded["readonly"]


def _flags(tx: dict, index: int) -> tuple[bool, bool]:
    """(is_signer, is_writable) of account ``index`` from the v0/legacy message header."""
    message = tx["transaction"]["message"]
    header, n = message["header"], len(message["accountKeys"])
    signed = header["numRequiredSignatures"]
    if index < signed:
        return True, index < signed - header["numReadonlySignedAccounts"]
    if index < n:
        return False, index - signed < n - signed - header["numReadonlyUnsignedAccounts"]
    return False, index - n < len(tx["meta"]["loadedAddresses"]["writable"])


def _pump_instructions(tx: dict) -> list[dict]:
    keys = _keys(tx)
    return [
        ix
        for ix in tx["transaction"]["message"]["instructions"]
        if keys[ix["programIdIndex"]] == PROGRAM
        and base58.b58decode(ix["data"])[:8] in (BUY_DISCRIMINATOR, SELL_DISCRIMINATOR)
    ]


def _events(tx: dict) -> list:
    return [
        e
        for line in tx["meta"]["logMessages"]
        if line.startswith("Program data: ") and (e := decode_trade_event(line)) is not None
    ]


def _pre_trade_curve(event) -> BondingCurve:
    """The curve's reserves just before the trade, from the event's after-trade reserves."""
    sign = 1 if event.is_buy else -1
    return BondingCurve(
        virtual_token_reserves=event.virtual_token_reserves + sign * event.token_amount,
        virtual_sol_reserves=event.virtual_sol_reserves - sign * event.sol_amount,
        real_token_reserves=event.real_token_reserves + sign * event.token_amount,
        real_sol_reserves=event.real_sol_reserves - sign * event.sol_amount,
        token_total_supply=1_000_000_000_000_000,
        complete=False,
    )


# --- accounts ---------------------------------------------------------------------------------


def test_discriminators_are_anchor_hashes():
    """buy/sell discriminators are sha256("global:<name>")[:8]."""
    assert hashlib.sha256(b"global:buy").digest()[:8] == BUY_DISCRIMINATOR
    assert BUY_DISCRIMINATOR.hex() == "66063d1201daebea"
    assert SELL_DISCRIMINATOR.hex() == "33e685a4017f83ad"


def test_recorded_curves_decode_consistently_with_global_parameters(load_json):
    """Live curves keep the launch gaps: vt - rt and vs - rs equal the Global initial values."""
    fixture = load_json("pumpfun/pumpfun_bonding_curves.json")
    by_name = {a["name"]: a for a in fixture["accounts"]}
    for name in ("drained_curve_8t4tkj", "fresh_curve_5WXUxY"):
        account = by_name[name]
        curve = decode_bonding_curve(base64.b64decode(account["data_base64"]))
        assert not curve.complete
        assert curve.virtual_token_reserves - curve.real_token_reserves == (
            INITIAL_VIRTUAL_TOKENS - INITIAL_REAL_TOKENS
        )
        assert curve.virtual_sol_reserves - curve.real_sol_reserves == INITIAL_VIRTUAL_SOL
        assert curve.token_total_supply == 1_000_000_000_000_000
        # the account's address is the PDA of its mint
        mint = Pubkey.from_string(account["mint"])
        assert str(bonding_curve_pda(mint, PUMP_PROGRAM_ID)) == account["pubkey"]
        assert curve.creator is not None
    graduated = decode_bonding_curve(base64.b64decode(by_name["graduated_curve"]["data_base64"]))
    assert graduated.complete
    assert (graduated.real_token_reserves, graduated.virtual_sol_reserves) == (0, 0)


def test_non_curve_account_is_schema_error():
    """Bytes with the wrong discriminator are refused, naming the expected one."""
    with pytest.raises(SchemaError, match="17b7f83760d8ac60"):
        decode_bonding_curve(b"\x00" * 151)
    with pytest.raises(SchemaError, match="3 bytes"):
        decode_bonding_curve(b"\x17\xb7\xf8")


# --- quote math against recorded trades -------------------------------------------------------


@pytest.mark.parametrize("name", TX_FILES)
def test_curve_math_reproduces_every_recorded_trade(load_json, name):
    """For each recorded trade, the integer curve formula gives the event's exact SOL amount."""
    tx = load_json(f"pumpfun/{name}")[0]
    events = _events(tx)
    assert events
    for event in events:
        curve = _pre_trade_curve(event)
        if event.is_buy:
            assert buy_cost_lamports(curve, event.token_amount) == event.sol_amount
        else:
            sell = quote_sell(curve, event.token_amount, fee_bps=100)
            assert sell.sol_out_lamports == event.sol_amount


@pytest.mark.parametrize("name", TX_FILES)
def test_fee_recipient_received_exactly_the_one_percent_fee(load_json, name):
    """The fee recipient's lamport change equals the sum of floor(1% of each trade's SOL)."""
    tx = load_json(f"pumpfun/{name}")[0]
    keys = _keys(tx)
    i = keys.index(FEE_RECIPIENT)
    delta = tx["meta"]["postBalances"][i] - tx["meta"]["preBalances"][i]
    assert delta == sum(e.sol_amount * 100 // 10_000 for e in _events(tx))


@pytest.mark.parametrize(
    "name", ["pumpfun_buy_0.json", "pumpfun_buy_1.json", "pumpfun_create_0.json"]
)
def test_quote_buy_spends_no_more_than_offered_and_matches_recorded_size(load_json, name):
    """Offering the recorded SOL plus fee buys at least the recorded tokens at the same cost."""
    tx = load_json(f"pumpfun/{name}")[0]
    (event,) = _events(tx)
    curve = _pre_trade_curve(event)
    offered = event.sol_amount + event.sol_amount * 100 // 10_000
    buy = quote_buy(curve, offered, fee_bps=100)
    assert buy.total_lamports <= offered
    assert buy.token_amount >= event.token_amount
    assert buy.sol_cost_lamports == event.sol_amount  # same lamports, at most a few more tokens
    next_cost = buy_cost_lamports(curve, buy.token_amount + 1)
    assert next_cost + next_cost * 100 // 10_000 > offered


def test_quote_buy_is_capped_by_real_reserves():
    """A buy larger than the curve's real tokens gets exactly the real tokens."""
    curve = BondingCurve(
        virtual_token_reserves=280_000_000_000_000,
        virtual_sol_reserves=115_000_000_000,
        real_token_reserves=100_000_000_000,
        real_sol_reserves=85_000_000_000,
        token_total_supply=1_000_000_000_000_000,
        complete=False,
    )
    buy = quote_buy(curve, 500_000_000_000, fee_bps=100)
    assert buy.token_amount == curve.real_token_reserves
    assert buy.sol_cost_lamports == buy_cost_lamports(curve, curve.real_token_reserves)


def test_quote_sell_refuses_more_than_real_sol():
    """Selling into a curve that lacks the real SOL is rejected with both numbers."""
    curve = BondingCurve(
        virtual_token_reserves=1_073_000_000_000_000,
        virtual_sol_reserves=30_000_000_165,
        real_token_reserves=793_100_000_000_000,
        real_sol_reserves=165,
        token_total_supply=1_000_000_000_000_000,
        complete=False,
    )
    with pytest.raises(OrderRejected, match="only 165 real lamports"):
        quote_sell(curve, 10_000_000_000, fee_bps=100)


curves = st.builds(
    lambda vt, vs, frac: BondingCurve(
        virtual_token_reserves=vt,
        virtual_sol_reserves=vs,
        real_token_reserves=vt * frac // 100,
        real_sol_reserves=vs,
        token_total_supply=10**15,
        complete=False,
    ),
    st.integers(10**12, 2 * 10**15),
    st.integers(10**9, 10**12),
    st.integers(1, 99),
)


@settings(max_examples=200, deadline=None)
@given(curve=curves, sol_in=st.integers(10_000, 10**11))
def test_buy_then_sell_never_returns_more_than_spent(curve, sol_in):
    """A round trip on one curve loses at least the two fees: no free money from rounding."""
    try:
        buy = quote_buy(curve, sol_in, fee_bps=100)
    except OrderRejected:
        return
    assert buy.total_lamports <= sol_in
    after = BondingCurve(
        virtual_token_reserves=curve.virtual_token_reserves - buy.token_amount,
        virtual_sol_reserves=curve.virtual_sol_reserves + buy.sol_cost_lamports,
        real_token_reserves=curve.real_token_reserves - buy.token_amount,
        real_sol_reserves=curve.real_sol_reserves + buy.sol_cost_lamports,
        token_total_supply=curve.token_total_supply,
        complete=False,
    )
    sell = quote_sell(after, buy.token_amount, fee_bps=100)
    assert sell.net_lamports <= buy.total_lamports - buy.fee_lamports - sell.fee_lamports


# --- instruction builders, byte for byte ------------------------------------------------------


@pytest.mark.parametrize("name", TX_FILES)
def test_builders_match_recorded_instructions_byte_for_byte(load_json, name):
    """Our buy/sell for the same inputs equals the recorded instruction: data, keys and flags."""
    tx = load_json(f"pumpfun/{name}")[0]
    keys = _keys(tx)
    recorded = _pump_instructions(tx)
    assert recorded
    config = PumpFunConfig(fee_recipient=Pubkey.from_string(keys[recorded[0]["accounts"][1]]))
    others = [ix for ix in tx["transaction"]["message"]["instructions"] if ix not in recorded]
    used_elsewhere = {i for ix in others for i in ix["accounts"]} | {0}  # 0: the fee payer
    only_pump = {i for ix in recorded for i in ix["accounts"]} - used_elsewhere
    for ix in recorded:
        data = base58.b58decode(ix["data"])
        amount, limit = struct.unpack_from("<QQ", data, 8)
        user = Pubkey.from_string(keys[ix["accounts"][6]])
        mint = Pubkey.from_string(keys[ix["accounts"][2]])
        if data[:8] == BUY_DISCRIMINATOR:
            built = build_buy(
                user=user,
                mint=mint,
                token_amount=amount,
                max_sol_cost_lamports=limit,
                config=config,
            )
        else:
            built = build_sell(
                user=user,
                mint=mint,
                token_amount=amount,
                min_sol_output_lamports=limit,
                config=config,
            )
        assert bytes(built.data) == data
        assert str(built.program_id) == PROGRAM
        assert [str(a.pubkey) for a in built.accounts] == [keys[i] for i in ix["accounts"]]
        for meta, index in zip(built.accounts, ix["accounts"], strict=True):
            is_signer, is_writable = _flags(tx, index)
            if index in only_pump:  # flags of accounts no other instruction touches are exact
                assert (meta.is_signer, meta.is_writable) == (is_signer, is_writable), index
            else:  # another instruction may need more; ours must never ask for more than the tx
                assert (not meta.is_signer) or is_signer, str(meta.pubkey)
                assert (not meta.is_writable) or is_writable, str(meta.pubkey)


def test_creator_vault_layout_replaces_rent_and_ata_program():
    """The 2025 layout puts the creator vault PDA in slot 9 (buy) and slot 8 (sell)."""
    config = PumpFunConfig(layout="creator_vault")
    user, mint = Pubkey.new_unique(), Pubkey.new_unique()
    creator = Pubkey.new_unique()
    vault = Pubkey.find_program_address([b"creator-vault", bytes(creator)], PUMP_PROGRAM_ID)[0]
    buy = build_buy(
        user=user,
        mint=mint,
        token_amount=1,
        max_sol_cost_lamports=2,
        config=config,
        creator=creator,
    )
    sell = build_sell(
        user=user,
        mint=mint,
        token_amount=1,
        min_sol_output_lamports=2,
        config=config,
        creator=creator,
    )
    assert (buy.accounts[9].pubkey, buy.accounts[9].is_writable) == (vault, True)
    assert (sell.accounts[8].pubkey, sell.accounts[8].is_writable) == (vault, True)
    assert len(buy.accounts) == len(sell.accounts) == 12


# --- the venue over JSON-RPC ------------------------------------------------------------------


def _rpc_handler(accounts: dict[str, bytes | None], calls: list[dict]):
    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        calls.append(body)
        data = accounts.get(body["params"][0])
        value = (
            None
            if data is None
            else {
                "data": [base64.b64encode(data).decode(), "base64"],
                "owner": PROGRAM,
                "lamports": 1_461_600,
                "executable": False,
                "rentEpoch": 18446744073709551615,
                "space": len(data),
            }
        )
        return httpx.Response(
            200,
            json={
                "jsonrpc": "2.0",
                "id": body["id"],
                "result": {"context": {"slot": 1}, "value": value},
            },
        )

    return handler


def _fixture_curve(load_json, name: str) -> tuple[dict, bytes]:
    account = next(
        a for a in load_json("pumpfun/pumpfun_bonding_curves.json")["accounts"] if a["name"] == name
    )
    return account, base64.b64decode(account["data_base64"])


async def test_venue_quotes_and_builds_a_buy_from_the_curve_account(load_json):
    """SOL -> token: the venue reads the curve, quotes exact tokens, builds ATA + buy."""
    account, data = _fixture_curve(load_json, "fresh_curve_5WXUxY")
    calls: list[dict] = []
    transport = httpx.MockTransport(_rpc_handler({account["pubkey"]: data}, calls))
    owner = Pubkey.new_unique()
    async with httpx.AsyncClient(transport=transport) as http:
        config = PumpFunConfig(rpc_url=RPC)
        venue = PumpFunVenue(PumpFunClient(http, config), config, clock=FakeClock())
        assert isinstance(venue, Venue)
        request = QuoteRequest(
            input_mint=WSOL,
            output_mint=account["mint"],
            in_amount_raw=1_010_000_000,
            slippage_bps=300,
        )
        quote = await venue.quote(request)
        plan = await venue.build(quote, owner)
    assert calls[0]["params"] == [
        account["pubkey"],
        {"encoding": "base64", "commitment": "confirmed"},
    ]
    curve = decode_bonding_curve(data)
    expected = quote_buy(curve, 1_010_000_000, fee_bps=100)
    assert (quote.out_amount_raw, quote.min_out_amount_raw) == (expected.token_amount,) * 2
    assert quote.fee_raw == expected.fee_lamports
    assert quote.price_impact_bps > 0
    ata, buy = plan.instructions
    assert str(ata.program_id) == "ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL"
    assert bytes(ata.data) == b"\x01"  # CreateIdempotent
    amount, max_cost = struct.unpack_from("<QQ", bytes(buy.data), 8)
    assert (amount, max_cost) == (expected.token_amount, 1_010_000_000 * 10_300 // 10_000)
    assert buy.accounts[6].pubkey == owner


async def test_venue_sell_sets_min_sol_output_from_slippage(load_json):
    """token -> SOL: out is net of the 1% fee, and min_sol_output is out less slippage."""
    account, data = _fixture_curve(load_json, "fresh_curve_5WXUxY")
    transport = httpx.MockTransport(_rpc_handler({account["pubkey"]: data}, []))
    async with httpx.AsyncClient(transport=transport) as http:
        config = PumpFunConfig(rpc_url=RPC)
        venue = PumpFunVenue(PumpFunClient(http, config), config, clock=FakeClock())
        quote = await venue.quote(
            QuoteRequest(
                input_mint=account["mint"],
                output_mint=WSOL,
                in_amount_raw=10_000_000_000_000,
                slippage_bps=100,
            )
        )
        plan = await venue.build(quote, Pubkey.new_unique())
    sell = quote_sell(decode_bonding_curve(data), 10_000_000_000_000, fee_bps=100)
    assert quote.out_amount_raw == sell.net_lamports
    assert quote.min_out_amount_raw == sell.net_lamports * 9_900 // 10_000
    (ix,) = plan.instructions
    assert bytes(ix.data)[:8] == SELL_DISCRIMINATOR
    assert struct.unpack_from("<QQ", bytes(ix.data), 8) == (
        10_000_000_000_000,
        quote.min_out_amount_raw,
    )


async def test_graduated_curve_is_rejected_with_a_jupiter_hint(load_json):
    """A complete curve refuses the order and tells the user to trade via Jupiter."""
    _, data = _fixture_curve(load_json, "graduated_curve")
    mint = Pubkey.new_unique()
    address = str(bonding_curve_pda(mint, PUMP_PROGRAM_ID))
    transport = httpx.MockTransport(_rpc_handler({address: data}, []))
    async with httpx.AsyncClient(transport=transport) as http:
        config = PumpFunConfig(rpc_url=RPC)
        venue = PumpFunVenue(PumpFunClient(http, config), config)
        with pytest.raises(OrderRejected, match=r"graduated.*Jupiter") as info:
            await venue.quote(
                QuoteRequest(input_mint=WSOL, output_mint=str(mint), in_amount_raw=10**9)
            )
    assert info.value.reason == "curve_complete"


async def test_stale_quote_rereads_the_curve_before_building(load_json):
    """An old quote is re-priced on a fresh read of the curve before building."""
    account, data = _fixture_curve(load_json, "fresh_curve_5WXUxY")
    calls: list[dict] = []
    transport = httpx.MockTransport(_rpc_handler({account["pubkey"]: data}, calls))
    clock = FakeClock()
    async with httpx.AsyncClient(transport=transport) as http:
        config = PumpFunConfig(rpc_url=RPC, max_quote_age_s=2.0)
        venue = PumpFunVenue(PumpFunClient(http, config), config, clock=clock)
        quote = await venue.quote(
            QuoteRequest(input_mint=WSOL, output_mint=account["mint"], in_amount_raw=10**9)
        )
        clock.t += 1_000_000_000
        await venue.build(quote, Pubkey.new_unique())
        assert len(calls) == 1
        clock.t += 1_500_000_000
        plan = await venue.build(quote, Pubkey.new_unique())
    assert len(calls) == 2
    assert plan.quote.ts_init == clock.t


async def test_unknown_mint_and_non_sol_pair_are_rejected():
    """No curve account -> no_curve; a pair without SOL -> unsupported_pair."""
    transport = httpx.MockTransport(_rpc_handler({}, []))
    async with httpx.AsyncClient(transport=transport) as http:
        config = PumpFunConfig(rpc_url=RPC)
        venue = PumpFunVenue(PumpFunClient(http, config), config)
        mint = str(Pubkey.new_unique())
        with pytest.raises(OrderRejected, match=r"not launched on Pump\.fun") as info:
            await venue.quote(QuoteRequest(input_mint=WSOL, output_mint=mint, in_amount_raw=10**9))
        assert info.value.reason == "no_curve"
        with pytest.raises(OrderRejected, match="no SOL side"):
            await venue.quote(QuoteRequest(input_mint=mint, output_mint=mint, in_amount_raw=1))


@pytest.mark.parametrize(
    ("response", "error", "match"),
    [
        (httpx.Response(429, headers={"retry-after": "1"}), RateLimited, "HTTP 429"),
        (
            httpx.Response(
                200,
                json={
                    "jsonrpc": "2.0",
                    "error": {"code": 429, "message": "Too many requests for a specific RPC call"},
                    "id": 1,
                },
            ),
            RateLimited,
            "Too many requests",
        ),
        (httpx.Response(503, text="unavailable"), TemporaryVenueError, "HTTP 503"),
        (
            httpx.Response(
                200,
                json={
                    "jsonrpc": "2.0",
                    "error": {"code": -32005, "message": "Node is behind"},
                    "id": 1,
                },
            ),
            TemporaryVenueError,
            "Node is behind",
        ),
        (
            httpx.Response(
                200,
                json={
                    "jsonrpc": "2.0",
                    "error": {"code": -32602, "message": "Invalid param"},
                    "id": 1,
                },
            ),
            OrderRejected,
            "-32602",
        ),
        (httpx.Response(200, text="<html>gateway</html>"), SchemaError, "not a getAccountInfo"),
    ],
)
async def test_rpc_failures_map_to_workbench_errors(response, error, match):
    """HTTP and JSON-RPC failures reading the curve surface as workbench errors."""
    transport = httpx.MockTransport(lambda request: response)
    async with httpx.AsyncClient(transport=transport) as http:
        config = PumpFunConfig(rpc_url=RPC)
        venue = PumpFunVenue(PumpFunClient(http, config), config)
        with pytest.raises(error, match=match):
            await venue.quote(
                QuoteRequest(
                    input_mint=WSOL, output_mint=str(Pubkey.new_unique()), in_amount_raw=10**9
                )
            )


async def test_rpc_timeout_is_temporary():
    """A timeout reading the curve is a retryable TemporaryVenueError chained to the cause."""
    cause = httpx.ReadTimeout("slow")

    def handler(request: httpx.Request) -> httpx.Response:
        raise cause

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        config = PumpFunConfig(rpc_url=RPC)
        venue = PumpFunVenue(PumpFunClient(http, config), config)
        with pytest.raises(TemporaryVenueError, match="timed out") as info:
            await venue.quote(
                QuoteRequest(
                    input_mint=WSOL, output_mint=str(Pubkey.new_unique()), in_amount_raw=10**9
                )
            )
    assert info.value.__cause__ is cause


# --- parse on recorded transactions -----------------------------------------------------------


def _system_transfers_from(tx: dict, owner: str) -> int:
    """Lamports the owner sent in top-level System transfers (tips, service fees)."""
    keys = _keys(tx)
    total = 0
    for ix in tx["transaction"]["message"]["instructions"]:
        if keys[ix["programIdIndex"]] != "11111111111111111111111111111111":
            continue
        data = base58.b58decode(ix["data"])
        if len(data) == 12 and data[:4] == b"\x02\x00\x00\x00" and keys[ix["accounts"][0]] == owner:
            total += struct.unpack_from("<Q", data, 4)[0]
    return total


def test_parse_sell_matches_event_net_of_fee_and_transfers(load_json, changes_from_tx):
    """Recorded sell: tokens in exact; SOL out = event SOL - 1% fee - the tx's other transfers."""
    tx = load_json("pumpfun/pumpfun_sell_0.json")[0]
    owner = tx["transaction"]["message"]["accountKeys"][0]
    (event,) = _events(tx)
    mint = str(event.mint)
    quote = Quote(
        venue="pumpfun",
        input_mint=mint,
        output_mint=WSOL,
        in_amount_raw=event.token_amount,
        out_amount_raw=0,
        min_out_amount_raw=0,
    )
    config = PumpFunConfig()
    venue = PumpFunVenue(PumpFunClient(httpx.AsyncClient(), config), config)
    in_raw, out_raw = venue.parse(quote, changes_from_tx(tx, owner, native_as_wsol=True))
    assert in_raw == event.token_amount == 592_443_959_000_000
    net = event.sol_amount - event.sol_amount * 100 // 10_000
    assert out_raw == net - _system_transfers_from(tx, owner)


def test_parse_buy_tokens_exact_and_sol_covers_cost_fee_rent_and_transfers(
    load_json, changes_from_tx
):
    """Recorded buy: tokens out exact; SOL in = cost + 1% fee + new ATA rent + other transfers."""
    tx = load_json("pumpfun/pumpfun_buy_1.json")[0]
    owner = tx["transaction"]["message"]["accountKeys"][0]
    (event,) = _events(tx)
    quote = Quote(
        venue="pumpfun",
        input_mint=WSOL,
        output_mint=str(event.mint),
        in_amount_raw=0,
        out_amount_raw=event.token_amount,
        min_out_amount_raw=0,
    )
    config = PumpFunConfig()
    venue = PumpFunVenue(PumpFunClient(httpx.AsyncClient(), config), config)
    in_raw, out_raw = venue.parse(quote, changes_from_tx(tx, owner, native_as_wsol=True))
    assert out_raw == event.token_amount == 34_612_901_212_710
    fee = event.sol_amount * 100 // 10_000
    ata_rent = 2_039_280
    assert in_raw == event.sol_amount + fee + ata_rent + _system_transfers_from(tx, owner)

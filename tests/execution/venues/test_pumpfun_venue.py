"""Pump.fun adapter on recorded mainnet curve accounts and buy/sell transactions."""

from __future__ import annotations

import base64
import hashlib
import json
import struct

import base58
import httpx
import msgspec
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
    CURRENT_BUY_ACCOUNTS,
    CURRENT_SELL_ACCOUNTS,
    PUMP_FEE_PROGRAM_ID,
    PUMP_PROGRAM_ID,
    SELL_DISCRIMINATOR,
    BondingCurve,
    FeeConfig,
    Fees,
    FeeTier,
    PumpFees,
    PumpFunClient,
    PumpFunConfig,
    PumpFunVenue,
    bonding_curve_pda,
    build_buy,
    build_sell,
    buy_cost_lamports,
    decode_bonding_curve,
    decode_fee_config,
    decode_trade_event,
    decode_trade_instruction,
    encode_fee_config,
    fee_config_pda,
    fees_for_curve,
    market_cap_lamports,
    quote_buy,
    quote_sell,
    select_tier,
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
# the 2024 program (all recorded transactions): 1% protocol fee, rounded down, no creator fee
LEGACY_FEES = PumpFees(protocol_bps=100, creator_bps=0, round_up=False)

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
            sell = quote_sell(curve, event.token_amount, LEGACY_FEES)
            assert sell.sol_out_lamports == event.sol_amount


@pytest.mark.parametrize("name", TX_FILES)
def test_fee_recipient_received_exactly_the_one_percent_fee(load_json, name):
    """The fee recipient's lamport change equals the sum of floor(1% of each trade's SOL)."""
    tx = load_json(f"pumpfun/{name}")[0]
    keys = _keys(tx)
    i = keys.index(FEE_RECIPIENT)
    delta = tx["meta"]["postBalances"][i] - tx["meta"]["preBalances"][i]
    assert delta == sum(LEGACY_FEES.on(e.sol_amount) for e in _events(tx))


def test_recorded_2024_fees_round_down_not_up(load_json):
    """The bundle's four buys tell the roundings apart: floor matches the chain, ceil does not.

    So the 2024 layout keeps floor fees, while the current program rounds up (bondingCurve.ts).
    """
    tx = load_json("pumpfun/pumpfun_buy_bundle.json")[0]
    keys = _keys(tx)
    i = keys.index(FEE_RECIPIENT)
    delta = tx["meta"]["postBalances"][i] - tx["meta"]["preBalances"][i]
    ceil = PumpFees(protocol_bps=100, round_up=True)
    events = _events(tx)
    assert delta == sum(LEGACY_FEES.on(e.sol_amount) for e in events) == 15_709_491
    assert sum(ceil.on(e.sol_amount) for e in events) == 15_709_495 != delta


@pytest.mark.parametrize(
    "name", ["pumpfun_buy_0.json", "pumpfun_buy_1.json", "pumpfun_create_0.json"]
)
def test_quote_buy_spends_no_more_than_offered_and_matches_recorded_size(load_json, name):
    """Offering the recorded SOL plus fee buys at least the recorded tokens at the same cost."""
    tx = load_json(f"pumpfun/{name}")[0]
    (event,) = _events(tx)
    curve = _pre_trade_curve(event)
    offered = event.sol_amount + LEGACY_FEES.on(event.sol_amount)
    buy = quote_buy(curve, offered, LEGACY_FEES)
    assert buy.total_lamports <= offered
    assert buy.token_amount >= event.token_amount
    assert buy.sol_cost_lamports == event.sol_amount  # same lamports, at most a few more tokens
    next_cost = buy_cost_lamports(curve, buy.token_amount + 1)
    assert next_cost + LEGACY_FEES.on(next_cost) > offered


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
    buy = quote_buy(curve, 500_000_000_000, LEGACY_FEES)
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
        quote_sell(curve, 10_000_000_000, LEGACY_FEES)


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


fee_schedules = st.builds(
    PumpFees,
    protocol_bps=st.integers(0, 200),
    creator_bps=st.integers(0, 100),
    round_up=st.booleans(),
)


@settings(max_examples=200, deadline=None)
@given(curve=curves, sol_in=st.integers(10_000, 10**11), fees=fee_schedules)
def test_buy_then_sell_never_returns_more_than_spent(curve, sol_in, fees):
    """A round trip on one curve loses at least the two fees: no free money from rounding."""
    try:
        buy = quote_buy(curve, sol_in, fees)
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
    sell = quote_sell(after, buy.token_amount, fees)
    assert sell.net_lamports <= buy.total_lamports - buy.fee_lamports - sell.fee_lamports


# --- instruction builders, byte for byte ------------------------------------------------------


@pytest.mark.parametrize("name", TX_FILES)
def test_builders_match_recorded_instructions_byte_for_byte(load_json, name):
    """Our buy/sell for the same inputs equals the recorded instruction: data, keys and flags."""
    tx = load_json(f"pumpfun/{name}")[0]
    keys = _keys(tx)
    recorded = _pump_instructions(tx)
    assert recorded
    config = PumpFunConfig(
        fee_recipient=Pubkey.from_string(keys[recorded[0]["accounts"][1]]), layout="legacy"
    )
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
        decoded = decode_trade_instruction(data, [keys[i] for i in ix["accounts"]])
        assert decoded.layout == "legacy"
        assert (decoded.token_amount, decoded.sol_limit_lamports) == (amount, limit)
        assert decoded.accounts["user"] == str(user) and decoded.accounts["mint"] == str(mint)
        assert decoded.track_volume is None and decoded.remaining == ()
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


# --- the current layout (pump-public-docs idl/pump.json) -------------------------------------
# No transaction of this layout is recorded in the fixtures; the checks are against the IDL's
# account list and seeds, and against mainnet addresses published for those PDAs.

PUBLISHED = {  # mainnet PDAs of the pump program as published alongside the IDL's seeds
    "global": "4wTV1YmiEkRvAtNtsSGPtUrqRYQMe5SKy2uB4Jjaxnjf",
    "event_authority": "Ce6TQqeHC9p8KetsN6JsjHK7UTZk7nasjjnr7XxXp9F1",
    "global_volume_accumulator": "Hq2wp8uJ9jCPsYgNHex8RtqdvMPfVGoYwjvF1ATiwn2Y",
    "fee_config": "8Wf5TiAheLUqBrKXeYg2JtAFFMWtKdG2BSFgqUcPVwTt",
    "fee_program": "pfeeUxB6jkeY1Hxd7CsFCAjcbHA9rWtchMGdZ6VojVZ",
}


def _current_pair(config: PumpFunConfig, *, cashback: bool = False):
    user, mint, creator = Pubkey.new_unique(), Pubkey.new_unique(), Pubkey.new_unique()
    buy = build_buy(
        user=user,
        mint=mint,
        token_amount=123,
        max_sol_cost_lamports=456,
        config=config,
        creator=creator,
    )
    sell = build_sell(
        user=user,
        mint=mint,
        token_amount=789,
        min_sol_output_lamports=10,
        config=config,
        creator=creator,
        is_cashback_coin=cashback,
    )
    return user, mint, creator, buy, sell


def test_current_buy_has_the_idl_accounts_seeds_flags_and_args():
    """16 accounts in IDL order with the IDL's seeds and flags; data is 8 + 8 + 8 + 1 + 1."""
    config = PumpFunConfig(layout="current", track_volume=True, partial_fill=False)
    user, mint, creator, buy, _ = _current_pair(config)
    decoded = decode_trade_instruction(bytes(buy.data), [a.pubkey for a in buy.accounts])
    assert decoded.layout == "current" and decoded.side == "buy"
    assert list(decoded.accounts) == list(CURRENT_BUY_ACCOUNTS)
    named = decoded.accounts
    for name, address in PUBLISHED.items():
        assert named[name] == address, name
    assert named["creator_vault"] == str(
        Pubkey.find_program_address([b"creator-vault", bytes(creator)], PUMP_PROGRAM_ID)[0]
    )
    assert named["user_volume_accumulator"] == str(
        Pubkey.find_program_address([b"user_volume_accumulator", bytes(user)], PUMP_PROGRAM_ID)[0]
    )
    assert named["bonding_curve"] == str(bonding_curve_pda(mint, PUMP_PROGRAM_ID))
    writable = {n for n, a in zip(CURRENT_BUY_ACCOUNTS, buy.accounts, strict=True) if a.is_writable}
    assert writable == {
        "fee_recipient",
        "bonding_curve",
        "associated_bonding_curve",
        "associated_user",
        "user",
        "creator_vault",
        "user_volume_accumulator",
    }
    assert [a.is_signer for a in buy.accounts].count(True) == 1 and buy.accounts[6].is_signer
    assert bytes(buy.data) == BUY_DISCRIMINATOR + struct.pack("<QQ", 123, 456) + b"\x01\x00"
    assert (decoded.track_volume, decoded.partial_fill) == (True, False)


def test_current_sell_has_the_idl_accounts_and_24_byte_data():
    """14 accounts: creator vault before the token program, fee config and program last."""
    config = PumpFunConfig(layout="current")
    _, _, _, _, sell = _current_pair(config)
    decoded = decode_trade_instruction(bytes(sell.data), [a.pubkey for a in sell.accounts])
    assert (decoded.layout, decoded.side) == ("current", "sell")
    assert list(decoded.accounts) == list(CURRENT_SELL_ACCOUNTS)
    assert decoded.accounts["fee_config"] == PUBLISHED["fee_config"]
    assert bytes(sell.data) == SELL_DISCRIMINATOR + struct.pack("<QQ", 789, 10)
    assert decoded.remaining == ()
    assert sell.accounts[8].is_writable and not sell.accounts[9].is_writable


def test_current_remaining_accounts_for_cashback_and_buyback():
    """Cashback sells append [user_volume_accumulator(w), bonding_curve_v2]; a configured
    buyback recipient (w) follows bonding_curve_v2 on buys and sells."""
    recipient = Pubkey.new_unique()
    config = PumpFunConfig(layout="current", buyback_fee_recipient=recipient)
    user, mint, _, buy, sell = _current_pair(config, cashback=True)
    v2 = Pubkey.find_program_address([b"bonding-curve-v2", bytes(mint)], PUMP_PROGRAM_ID)[0]
    uva = Pubkey.find_program_address([b"user_volume_accumulator", bytes(user)], PUMP_PROGRAM_ID)[0]
    assert [(a.pubkey, a.is_writable) for a in buy.accounts[16:]] == [
        (v2, False),
        (recipient, True),
    ]
    assert [(a.pubkey, a.is_writable) for a in sell.accounts[14:]] == [
        (uva, True),
        (v2, False),
        (recipient, True),
    ]
    decoded = decode_trade_instruction(bytes(sell.data), [a.pubkey for a in sell.accounts])
    assert decoded.remaining == (str(uva), str(v2), str(recipient))


@pytest.mark.parametrize("name", ["pumpfun_buy_0.json", "pumpfun_sell_0.json"])
def test_current_layout_keeps_the_recorded_head_accounts(load_json, name):
    """For a recorded 2024 trade's inputs, the current layout's first 9 accounts (global ..
    token program for buy, .. system program for sell) are the recorded ones."""
    tx = load_json(f"pumpfun/{name}")[0]
    keys = _keys(tx)
    (ix,) = _pump_instructions(tx)
    recorded = decode_trade_instruction(
        base58.b58decode(ix["data"]), [keys[i] for i in ix["accounts"]]
    )
    config = PumpFunConfig(
        layout="current", fee_recipient=Pubkey.from_string(recorded.accounts["fee_recipient"])
    )
    args = {
        "user": Pubkey.from_string(recorded.accounts["user"]),
        "mint": Pubkey.from_string(recorded.accounts["mint"]),
        "token_amount": recorded.token_amount,
        "config": config,
        "creator": Pubkey.new_unique(),
    }
    if recorded.side == "buy":
        built = build_buy(max_sol_cost_lamports=recorded.sol_limit_lamports, **args)
        shared = 9
    else:
        built = build_sell(min_sol_output_lamports=recorded.sol_limit_lamports, **args)
        shared = 8
    new = decode_trade_instruction(bytes(built.data), [a.pubkey for a in built.accounts])
    assert list(new.accounts.values())[:shared] == list(recorded.accounts.values())[:shared]
    assert new.accounts["token_program"] == recorded.accounts["token_program"]
    assert (new.token_amount, new.sol_limit_lamports) == (
        recorded.token_amount,
        recorded.sol_limit_lamports,
    )


def test_decoder_refuses_other_instructions_and_unknown_layouts():
    """A create instruction or a buy with 13 accounts is a SchemaError naming the layouts."""
    with pytest.raises(SchemaError, match="not Pump buy"):
        decode_trade_instruction(hashlib.sha256(b"global:create").digest()[:8], [])
    with pytest.raises(SchemaError, match="13 accounts matches no known layout"):
        decode_trade_instruction(BUY_DISCRIMINATOR + bytes(16), [Pubkey.new_unique()] * 13)


# --- fee config and fee tiers ------------------------------------------------------------------
# No FeeConfig account is recorded in the fixtures: the accounts below are built from the IDL
# layout (pump_fees.json) with the encoder, then decoded; the numbers are illustrative tiers.

TIERS = FeeConfig(
    admin=Pubkey.new_unique(),
    flat_fees=Fees(25, 5, 0),
    fee_tiers=(
        FeeTier(0, Fees(0, 95, 30)),
        FeeTier(420 * 10**9, Fees(0, 90, 25)),
        FeeTier(2**65, Fees(0, 5, 5)),  # u128 threshold above 64 bits
    ),
)


def test_fee_config_round_trips_through_the_idl_layout():
    """Discriminator sha256("account:FeeConfig")[:8]; u128 thresholds survive; trailing bytes
    of newer versions (stable tiers, exotic fees) are ignored."""
    data = encode_fee_config(TIERS)
    assert data[:8] == bytes([143, 52, 146, 187, 219, 123, 76, 155])
    assert len(data) == 8 + 1 + 32 + 24 + 4 + 3 * 40
    assert decode_fee_config(data + b"\x00" * 28) == TIERS
    with pytest.raises(SchemaError, match="fee tiers do not fit"):
        decode_fee_config(data[:-1])
    with pytest.raises(SchemaError, match="not a Pump Fees FeeConfig"):
        decode_fee_config(b"\x00" * len(data))


def test_tier_selection_by_market_cap():
    """The last tier at or below the market cap applies; below every threshold, the first."""
    tiers = TIERS.fee_tiers[1:]
    assert select_tier(tiers, 0) == tiers[0].fees
    assert select_tier(TIERS.fee_tiers, 420 * 10**9 - 1).protocol_fee_bps == 95
    assert select_tier(TIERS.fee_tiers, 420 * 10**9).protocol_fee_bps == 90
    assert select_tier(TIERS.fee_tiers, 2**65).protocol_fee_bps == 5


def test_fees_on_recorded_curves(load_json):
    """Market cap of the recorded fresh curve picks its tier; the creator fee needs a creator."""
    _, data = _fixture_curve(load_json, "fresh_curve_5WXUxY")
    curve = decode_bonding_curve(data)
    cap = market_cap_lamports(curve)
    assert cap == curve.virtual_sol_reserves * 10**15 // curve.virtual_token_reserves
    assert 27 * 10**9 < cap < 420 * 10**9  # a young coin: first tier
    fees = fees_for_curve(curve, fee_config=TIERS, fallback_protocol_bps=1, fallback_creator_bps=1)
    assert (fees.protocol_bps, fees.creator_bps, fees.round_up) == (95, 30, True)
    assert fees.split(1_000_000_001) == (9_500_001, 3_000_001)  # each part rounds up
    no_creator = msgspec.structs.replace(curve, creator=None)
    fallback = fees_for_curve(
        no_creator, fee_config=None, fallback_protocol_bps=100, fallback_creator_bps=5
    )
    assert (fallback.protocol_bps, fallback.creator_bps) == (100, 0)


def test_quote_math_with_tier_fees_on_the_recorded_curve(load_json):
    """On the recorded curve: the buy spends at most the offer with both fees, one more token
    would not fit, and a sell pays the curve's SOL less both ceil fees."""
    _, data = _fixture_curve(load_json, "fresh_curve_5WXUxY")
    curve = decode_bonding_curve(data)
    fees = fees_for_curve(curve, fee_config=TIERS, fallback_protocol_bps=0, fallback_creator_bps=0)
    offered = 1_000_000_000
    buy = quote_buy(curve, offered, fees)
    protocol, creator = fees.split(buy.sol_cost_lamports)
    assert buy.fee_lamports == protocol + creator
    assert buy.total_lamports <= offered
    nxt = buy_cost_lamports(curve, buy.token_amount + 1)
    assert nxt + fees.on(nxt) > offered
    sell = quote_sell(curve, 10**12, fees)
    out = 10**12 * curve.virtual_sol_reserves // (curve.virtual_token_reserves + 10**12)
    assert sell.sol_out_lamports == out
    assert sell.net_lamports == out - -(-out * 95 // 10_000) - -(-out * 30 // 10_000)


def test_trade_event_fee_fields_decode_from_the_idl_layout(load_json):
    """The creator-fee era TradeEvent: the recorded 2024 event's bytes plus fee_recipient,
    fee_basis_points, fee, creator, creator_fee_basis_points, creator_fee (built here from the
    IDL layout: no such event is recorded)."""
    tx = load_json("pumpfun/pumpfun_buy_0.json")[0]
    line = next(x for x in tx["meta"]["logMessages"] if x.startswith("Program data: "))
    old = base64.b64decode(line.removeprefix("Program data: "))
    recipient, creator = Pubkey.new_unique(), Pubkey.new_unique()
    tail = struct.pack(
        "<32sQQ32sQQ", bytes(recipient), 95, 28_500_000, bytes(creator), 30, 9_000_000
    )
    event = decode_trade_event(old + tail + b"\x01" + bytes(40))
    legacy = decode_trade_event(old)
    assert (event.sol_amount, event.token_amount) == (legacy.sol_amount, legacy.token_amount)
    assert (event.fee_recipient, event.fee_basis_points, event.fee) == (recipient, 95, 28_500_000)
    assert (event.creator, event.creator_fee_basis_points, event.creator_fee) == (
        creator,
        30,
        9_000_000,
    )
    assert legacy.fee is None and legacy.creator is None


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


FEE_CONFIG_ADDRESS = str(fee_config_pda(PUMP_PROGRAM_ID, PUMP_FEE_PROGRAM_ID))
# Mint accounts are not recorded: an SPL Token mint is 82 bytes (Mint::LEN); a Token-2022 mint
# with extensions is longer. Only the length matters to the venue, so the bytes are zero.
SPL_MINT = bytes(82)
TOKEN_2022_MINT = bytes(234)


async def test_venue_quotes_and_builds_a_buy_from_the_curve_account(load_json):
    """SOL -> token: the venue reads the curve and the FeeConfig, quotes exact tokens with the
    tier's protocol + creator fees, and builds ATA + the 16-account buy."""
    account, data = _fixture_curve(load_json, "fresh_curve_5WXUxY")
    calls: list[dict] = []
    accounts = {
        account["pubkey"]: data,
        FEE_CONFIG_ADDRESS: encode_fee_config(TIERS),
        account["mint"]: SPL_MINT,
    }
    transport = httpx.MockTransport(_rpc_handler(accounts, calls))
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
    assert calls[1]["params"][0] == FEE_CONFIG_ADDRESS
    curve = decode_bonding_curve(data)
    fees = PumpFees(protocol_bps=95, creator_bps=30, round_up=True)  # TIERS' first tier
    expected = quote_buy(curve, 1_010_000_000, fees)
    assert (quote.out_amount_raw, quote.min_out_amount_raw) == (expected.token_amount,) * 2
    assert quote.fee_raw == expected.fee_lamports == fees.on(expected.sol_cost_lamports)
    assert quote.price_impact_bps > 0
    ata, buy = plan.instructions
    assert str(ata.program_id) == "ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL"
    assert bytes(ata.data) == b"\x01"  # CreateIdempotent
    decoded = decode_trade_instruction(bytes(buy.data), [a.pubkey for a in buy.accounts])
    assert decoded.layout == "current"
    assert (decoded.token_amount, decoded.sol_limit_lamports) == (
        expected.token_amount,
        1_010_000_000 * 10_300 // 10_000,
    )
    assert decoded.accounts["user"] == str(owner)
    assert decoded.accounts["creator_vault"] == str(
        Pubkey.find_program_address([b"creator-vault", bytes(curve.creator)], PUMP_PROGRAM_ID)[0]
    )


async def test_venue_without_fee_config_uses_global_flat_fees(load_json):
    """When the FeeConfig account is missing, Global's flat protocol + creator fees apply."""
    account, data = _fixture_curve(load_json, "fresh_curve_5WXUxY")
    accounts = {account["pubkey"]: data, account["mint"]: SPL_MINT}
    transport = httpx.MockTransport(_rpc_handler(accounts, []))
    async with httpx.AsyncClient(transport=transport) as http:
        config = PumpFunConfig(rpc_url=RPC, fee_bps=95, creator_fee_bps=5)
        venue = PumpFunVenue(PumpFunClient(http, config), config, clock=FakeClock())
        quote = await venue.quote(
            QuoteRequest(input_mint=WSOL, output_mint=account["mint"], in_amount_raw=10**9)
        )
    assert quote.route.fees == PumpFees(protocol_bps=95, creator_bps=5, round_up=True)


async def test_venue_sell_sets_min_sol_output_from_slippage(load_json):
    """token -> SOL: out is net of both fees, and min_sol_output is out less slippage."""
    account, data = _fixture_curve(load_json, "fresh_curve_5WXUxY")
    accounts = {
        account["pubkey"]: data,
        FEE_CONFIG_ADDRESS: encode_fee_config(TIERS),
        account["mint"]: SPL_MINT,
    }
    transport = httpx.MockTransport(_rpc_handler(accounts, []))
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
    fees = PumpFees(protocol_bps=95, creator_bps=30)
    sell = quote_sell(decode_bonding_curve(data), 10_000_000_000_000, fees)
    assert quote.out_amount_raw == sell.net_lamports
    assert quote.min_out_amount_raw == sell.net_lamports * 9_900 // 10_000
    (ix,) = plan.instructions
    assert bytes(ix.data)[:8] == SELL_DISCRIMINATOR
    assert len(ix.accounts) == 14
    assert struct.unpack_from("<QQ", bytes(ix.data), 8) == (
        10_000_000_000_000,
        quote.min_out_amount_raw,
    )


async def test_legacy_layout_venue_still_builds_the_2024_instruction(load_json):
    """layout='legacy' prices with the floor 1% fee and builds the 12-account buy."""
    account, data = _fixture_curve(load_json, "fresh_curve_5WXUxY")
    calls: list[dict] = []
    accounts = {account["pubkey"]: data, account["mint"]: SPL_MINT}
    transport = httpx.MockTransport(_rpc_handler(accounts, calls))
    async with httpx.AsyncClient(transport=transport) as http:
        config = PumpFunConfig(rpc_url=RPC, layout="legacy")
        venue = PumpFunVenue(PumpFunClient(http, config), config, clock=FakeClock())
        quote = await venue.quote(
            QuoteRequest(input_mint=WSOL, output_mint=account["mint"], in_amount_raw=10**9)
        )
        plan = await venue.build(quote, Pubkey.new_unique())
    assert [c["params"][0] for c in calls] == [account["pubkey"], account["mint"]]  # no FeeConfig
    assert quote.route.fees == LEGACY_FEES
    assert (
        decode_trade_instruction(
            bytes(plan.instructions[1].data), [a.pubkey for a in plan.instructions[1].accounts]
        ).layout
        == "legacy"
    )


async def test_graduated_curve_is_rejected_naming_the_migration(load_json):
    """A complete curve refuses the order, says the liquidity migrated to PumpSwap, and points
    the user to Jupiter."""
    _, data = _fixture_curve(load_json, "graduated_curve")
    mint = Pubkey.new_unique()
    address = str(bonding_curve_pda(mint, PUMP_PROGRAM_ID))
    transport = httpx.MockTransport(_rpc_handler({address: data}, []))
    async with httpx.AsyncClient(transport=transport) as http:
        config = PumpFunConfig(rpc_url=RPC)
        venue = PumpFunVenue(PumpFunClient(http, config), config)
        with pytest.raises(OrderRejected, match=r"graduated.*migrated.*PumpSwap.*Jupiter") as info:
            await venue.quote(
                QuoteRequest(input_mint=WSOL, output_mint=str(mint), in_amount_raw=10**9)
            )
    assert info.value.reason == "curve_complete"


@pytest.mark.parametrize(
    ("offset", "value", "reason"),
    [
        (81, b"\x01", "mayhem_fee_recipient"),
        (
            83,
            bytes(Pubkey.from_string("EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v")),
            "unsupported_quote_mint",
        ),
    ],
)
async def test_mayhem_and_non_sol_curves_are_refused(load_json, offset, value, reason):
    """Flags of newer curves (bytes set here on the recorded 151-byte account, whose tail is
    zero): mayhem mode needs a reserved fee recipient; a USDC-paired curve needs buy_v2."""
    account, data = _fixture_curve(load_json, "drained_curve_8t4tkj")
    patched = data[:offset] + value + data[offset + len(value) :]
    transport = httpx.MockTransport(_rpc_handler({account["pubkey"]: patched}, []))
    async with httpx.AsyncClient(transport=transport) as http:
        config = PumpFunConfig(rpc_url=RPC)
        venue = PumpFunVenue(PumpFunClient(http, config), config)
        with pytest.raises(OrderRejected) as info:
            await venue.quote(
                QuoteRequest(input_mint=WSOL, output_mint=account["mint"], in_amount_raw=10**9)
            )
    assert info.value.reason == reason


async def test_token_2022_mint_gets_token_2022_accounts(load_json):
    """A create_v2 coin (Token-2022 mint with extensions): the ATAs and the token program
    account use Token-2022; a missing mint is refused."""
    account, data = _fixture_curve(load_json, "fresh_curve_5WXUxY")
    accounts = {account["pubkey"]: data, account["mint"]: TOKEN_2022_MINT}
    transport = httpx.MockTransport(_rpc_handler(accounts, []))
    owner = Pubkey.new_unique()
    t22 = Pubkey.from_string("TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb")
    async with httpx.AsyncClient(transport=transport) as http:
        config = PumpFunConfig(rpc_url=RPC)
        venue = PumpFunVenue(PumpFunClient(http, config), config, clock=FakeClock())
        quote = await venue.quote(
            QuoteRequest(input_mint=WSOL, output_mint=account["mint"], in_amount_raw=10**9)
        )
        ata, buy = (await venue.build(quote, owner)).instructions
        mint = Pubkey.from_string(account["mint"])
        user_ata = Pubkey.find_program_address(
            [bytes(owner), bytes(t22), bytes(mint)],
            Pubkey.from_string("ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL"),
        )[0]
        named = decode_trade_instruction(bytes(buy.data), [a.pubkey for a in buy.accounts]).accounts
        assert named["token_program"] == str(t22)
        assert named["associated_user"] == str(user_ata) == str(ata.accounts[1].pubkey)
        with pytest.raises(OrderRejected, match="does not exist") as info:
            await venue.token_program_of(Pubkey.new_unique())
    assert info.value.reason == "no_mint"


async def test_stale_quote_rereads_the_curve_before_building(load_json):
    """An old quote is re-priced on a fresh read of the curve before building."""
    account, data = _fixture_curve(load_json, "fresh_curve_5WXUxY")
    calls: list[dict] = []
    accounts = {account["pubkey"]: data, account["mint"]: SPL_MINT}
    transport = httpx.MockTransport(_rpc_handler(accounts, calls))
    clock = FakeClock()

    def curve_reads() -> int:
        return sum(c["params"][0] == account["pubkey"] for c in calls)

    async with httpx.AsyncClient(transport=transport) as http:
        config = PumpFunConfig(rpc_url=RPC, max_quote_age_s=2.0)
        venue = PumpFunVenue(PumpFunClient(http, config), config, clock=clock)
        quote = await venue.quote(
            QuoteRequest(input_mint=WSOL, output_mint=account["mint"], in_amount_raw=10**9)
        )
        clock.t += 1_000_000_000
        await venue.build(quote, Pubkey.new_unique())
        assert curve_reads() == 1
        clock.t += 1_500_000_000
        plan = await venue.build(quote, Pubkey.new_unique())
    assert curve_reads() == 2
    assert len(calls) == 4  # the FeeConfig and the mint's token program are read once and kept
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

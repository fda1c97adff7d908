"""A mainnet stand-in for live mode, without the internet: every service the live engine talks
to is served with respx, and the state behind them is a real LiteSVM chain.

* RPC: :class:`LiteSVMRpcNode` from ``tests/execution/test_executor_rpc.py`` (documented JSON-RPC
  shapes over a LiteSVMChain), plus ``getBalance`` and ``getMultipleAccounts`` for the wallet's
  balances.
* Jupiter Price API v3: the recorded payload ``tests/fixtures/jupiter_price/price_v3_example.json``
  with SOL's ``usdPrice`` replaced by the next price of a path; each poll also moves the local
  pool to that price (real transactions, as the market moving) and steps the test clock.
* Jupiter Swap API v1: ``/quote`` answers in the recorded shape of
  ``tests/fixtures/jupiter/quote_v1_SOL_to_USDC_example.json`` (amounts from the pool's
  reserves, constant product, 25 bps fee), ``/swap-instructions`` in the OpenAPI
  ``SwapInstructionsResponse`` shape with real SPL Token instructions against the pool: setup
  = create the output ATA (idempotent) and pay the input into the pool's vault; swap = pay the
  output from the other vault. The pool authority approved the wallet as delegate of its vaults
  (SPL Token ``Approve``), so the wallet's signature alone makes the swap valid, as a real AMM's
  program-derived authority does.
"""

from __future__ import annotations

import base64
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey

from tests.execution.test_executor_rpc import LiteSVMRpcNode
from workbench.chain.programs import (
    TOKEN_PROGRAM_ID,
    associated_token_address,
    create_ata_idempotent_ix,
    set_compute_unit_limit_ix,
    transfer_checked_ix,
)
from workbench.execution.local_amm.math import amount_out, min_out_raw
from workbench.testing import seeded_keypair

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
RPC = "https://rpc.live.test/"
JUP = "https://jup.live.test"
T0_S = 1_700_000_040  # a minute boundary


class Node(LiteSVMRpcNode):
    """The executor test's RPC node plus the balance reads of the live engine."""

    def __init__(self, chain: Any, fees: Any = (0,)) -> None:
        super().__init__(chain, fees)
        self.sent: dict[str, bytes] = {}  # signature -> signed bytes, in first-send order

    def _answer(self, method: str, params: list[Any]) -> Any:
        svm = self.chain.svm
        if method == "getBalance":
            return self._ctx(svm.get_balance(Pubkey.from_string(params[0])) or 0)
        if method == "getMultipleAccounts":
            out = []
            for key in params[0]:
                acc = svm.get_account(Pubkey.from_string(key))
                out.append(None if acc is None else {
                    "data": [base64.b64encode(bytes(acc.data)).decode(), "base64"],
                    "executable": acc.executable, "lamports": acc.lamports,
                    "owner": str(acc.owner), "rentEpoch": 18446744073709551615,
                    "space": len(bytes(acc.data))})
            return self._ctx(out)
        result = super()._answer(method, params)
        if method == "sendTransaction":
            self.sent.setdefault(result, base64.b64decode(params[0]))
        return result


def approve_ix(*, account: Pubkey, delegate: Pubkey, owner: Pubkey, amount_raw: int
               ) -> Instruction:
    """SPL Token ``Approve`` (instruction 4): ``delegate`` may move ``amount_raw`` out."""
    return Instruction(TOKEN_PROGRAM_ID, bytes([4]) + amount_raw.to_bytes(8, "little"), [
        AccountMeta(account, False, True), AccountMeta(delegate, False, False),
        AccountMeta(owner, True, False)])


def _wire(ix: Instruction) -> dict[str, Any]:
    return {"programId": str(ix.program_id),
            "accounts": [{"pubkey": str(a.pubkey), "isSigner": a.is_signer,
                          "isWritable": a.is_writable} for a in ix.accounts],
            "data": base64.b64encode(bytes(ix.data)).decode()}


class LiveNet:
    """The chain, the pool, the wallet and the three mocked APIs.

    Args:
        prices: SOL/USD prices served one per poll (the last repeats).
        tick_s: test-clock seconds per price poll.
    """

    def __init__(self, prices: list[str], *, tick_s: int = 20, wallet_seed: str = "live") -> None:
        from workbench.chain.litesvm import LiteSVMChain
        from workbench.execution.local_amm import LocalMarket

        self.chain = LiteSVMChain()
        self.market = LocalMarket(self.chain)
        self.sol, self.usdt = self.market.token("SOL"), self.market.token("USDT")
        p0 = Decimal(prices[0])
        self.pool = self.market.create_pool(
            self.sol, self.usdt, base_reserve_raw=20_000 * 10**9,
            quote_reserve_raw=int(p0 * 20_000 * 10**6), fee_bps=25, name="jupiter-local")
        self.keypair = seeded_keypair(wallet_seed)
        self.owner = self.keypair.pubkey()
        self.market.fund_wallet({self.sol: 2 * 10**9, self.usdt: 2_000 * 10**6},
                                lamports=1 * 10**9, keypair=self.keypair)
        auth = self.pool.authority_pubkey
        self.chain.run(self.market.payer, [
            approve_ix(account=v, delegate=self.owner, owner=auth, amount_raw=2**64 - 1)
            for v in (self.pool.base_vault, self.pool.quote_vault)], [self.pool.authority])
        self.node = Node(self.chain, fees=[0, 5_000, 10_000, 20_000])
        self.prices = list(prices)
        self.polls = 0
        self.tick_s = tick_s
        self.now_ns = T0_S * 10**9
        self.quotes = 0
        self.builds: list[dict[str, Any]] = []
        self._price_fx = json.loads((FIXTURES / "jupiter_price/price_v3_example.json").read_text())
        self._quote_fx = json.loads(
            (FIXTURES / "jupiter/quote_v1_SOL_to_USDC_example.json").read_text())

    # --- clock ----------------------------------------------------------------------------

    def clock_ns(self) -> int:
        return self.now_ns

    # --- chain truth ----------------------------------------------------------------------

    def wallet_raw(self) -> dict[str, int]:
        """The wallet's holdings by mint on chain (lamports counted under wSOL, as the engine)."""
        out = {str(t.mint): self.chain.token_amount(associated_token_address(self.owner, t.mint))
               for t in (self.sol, self.usdt)}
        out[str(self.sol.mint)] += self.chain.svm.get_balance(self.owner) or 0
        return out

    # --- handlers -------------------------------------------------------------------------

    def price(self, request: httpx.Request) -> httpx.Response:
        ids = request.url.params["ids"].split(",")
        price = Decimal(self.prices[min(self.polls, len(self.prices) - 1)])
        self.polls += 1
        self.now_ns += self.tick_s * 10**9
        self.market.track_price(self.pool, price)
        body = {k: v for k, v in self._price_fx.items() if k in ids}  # USDT: absent, as there
        body[str(self.sol.mint)] = {**self._price_fx[str(self.sol.mint)],
                                    "usdPrice": float(price), "blockId": self.chain.height}
        return httpx.Response(200, json=body)

    def _vaults(self, input_mint: str) -> tuple[Pubkey, Pubkey, Any, Any]:
        p = self.pool
        if input_mint == str(self.sol.mint):
            return p.base_vault, p.quote_vault, self.sol, self.usdt
        return p.quote_vault, p.base_vault, self.usdt, self.sol

    def _out(self, input_mint: str, amount: int) -> int:
        v_in, v_out, _, _ = self._vaults(input_mint)
        return amount_out(amount, self.chain.token_amount(v_in), self.chain.token_amount(v_out),
                          self.pool.fee_bps)

    def quote(self, request: httpx.Request) -> httpx.Response:
        q = request.url.params
        assert q["swapMode"] == "ExactIn"
        self.quotes += 1
        amount, slip = int(q["amount"]), int(q["slippageBps"])
        out = self._out(q["inputMint"], amount)
        body = dict(self._quote_fx)
        body.update({"inputMint": q["inputMint"], "outputMint": q["outputMint"],
                     "inAmount": str(amount), "outAmount": str(out),
                     "otherAmountThreshold": str(min_out_raw(out, slip)), "slippageBps": slip,
                     "contextSlot": self.chain.svm.get_clock().slot})
        step = dict(body["routePlan"][0]["swapInfo"])
        step.update({"ammKey": str(self.pool.authority_pubkey), "label": "LiteSVM pool",
                     "inputMint": q["inputMint"], "outputMint": q["outputMint"],
                     "inAmount": str(amount), "outAmount": str(out)})
        body["routePlan"] = [{"swapInfo": step, "percent": 100}]
        return httpx.Response(200, json=body)

    def swap_instructions(self, request: httpx.Request) -> httpx.Response:
        req = json.loads(request.content)
        self.builds.append(req)
        quote = req["quoteResponse"]
        owner = Pubkey.from_string(req["userPublicKey"])
        amount = int(quote["inAmount"])
        out = self._out(quote["inputMint"], amount)
        if out < int(quote["otherAmountThreshold"]):
            return httpx.Response(400, json={"error": "Slippage tolerance exceeded",
                                             "errorCode": "SLIPPAGE"})
        v_in, v_out, t_in, t_out = self._vaults(quote["inputMint"])
        setup = [create_ata_idempotent_ix(payer=owner, owner=owner, mint=t_out.mint),
                 transfer_checked_ix(source=associated_token_address(owner, t_in.mint),
                                     mint=t_in.mint, destination=v_in, owner=owner,
                                     amount_raw=amount, decimals=t_in.decimals)]
        swap = transfer_checked_ix(source=v_out, mint=t_out.mint,
                                   destination=associated_token_address(owner, t_out.mint),
                                   owner=owner, amount_raw=out, decimals=t_out.decimals)
        return httpx.Response(200, json={
            "computeBudgetInstructions": [_wire(set_compute_unit_limit_ix(1_400_000))],
            "setupInstructions": [_wire(ix) for ix in setup],
            "swapInstruction": _wire(swap),
            "cleanupInstruction": None,
            "otherInstructions": [],
            "addressLookupTableAddresses": [],
            "prioritizationFeeLamports": 0})

    def mount(self, mock: Any) -> None:
        """Route the RPC node and the Jupiter APIs on a respx mock."""
        mock.post(RPC).mock(side_effect=self.node)
        mock.get(f"{JUP}/price/v3").mock(side_effect=self.price)
        mock.get(f"{JUP}/swap/v1/quote").mock(side_effect=self.quote)
        mock.post(f"{JUP}/swap/v1/swap-instructions").mock(side_effect=self.swap_instructions)

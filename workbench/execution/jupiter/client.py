"""Jupiter HTTP client: moves bytes, maps failures once, returns typed structs.

Every failure leaves this module as a workbench error (``map_http_failure``), so callers never
see an ``httpx`` exception:

| source                                   | becomes                                  |
|------------------------------------------|------------------------------------------|
| ``httpx.TimeoutException``               | ``TemporaryVenueError`` (retry)          |
| other ``httpx.TransportError``           | ``TemporaryVenueError`` (retry)          |
| HTTP 429                                 | ``RateLimited`` with ``retry_after_s``   |
| HTTP 5xx                                 | ``TemporaryVenueError``                  |
| HTTP 401 / 403                           | ``ConfigError`` (the API key)            |
| other HTTP 4xx (e.g. NO_ROUTES_FOUND)    | ``OrderRejected`` with Jupiter's code    |
| body not JSON / not the schema           | ``SchemaError``                          |
"""

from __future__ import annotations

from typing import Any, TypeVar

import httpx
import msgspec
from solders.pubkey import Pubkey

from workbench.errors import (
    ConfigError,
    OrderRejected,
    RateLimited,
    SchemaError,
    TemporaryVenueError,
    WorkbenchError,
)
from workbench.execution.jupiter.codes import error_for_ultra
from workbench.execution.jupiter.config import JupiterConfig
from workbench.execution.jupiter.parse import VENUE, decode_body
from workbench.execution.jupiter.schemas import (
    ErrorBody,
    QuoteResponse,
    SwapInstructionsResponse,
    SwapResponse,
    UltraExecuteResponse,
    UltraOrderResponse,
)

__all__ = ["TRANSPORT_ERRORS", "JupiterClient", "map_http_failure"]

T = TypeVar("T")

# Source exception -> workbench class; a test checks that every entry is applied.
TRANSPORT_ERRORS: dict[type[Exception], type[WorkbenchError]] = {
    httpx.TimeoutException: TemporaryVenueError,
    httpx.TransportError: TemporaryVenueError,
}


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date; the caller's backoff applies


def map_http_failure(response: httpx.Response, *, source: str) -> WorkbenchError:
    """The workbench error for a non-2xx Jupiter response (returned, for the caller to raise)."""
    status = response.status_code
    body = response.content
    try:
        err = msgspec.json.decode(body, type=ErrorBody)
    except (msgspec.DecodeError, msgspec.ValidationError):
        err = ErrorBody()
    detail = err.error or body.decode("utf-8", "replace")[:200] or response.reason_phrase
    payload = body.decode("utf-8", "replace")[:500]
    if status == 429:
        retry_after = _retry_after(response)
        wait = f" Retry after {retry_after:g}s." if retry_after is not None else ""
        return RateLimited(
            f"Jupiter {source} rate-limited the request (HTTP 429).{wait} Slow down, or use an "
            "API key with a higher limit.",
            retry_after_s=retry_after,
            venue=VENUE,
            payload=payload,
        )
    if status >= 500:
        return TemporaryVenueError(
            f"Jupiter {source} failed on the server (HTTP {status}: {detail}); retry with backoff.",
            venue=VENUE,
            payload=payload,
        )
    if status in (401, 403):
        return ConfigError(
            f"Jupiter {source} refused the API key (HTTP {status}: {detail}). Set a valid key "
            "from portal.jup.ag, or use https://lite-api.jup.ag without one.",
            setting="data.jupiter_base_url",
        )
    reason = err.error_code or (f"ultra_{err.code}" if err.code is not None else f"http_{status}")
    return OrderRejected(
        f"Jupiter {source} rejected the request (HTTP {status}, {reason}): {detail}.",
        reason=reason,
        venue=VENUE,
        payload=payload,
    )


class JupiterClient:
    """Thin async client for Jupiter's Swap v1 and Ultra v1 endpoints.

    Args:
        http: an ``httpx.AsyncClient`` owned by the caller (tests pass one with respx or a
            ``MockTransport``); this class never closes it.
        config: API root, key, timeouts and swap options.
    """

    def __init__(self, http: httpx.AsyncClient, config: JupiterConfig) -> None:
        self._http = http
        self._config = config

    @property
    def config(self) -> JupiterConfig:
        """The adapter's settings."""
        return self._config

    def _headers(self) -> dict[str, str]:
        headers = {"accept": "application/json"}
        if self._config.api_key is not None:
            headers["x-api-key"] = self._config.api_key.get_secret_value()
        return headers

    async def _send(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: bytes | None = None,
    ) -> bytes:
        source = f"{method} {path}"
        headers = self._headers()
        if body is not None:
            headers["content-type"] = "application/json"
        try:
            response = await self._http.request(
                method,
                self._config.root + path,
                params=params,
                content=body,
                headers=headers,
                timeout=self._config.timeout_s,
            )
        except httpx.TimeoutException as exc:
            raise TRANSPORT_ERRORS[httpx.TimeoutException](
                f"Jupiter {source} timed out after {self._config.timeout_s:g}s; retry with "
                "backoff.",
                venue=VENUE,
            ) from exc
        except httpx.TransportError as exc:
            raise TRANSPORT_ERRORS[httpx.TransportError](
                f"Jupiter {source} could not be reached ({type(exc).__name__}: {exc}); check the "
                f"network and {self._config.root}, then retry.",
                venue=VENUE,
            ) from exc
        if response.status_code >= 400:
            raise map_http_failure(response, source=source)
        return response.content

    async def _get(self, kind: type[T], path: str, params: dict[str, Any]) -> tuple[T, bytes]:
        raw = await self._send("GET", path, params=params)
        return decode_body(kind, raw, source=f"GET {path}"), raw

    async def _post(self, kind: type[T], path: str, body: bytes) -> T:
        raw = await self._send("POST", path, body=body)
        return decode_body(kind, raw, source=f"POST {path}")

    async def fetch_quote(
        self, *, input_mint: str, output_mint: str, amount_raw: int, slippage_bps: int
    ) -> tuple[QuoteResponse, bytes]:
        """``GET /swap/v1/quote`` for an exact input; returns the struct and the raw bytes."""
        cfg = self._config
        params: dict[str, Any] = {
            "inputMint": input_mint,
            "outputMint": output_mint,
            "amount": str(amount_raw),
            "slippageBps": str(slippage_bps),
            "swapMode": "ExactIn",
            "restrictIntermediateTokens": str(cfg.restrict_intermediate_tokens).lower(),
            "onlyDirectRoutes": str(cfg.only_direct_routes).lower(),
            "maxAccounts": str(cfg.max_accounts),
        }
        return await self._get(QuoteResponse, "/swap/v1/quote", params)

    def _swap_request(self, quote_raw: bytes, owner: Pubkey) -> bytes:
        cfg = self._config
        request: dict[str, Any] = {
            "userPublicKey": str(owner),
            "quoteResponse": msgspec.Raw(quote_raw),
            "wrapAndUnwrapSol": cfg.wrap_and_unwrap_sol,
            "dynamicComputeUnitLimit": cfg.dynamic_compute_unit_limit,
            "dynamicSlippage": cfg.dynamic_slippage,
            "prioritizationFeeLamports": {
                "priorityLevelWithMaxLamports": {
                    "priorityLevel": cfg.priority_level,
                    "maxLamports": cfg.max_priority_fee_lamports,
                }
            },
        }
        return msgspec.json.encode(request)

    async def fetch_swap(self, quote_raw: bytes, owner: Pubkey) -> SwapResponse:
        """``POST /swap/v1/swap``: an unsigned transaction for ``owner``."""
        return await self._post(SwapResponse, "/swap/v1/swap", self._swap_request(quote_raw, owner))

    async def fetch_swap_instructions(
        self, quote_raw: bytes, owner: Pubkey
    ) -> SwapInstructionsResponse:
        """``POST /swap/v1/swap-instructions``: instructions to compose into our transaction."""
        return await self._post(
            SwapInstructionsResponse,
            "/swap/v1/swap-instructions",
            self._swap_request(quote_raw, owner),
        )

    async def fetch_ultra_order(
        self, *, input_mint: str, output_mint: str, amount_raw: int, taker: Pubkey | None
    ) -> tuple[UltraOrderResponse, bytes]:
        """``GET /ultra/v1/order``; with a ``taker`` the order carries a transaction to sign.

        Raises:
            OrderRejected: the order came back with an ``errorCode`` (e.g. insufficient balance
                for the taker), which Ultra reports with HTTP 200.
        """
        params: dict[str, Any] = {
            "inputMint": input_mint,
            "outputMint": output_mint,
            "amount": str(amount_raw),
        }
        if taker is not None:
            params["taker"] = str(taker)
        order, raw = await self._get(UltraOrderResponse, "/ultra/v1/order", params)
        if order.error_code is not None or (taker is not None and order.transaction is None):
            raise OrderRejected(
                f"Jupiter Ultra order {order.request_id} has no transaction "
                f"(errorCode={order.error_code}, {order.error_message or 'no message'}); check "
                "the taker's balance and the pair.",
                reason=f"ultra_order_{order.error_code}",
                venue=VENUE,
                request_id=order.request_id,
                payload=raw.decode("utf-8", "replace")[:500],
            )
        return order, raw

    async def execute_ultra(
        self, *, signed_transaction_b64: str, request_id: str
    ) -> UltraExecuteResponse:
        """``POST /ultra/v1/execute``; a ``Failed`` status raises the mapped error.

        Raises:
            SlippageExceeded, InsufficientFunds, OrderRejected: the swap landed and failed, or
                Ultra refused it for good.
            TemporaryVenueError: it did not land in time; get a fresh order and retry.
        """
        body = msgspec.json.encode(
            {"signedTransaction": signed_transaction_b64, "requestId": request_id}
        )
        result = await self._post(UltraExecuteResponse, "/ultra/v1/execute", body)
        if result.status == "Success" and result.code == 0:
            return result
        if result.status not in ("Success", "Failed"):
            raise SchemaError(
                f"Jupiter POST /ultra/v1/execute returned status={result.status!r}; expected "
                "Success or Failed.",
                source="POST /ultra/v1/execute",
                payload=msgspec.json.encode(result).decode(),
            )
        raise error_for_ultra(
            result.code,
            result.error,
            request_id=request_id,
            payload=msgspec.json.encode(result).decode(),
        )

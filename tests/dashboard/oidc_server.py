"""A small OAuth 2.0 / OpenID Connect authorization server on loopback, for the login tests.

It speaks the real protocol (RFC 6749 authorization code grant, OIDC Core 1.0), nothing
mocked: the browser is sent to ``/authorize``, logs in on a form, and is redirected back with
a one-time ``code``; the client exchanges it at ``/token`` (client_secret_post or HTTP Basic),
receiving an opaque access token and, when ``openid`` was requested, an ID token (a JWT signed
HS256 with the client secret, as OIDC Core 3.1.3.7 allows for confidential clients);
``/userinfo`` answers the claims for ``Authorization: Bearer <access token>``. Every request is
recorded in ``events`` so tests can assert on the exchange.

Codes are single use and expire after 60 s; redirect URIs must equal the registered one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def sign_hs256(claims: dict[str, Any], key: str) -> str:
    """A compact JWS (RFC 7515) of ``claims`` with HMAC-SHA256."""
    head = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = _b64url(json.dumps(claims).encode())
    sig = hmac.new(key.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{_b64url(sig)}"


@dataclass
class Account:
    password: str
    claims: dict[str, Any]


@dataclass
class OIDCServer:
    """The authorization server. ``start()`` binds a free loopback port."""

    client_id: str
    client_secret: str
    redirect_uri: str
    accounts: dict[str, Account]
    events: list[dict[str, Any]] = field(default_factory=list)
    _codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    _tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    _httpd: ThreadingHTTPServer | None = None

    @property
    def issuer(self) -> str:
        assert self._httpd is not None
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def start(self) -> OIDCServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _send(self, status: int, body: str | dict[str, Any], *,
                      ctype: str = "application/json", headers: dict[str, str] | None = None
                      ) -> None:
                data = (json.dumps(body) if isinstance(body, dict) else body).encode()
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Cache-Control", "no-store")
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def _form(self) -> dict[str, str]:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode()
                return {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}

            def do_GET(self) -> None:
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path == "/favicon.ico":  # browsers ask; a 404 logs a console error
                    self._send(204, "", ctype="image/x-icon")
                elif url.path == "/.well-known/openid-configuration":
                    self._send(200, server.discovery())
                elif url.path == "/authorize":
                    server.events.append({"endpoint": "authorize", "query": query})
                    error = server.check_authorize(query)
                    if error:
                        self._send(400, {"error": error})
                    else:
                        self._send(200, server.login_form(query), ctype="text/html")
                elif url.path == "/userinfo":
                    auth = self.headers.get("Authorization", "")
                    server.events.append({"endpoint": "userinfo", "authorization": auth})
                    token = server._tokens.get(auth.removeprefix("Bearer ").strip())
                    if not auth.startswith("Bearer ") or token is None:
                        self._send(401, {"error": "invalid_token"},
                                   headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
                    else:
                        self._send(200, server.accounts[token["user"]].claims)
                else:
                    self._send(404, {"error": "not_found"})

            def do_POST(self) -> None:
                url = urlparse(self.path)
                form = self._form()
                if url.path == "/authorize":
                    status, body, headers = server.login(form)
                    self._send(status, body, ctype="text/html", headers=headers)
                elif url.path == "/token":
                    basic = self.headers.get("Authorization", "")
                    server.events.append({"endpoint": "token", "form": form,
                                          "authorization": basic})
                    status, body = server.token(form, basic)
                    self._send(status, body)
                else:
                    self._send(404, {"error": "not_found"})

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()

    # -- protocol ------------------------------------------------------------------------------

    def discovery(self) -> dict[str, Any]:
        return {"issuer": self.issuer, "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "userinfo_endpoint": f"{self.issuer}/userinfo",
                "response_types_supported": ["code"],
                "grant_types_supported": ["authorization_code"],
                "token_endpoint_auth_methods_supported": ["client_secret_post",
                                                          "client_secret_basic"],
                "id_token_signing_alg_values_supported": ["HS256"],
                "subject_types_supported": ["public"]}

    def check_authorize(self, query: dict[str, str]) -> str:
        if query.get("response_type") != "code":
            return "unsupported_response_type"
        if query.get("client_id") != self.client_id:
            return "unauthorized_client"
        if query.get("redirect_uri") != self.redirect_uri:
            return "invalid_request: redirect_uri is not registered"
        return ""

    def login_form(self, query: dict[str, str], error: str = "") -> str:
        hidden = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                         for k, v in query.items())
        return (f"<!DOCTYPE html><html><head><title>Test IdP</title></head><body>"
                f'<h1>Test identity provider</h1><p class="idp-error">{html.escape(error)}</p>'
                f'<form method="post" action="/authorize">{hidden}'
                f'<input name="username" id="idp-user"><input name="password" type="password" '
                f'id="idp-password"><button type="submit" id="idp-login">Sign in</button>'
                f"</form></body></html>")

    def login(self, form: dict[str, str]) -> tuple[int, str, dict[str, str]]:
        query = {k: v for k, v in form.items() if k not in ("username", "password")}
        error = self.check_authorize(query)
        if error:
            return 400, error, {}
        account = self.accounts.get(form.get("username", ""))
        if account is None or not hmac.compare_digest(account.password,
                                                      form.get("password", "")):
            return 200, self.login_form(query, "Wrong user name or password."), {}
        code = secrets.token_urlsafe(24)
        self._codes[code] = {"user": form["username"], "client_id": query["client_id"],
                             "redirect_uri": query["redirect_uri"],
                             "scope": query.get("scope", ""), "expires": time.time() + 60}
        sep = "&" if "?" in query["redirect_uri"] else "?"
        target = query["redirect_uri"] + sep + urlencode(
            {"code": code, **({"state": query["state"]} if "state" in query else {})})
        return 302, "", {"Location": target}

    def token(self, form: dict[str, str], basic: str) -> tuple[int, dict[str, Any]]:
        client_id, client_secret = form.get("client_id", ""), form.get("client_secret", "")
        if basic.startswith("Basic "):
            client_id, _, client_secret = base64.b64decode(basic[6:]).decode().partition(":")
        if client_id != self.client_id or not hmac.compare_digest(client_secret,
                                                                  self.client_secret):
            return 401, {"error": "invalid_client"}
        if form.get("grant_type") != "authorization_code":
            return 400, {"error": "unsupported_grant_type"}
        grant = self._codes.pop(form.get("code", ""), None)  # single use
        if grant is None or grant["expires"] < time.time():
            return 400, {"error": "invalid_grant", "error_description": "unknown or used code"}
        if grant["client_id"] != client_id or form.get("redirect_uri") != grant["redirect_uri"]:
            return 400, {"error": "invalid_grant", "error_description": "redirect_uri mismatch"}
        access = secrets.token_urlsafe(32)
        self._tokens[access] = {"user": grant["user"]}
        body: dict[str, Any] = {"access_token": access, "token_type": "Bearer",
                                "expires_in": 3600, "scope": grant["scope"]}
        if "openid" in grant["scope"].split():
            now = int(time.time())
            body["id_token"] = sign_hs256({
                "iss": self.issuer, "aud": client_id, "iat": now, "exp": now + 3600,
                **self.accounts[grant["user"]].claims}, self.client_secret)
        return 200, body

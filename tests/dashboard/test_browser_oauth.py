"""OAuth login in headless Chromium against a real authorization server on loopback.

The flow is the real one end to end: the dashboard redirects to the provider's
``/authorize``, the user signs in there, the provider redirects back with a code, Panel's
generic OAuth handler exchanges it at ``/token`` with the client secret and reads the user
from ``/userinfo`` (or from the ID token when ``openid`` is requested). Listed users get their
role; a read-only user sees everything and changes nothing; an unlisted user gets no page.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.dashboard.conftest import Browser, seeded_store, settings_for, wait_until
from tests.dashboard.oidc_server import Account, OIDCServer
from workbench.dashboard import Role, serve_dashboard
from workbench.dashboard.oauth import OAuthConfig
from workbench.dashboard.server import free_port
from workbench.store import ledger

pytestmark = pytest.mark.integration

SECRET = "s3cret-client-secret"
ACCOUNTS = {
    "alice@example.org": Account("alice-pw", {"sub": "1", "email": "alice@example.org",
                                              "name": "Alice"}),
    "bob@example.org": Account("bob-pw", {"sub": "2", "email": "bob@example.org",
                                          "name": "Bob"}),
    "carol@example.org": Account("carol-pw", {"sub": "3", "email": "carol@example.org",
                                              "name": "Carol"}),
}


def _serve(folder: Any, *, scopes: tuple[str, ...]) -> dict[str, Any]:
    store, seed, url = seeded_store(folder)
    port = free_port()
    idp = OIDCServer(client_id="workbench-dashboard", client_secret=SECRET,
                     redirect_uri=f"http://127.0.0.1:{port}/login", accounts=ACCOUNTS).start()
    oauth = OAuthConfig(client_id="workbench-dashboard", client_secret=SECRET,
                        authorize_url=f"{idp.issuer}/authorize", token_url=f"{idp.issuer}/token",
                        userinfo_url=f"{idp.issuer}/userinfo", scopes=scopes,
                        users={"alice@example.org": Role.OPERATOR,
                               "bob@example.org": Role.READONLY})
    settings = settings_for(url, folder, cookie_secret="oauth-cookie-secret-0123456789")
    server = serve_dashboard(settings, port, threaded=True, address="127.0.0.1",
                             refresh_ms=250, oauth=oauth)
    return {"store": store, "seed": seed, "url": server.url, "server": server, "idp": idp}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    served = _serve(tmp_path_factory.mktemp("dash-oauth"), scopes=("profile", "email"))
    yield served
    served["server"].stop()
    served["idp"].stop()


def sign_in(browser: Browser, served: dict[str, Any], user: str, *,
            slug: str = "strategies") -> Any:
    """Open the dashboard, land on the provider's form, sign in there."""
    page = browser.page()
    page.goto(f"{served['url']}?page={slug}")
    page.wait_for_selector("#idp-user", timeout=30_000)
    assert page.url.startswith(served["idp"].issuer + "/authorize?")
    page.fill("#idp-user", user)
    page.fill("#idp-password", ACCOUNTS[user].password)
    page.click("#idp-login")
    return page


def test_operator_signs_in_through_the_provider_and_acts(browser: Browser,
                                                          served: dict[str, Any]) -> None:
    """Authorization code flow: code exchanged at /token with the client secret, user read
    from /userinfo with the access token; the operator's Stop is queued under their name."""
    idp, store = served["idp"], served["store"]
    idp.events.clear()
    browser.errors.clear()
    page = sign_in(browser, served, "alice@example.org")
    page.wait_for_selector(".wb-table-strategies >> text=grid-sol", timeout=30_000)
    assert page.url.startswith(served["url"])
    assert "alice@example.org" in page.locator('[data-testid="status-user"]').inner_text()
    assert "(operator)" in page.locator('[data-testid="status-user"]').inner_text()
    kinds = [e["endpoint"] for e in idp.events]
    assert kinds == ["authorize", "token", "userinfo"]
    authorize, token, userinfo = idp.events
    assert authorize["query"]["client_id"] == "workbench-dashboard"
    assert authorize["query"]["state"]  # Panel's CSRF state, checked on the way back
    assert token["form"]["grant_type"] == "authorization_code"
    assert token["form"]["client_secret"] == SECRET
    assert userinfo["authorization"].startswith("Bearer ")
    page.locator(".wb-strategy select").select_option("grid-sol")
    page.locator(".wb-stop button").click()
    rows = wait_until(lambda: (f := ledger.load_commands(store))[
        f["command"] == "stop_strategy"].to_dict("records"))
    assert rows[0]["actor"] == "alice@example.org"
    assert browser.errors == []
    page.context.close()


def test_readonly_user_sees_everything_and_changes_nothing(browser: Browser,
                                                           served: dict[str, Any]) -> None:
    """Bob is listed read-only: the values are there, every control is disabled, and a
    forged click (button re-enabled in the browser) is refused by the server and audited."""
    store = served["store"]
    before = len(ledger.load_commands(store))
    page = sign_in(browser, served, "bob@example.org")
    page.wait_for_selector('[data-testid="readonly"]', timeout=30_000)
    page.wait_for_selector(".wb-table-strategies >> text=grid-sol", timeout=10_000)
    assert "(readonly)" in page.locator('[data-testid="status-user"]').inner_text()
    for css in (".wb-stop button", ".wb-start button", ".wb-apply-params button"):
        assert page.locator(css).is_disabled(), css
    assert page.evaluate("""() => {
        for (const doc of Bokeh.documents) for (const m of doc.all_models) {
            if ((m.css_classes || []).includes('wb-stop')) { m.disabled = false; return true }
        }
        return false }""")
    wait_until(lambda: page.locator(".wb-stop button").is_enabled(), timeout_s=5)
    page.locator(".wb-stop button").click()
    page.wait_for_selector("text=cannot stop_strategy", timeout=5000)
    assert len(ledger.load_commands(store)) == before
    audit = ledger.load_audit(store)
    assert "bob@example.org" in set(audit[audit["action"] == "refused:stop_strategy"]["actor"])
    page.goto(f"{served['url']}?page=overview")
    page.wait_for_selector('[data-testid="equity"]', timeout=30_000)
    assert page.locator('[data-testid="equity"]').inner_text().strip() != ""
    page.context.close()


def test_unlisted_user_gets_no_page(browser: Browser, served: dict[str, Any]) -> None:
    """Carol authenticates at the provider but is not in the user list: 403, no values."""
    page = sign_in(browser, served, "carol@example.org", slug="overview")
    page.wait_for_selector("text=not authorized", timeout=30_000)
    assert page.locator('[data-testid="ssr-equity"]').count() == 0
    assert page.locator('[data-testid="equity"]').count() == 0
    page.context.close()


def test_wrong_password_at_the_provider_stays_there(browser: Browser,
                                                    served: dict[str, Any]) -> None:
    page = browser.page()
    page.goto(served["url"])
    page.wait_for_selector("#idp-user", timeout=30_000)
    page.fill("#idp-user", "alice@example.org")
    page.fill("#idp-password", "wrong")
    page.click("#idp-login")
    page.wait_for_selector("text=Wrong user name or password", timeout=10_000)
    assert page.url.startswith(served["idp"].issuer)
    page.context.close()

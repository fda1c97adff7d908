"""The dashboard with users configured: login required, read-only users cannot act (neither
through the disabled UI nor through a forged request), operators can, and are audited."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.dashboard.conftest import Browser, seeded_store, settings_for, wait_until
from workbench.dashboard import hash_password, serve_dashboard
from workbench.store import ledger

pytestmark = pytest.mark.integration

USERS = {"ops": "correct horse", "viewer": "battery staple"}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("dash-auth")
    store, seed, url = seeded_store(folder)
    settings = settings_for(url, folder, users={
        "ops": hash_password(USERS["ops"]),
        "viewer": hash_password(USERS["viewer"], scheme="pbkdf2")},
        readonly_users=("viewer",), cookie_secret="test-cookie-secret-0123456789")
    server = serve_dashboard(settings, 0, threaded=True, address="127.0.0.1", refresh_ms=250)
    yield {"store": store, "seed": seed, "url": server.url, "server": server}
    server.stop()


def login(browser: Browser, served: dict[str, Any], user: str, password: str,
          slug: str = "strategies") -> Any:
    page = browser.page()
    page.goto(f"{served['url']}?page={slug}")
    page.wait_for_selector("input[name=username]", timeout=30_000)
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    return page


def test_login_is_required(browser: Browser, served: dict[str, Any]) -> None:
    """Without a login cookie the dashboard answers with the login page, and a wrong password
    is refused."""
    assert not served["server"].is_local_only
    page = login(browser, served, "ops", "wrong password")
    page.wait_for_selector("text=Invalid username or password", timeout=10_000)
    assert "/login" in page.url
    assert page.locator('[data-testid="status-breaker"]').count() == 0
    page = login(browser, served, "nobody", USERS["ops"])
    page.wait_for_selector("text=Invalid username or password", timeout=10_000)
    page.context.close()


def test_readonly_user_sees_but_cannot_act(browser: Browser, served: dict[str, Any]) -> None:
    """A read-only user sees the strategies with every control disabled; re-enabling the Stop
    button in the browser and clicking it is refused by the server and audited."""
    store = served["store"]
    browser.errors.clear()
    page = login(browser, served, "viewer", USERS["viewer"])
    page.wait_for_selector('[data-testid="readonly"]', timeout=30_000)
    page.wait_for_selector(".wb-table-strategies >> text=grid-sol", timeout=10_000)
    assert "viewer" in page.locator('[data-testid="status-user"]').inner_text()
    for css in (".wb-stop button", ".wb-start button", ".wb-apply-params button"):
        assert page.locator(css).is_disabled(), css
    # forge: flip the button's model to enabled in the browser and click it
    forged = page.evaluate("""() => {
        for (const doc of Bokeh.documents) for (const m of doc.all_models) {
            if ((m.css_classes || []).includes('wb-stop')) { m.disabled = false; return true }
        }
        return false }""")
    assert forged
    wait_until(lambda: page.locator(".wb-stop button").is_enabled(), timeout_s=5)
    page.locator(".wb-stop button").click()
    page.wait_for_selector("text=cannot stop_strategy", timeout=5000)
    assert ledger.load_commands(store).empty
    audit = ledger.load_audit(store)
    refused = audit[audit["action"] == "refused:stop_strategy"]
    assert list(refused["actor"]) == ["viewer"]
    page.goto(f"{served['url']}?page=risk")
    page.wait_for_selector(".wb-table-limits >> text=max_order_notional", timeout=10_000)
    for css in (".wb-kill button", ".wb-reset-breaker button", ".wb-set-limit button"):
        assert page.locator(css).is_disabled(), css
    assert browser.errors == []
    page.context.close()


def test_operator_acts_and_is_audited(browser: Browser, served: dict[str, Any]) -> None:
    """An operator's Stop reaches the store as a command with the operator's name."""
    store = served["store"]
    page = login(browser, served, "ops", USERS["ops"])
    page.wait_for_selector(".wb-table-strategies >> text=grid-sol", timeout=30_000)
    assert page.locator('[data-testid="readonly"]').count() == 0
    page.locator(".wb-strategy select").select_option("grid-sol")
    page.locator(".wb-stop button").click()
    frame = wait_until(lambda: (f := ledger.load_commands(store))[
        f["command"] == "stop_strategy"].to_dict("records"))
    assert frame[0]["actor"] == "ops"
    assert frame[0]["args"] == {"strategy": "grid-sol"}
    page.context.close()

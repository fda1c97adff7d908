"""OIDC login where the token endpoint returns an ID token (scope ``openid``): the user comes
from its claims and the userinfo endpoint is not called. A module of its own: Panel's OAuth
settings are process-wide, so each OAuth dashboard runs alone."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.dashboard.conftest import Browser
from tests.dashboard.test_browser_oauth import _serve, sign_in

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    served = _serve(tmp_path_factory.mktemp("dash-oidc"), scopes=("openid", "email", "profile"))
    yield served
    served["server"].stop()
    served["idp"].stop()


def test_id_token_names_the_user(browser: Browser, served: dict[str, Any]) -> None:
    idp = served["idp"]
    page = sign_in(browser, served, "bob@example.org", slug="overview")
    page.wait_for_selector('[data-testid="readonly"]', timeout=30_000)
    assert "bob@example.org" in page.locator('[data-testid="status-user"]').inner_text()
    assert [e["endpoint"] for e in idp.events] == ["authorize", "token"]
    assert "openid" in idp.events[0]["query"]["scope"].split()
    page.context.close()


def test_panel_oauth_settings_are_restored_on_stop(served: dict[str, Any]) -> None:
    """Stopping an OAuth dashboard puts Panel's process-wide OAuth settings back, so a later
    dashboard in the process (password login, or none) is not sent to the provider."""
    import panel as pn

    assert pn.config.oauth_provider == "generic"
    served["server"].stop()
    assert pn.config.oauth_provider is None
    assert pn.config.authorize_callback is None
    assert pn.config.oauth_extra_params == {}

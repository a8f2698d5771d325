"""Point 18 in a real browser: the lounge works under its Content-Security-Policy."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from tests.test_browser import _sign_in, lounge  # noqa: F401  (a fixture, used by name)

pytestmark = pytest.mark.browser


def test_every_client_page_runs_under_the_content_security_policy(dash_duo, lounge):  # noqa: F811
    app, _world = lounge
    _sign_in(dash_duo, app, "client@a.test")
    dash_duo.wait_for_element("#overview-status", timeout=20)
    for page in ("consumption", "contracts", "billing", "reports"):
        dash_duo.driver.get(f"{dash_duo.server_url}/{page}")
        dash_duo.wait_for_element("#shell-nav-overview", timeout=20)
        # the page's own content came: its callbacks (some clientside) ran
        dash_duo.wait_for_element(f"[id^='{page}-']", timeout=20)
    dash_duo.driver.find_element(By.CSS_SELECTOR, "#shell-nav-overview").click()
    dash_duo.wait_for_element("#overview-status", timeout=20)
    logs = dash_duo.driver.get_log("browser")
    violations = [e["message"] for e in logs if "Content Security Policy" in e["message"]]
    assert violations == []
    assert [e for e in logs if e["level"] == "SEVERE"] == []

    # and the policy is really in force: an injected inline script is refused
    inject = (
        "var s = document.createElement('script'); s.textContent = 'window.injected = 1';"
        "document.body.appendChild(s); return window.injected === undefined;"
    )
    assert dash_duo.driver.execute_script(inject)
    later = dash_duo.driver.get_log("browser")
    assert any("Content Security Policy" in e["message"] for e in later)

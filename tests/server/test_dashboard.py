"""The dashboard in headless Chromium: login through the form (admin token or developer session),
charts drawn, logout; no credential in any URL."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.server.conftest import ADMIN_TOKEN, PASSWORD

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser(running):
    """Chromium with data in the store: both developers' end users created memories."""
    for name, users in (("A", ["alice", "bob", "charlie"]), ("B", ["diana", "eve"])):
        for user in users:
            running.client.post(
                "/v1/memories",
                headers={"X-API-Key": running.devs[name].key},
                json={"content": "dash", "metadata": {"external_user_id": user}},
            )
    running.flush()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _login(page, url: str, token: str):
    """Log in through the form; the response of the page it lands on."""
    page.goto(f"{url}/dashboard/login")
    page.fill("input[name=token]", token)
    with page.expect_navigation() as nav:
        page.click("button[type=submit]")
    return nav.value


def _traces(page) -> int:
    page.wait_for_selector(".js-plotly-plot .main-svg", timeout=20_000)
    return page.locator(".js-plotly-plot g.trace").count()


def test_admin_dashboard_draws_charts(running, browser):
    """Logging in with the admin token through the form sets a session cookie (no token in the
    URL, the cookie is not the token) and every chart draws data."""
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    response = _login(page, running.url, ADMIN_TOKEN)
    assert response.status == 200 and page.url.endswith("/dashboard")
    [cookie] = page.context.cookies()
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert ADMIN_TOKEN not in cookie["value"] and ADMIN_TOKEN not in page.url
    assert _traces(page) >= 4
    assert ADMIN_TOKEN not in page.content()
    assert page.locator("h2", has_text="top-developers").count() == 1
    assert running.devs["A"].id in page.content() and running.devs["B"].id in page.content()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard-admin.png"), full_page=True)
    again = page.goto(f"{running.url}/dashboard")  # the cookie keeps the login
    assert again.status == 200
    page.close()


def test_developer_session_dashboard_is_scoped(running, browser):
    """A developer's session token shows that developer's charts and nobody else's IDs."""
    b = running.devs["B"]
    token = running.client.post(
        "/v1/auth/sessions", json={"email": b.email, "password": PASSWORD}
    ).json()["token"]
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    response = _login(page, running.url, token)
    assert response.status == 200 and token not in page.url
    assert _traces(page) >= 2
    html = page.content()
    assert b.id in html and running.devs["A"].id not in html
    page.screenshot(path=str(ARTIFACTS / "dashboard-developer.png"), full_page=True)
    page.close()


def _daily_chart(page) -> tuple[int, str]:
    """The developer-daily-events section: its number of bar traces and its text (legend)."""
    section = page.locator("section", has=page.locator("h2", has_text="developer-daily-events"))
    text = section.inner_text()
    assert "events per day per developer" in text
    return section.locator("g.trace.bars").count(), text


def test_daily_events_chart_stacks_one_bar_trace_per_developer(running, browser):
    """The "events per day per developer" chart draws a bar trace for each of A and B for the
    admin, and only B's for B's session."""
    b = running.devs["B"]
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    _login(page, running.url, ADMIN_TOKEN)
    _traces(page)
    bars, legend = _daily_chart(page)
    assert bars >= 2 and running.devs["A"].id in legend and b.id in legend
    page.close()
    token = running.client.post(
        "/v1/auth/sessions", json={"email": b.email, "password": PASSWORD}
    ).json()["token"]
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    _login(page, running.url, token)
    _traces(page)
    bars, legend = _daily_chart(page)
    assert bars == 1 and b.id in legend and running.devs["A"].id not in legend
    page.close()


def test_dashboard_refuses_strangers(running, browser):
    """Without a login, with a wrong token, or with the token in the URL (the old way), the
    dashboard is a 401 JSON error."""
    page = browser.new_page()
    assert page.goto(f"{running.url}/dashboard").status == 401
    assert page.goto(f"{running.url}/dashboard?token={ADMIN_TOKEN}").status == 401
    wrong = _login(page, running.url, "not-a-token")
    assert wrong.status == 401 and "not-a-token" not in page.content()
    page.close()


def test_logout_ends_the_session_on_the_server(running, browser):
    """The logout button deletes the session server-side: the old cookie, replayed, is 401."""
    page = browser.new_page()
    _login(page, running.url, ADMIN_TOKEN)
    [cookie] = page.context.cookies()
    with page.expect_navigation():
        page.click("text=Log out")
    assert page.url.endswith("/dashboard/login") and page.context.cookies() == []
    replay = running.client.get("/dashboard", cookies={cookie["name"]: cookie["value"]})
    assert replay.status_code == 401
    page.close()


def test_the_dashboard_lists_come_from_the_query_registry():
    """Every registry query is on one of the two dashboards; the developer's shows only
    user-level queries about one developer (never top-developers, never installation-wide
    counts), and each query that needs a developer is there."""
    from tenantry.server.dashboard import ADMIN_QUERIES, DEVELOPER_QUERIES
    from tenantry.store.queries import DEFINITIONS

    assert set(ADMIN_QUERIES) | set(DEVELOPER_QUERIES) == set(DEFINITIONS)
    assert "top-developers" in ADMIN_QUERIES and "top-developers" not in DEVELOPER_QUERIES
    assert all(DEFINITIONS[name].cloud for name in DEVELOPER_QUERIES)
    assert {n for n, q in DEFINITIONS.items() if q.needs_developer} <= set(DEVELOPER_QUERIES)
    assert not {n for n, q in DEFINITIONS.items() if q.needs_developer} & set(ADMIN_QUERIES)

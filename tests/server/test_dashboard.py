"""The dashboard in headless Chromium, as an operator and a developer use it: the login redirect,
KPI tiles that equal the report queries for the same range and follow the range control (by
keyboard too), charts with their numbers behind a toggle, the developer lookup, every developer
link, the docs; page weight, cached assets and no request leaving the server.

Screenshots of every page go to ``test-artifacts/dashboard/`` (the README names the folder).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import sync_playwright

from tenantry.store.queries import run_query
from tests.server.conftest import ADMIN_TOKEN, PASSWORD, start, stop

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "dashboard"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
USERS = {"A": ["alice", "bob", "charlie"], "B": ["diana", "eve"]}
PAGE_BUDGET = 150_000  # bytes of /dashboard HTML


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A cloud server of its own: today both developers' end users created memories and A sent
    four requests the API refused (422); 20 days ago B's end user frank created six memories
    (so the last 7 and the last 30 days differ)."""
    server, running = start(tmp_path_factory.mktemp("dash"))
    for name, users in USERS.items():
        for user in users:
            r = running.client.post(
                "/v1/memories",
                headers={"X-API-Key": running.devs[name].key},
                json={"content": "dash", "metadata": {"external_user_id": user}},
            )
            assert r.status_code == 201
    for _ in range(4):
        r = running.client.post(
            "/v1/memories", headers={"X-API-Key": running.devs["A"].key}, json={"nope": 1}
        )
        assert r.status_code == 422
    b = running.devs["B"]
    frank = running.identity.resolve_end_user(b.id, "frank")
    then = datetime.now(UTC) - timedelta(days=20)
    for i in range(6):
        running.telemetry.track_sync(
            "memory_created",
            {"type": "text"},
            user_id=frank,
            developer_id=b.id,
            timestamp=then + timedelta(minutes=i),
        )
    running.flush()
    SHOTS.mkdir(parents=True, exist_ok=True)
    yield running
    stop(server, running)


@pytest.fixture(scope="module")
def chromium(site):
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Watched:
    """A browser page whose every request is recorded; any host but the server's is a failure."""

    def __init__(self, browser, url: str) -> None:
        self.origin = urlsplit(url).netloc
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.responses: dict[str, object] = {}
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("response", lambda r: self.responses.__setitem__(r.url, r))

    def outside(self) -> list[str]:
        return [
            u
            for u in self.requests
            if urlsplit(u).scheme in ("http", "https") and urlsplit(u).netloc != self.origin
        ]

    def close(self) -> None:
        assert self.outside() == [], "requests left the server"
        self.context.close()


def _login(w: Watched, url: str, token: str, path: str = "/dashboard") -> None:
    """Open ``path`` without a session: the browser is sent to the login form, which brings it
    back to ``path`` once the token is accepted."""
    w.page.goto(url + path)
    assert urlsplit(w.page.url).path == "/dashboard/login" and "next=" in w.page.url
    w.page.fill("input[name=token]", token)
    with w.page.expect_navigation():
        w.page.click("button[type=submit]")
    assert urlsplit(w.page.url).path == path.split("?")[0]


def _tiles(page) -> dict[str, float]:
    """The tiles as the page shows them: their text, checked against their data-value."""
    out = {}
    for tile in page.locator("[data-kpi]").all():
        key, value = tile.get_attribute("data-kpi"), float(tile.get_attribute("data-value"))
        text = tile.locator(".value").inner_text()
        if key != "error_rate":
            assert float(text.replace(",", "")) == value, key
        out[key] = value
    return out


def _page_range(page) -> tuple[str, str]:
    label = page.locator(".range-label")
    return label.get_attribute("data-since"), label.get_attribute("data-until")


def _reports(store, since: str, until: str, developer: str | None = None) -> dict:
    """What the report queries say for the range: the overview row and the other reports' sums."""
    kw = {"since": since, "until": until, "developer": developer}
    [tiles] = run_query(store, "overview", **kw)["rows"]
    daily = run_query(store, "developer-daily-events", **kw)["rows"]
    users = run_query(store, "top-developers", since=since, until=until)["rows"]
    usage = run_query(store, "api-usage", **kw)["rows"]
    monthly = run_query(store, "monthly-usage", **kw)["rows"]
    assert tiles["events"] == sum(r["count"] for r in daily)
    assert tiles["api_requests"] == sum(r["requests"] for r in usage)
    assert tiles["memories"] == sum(r["memories"] for r in monthly)
    if developer is None:
        assert tiles["end_users"] == sum(r["unique_end_users"] for r in users)
        assert tiles["developers"] == len(users)
    return tiles


def _charts_have_text_alternatives(page) -> int:
    """Every drawn chart has its numbers as a table behind a toggle that opens; returns how
    many charts were drawn."""
    page.wait_for_selector("[data-figure] .main-svg", timeout=20_000)
    figures = page.locator("section.chart:has([data-figure])")
    for i in range(figures.count()):
        section = figures.nth(i)
        assert section.locator("[data-figure] .main-svg").count() >= 1
        toggle = section.locator("details.numbers")
        assert toggle.count() == 1 and not toggle.locator("table").is_visible()
        toggle.locator("summary").click()
        assert toggle.locator("table tbody tr").count() >= 1
        assert toggle.locator("table").is_visible()
    return figures.count()


def test_admin_overview_tiles_match_reports_and_follow_the_range(site, chromium):
    """The admin is sent to the login form and back; the tiles equal the report queries for the
    page's range (7 days), every chart draws and has its table behind a toggle; the range
    control works from the keyboard (30 days: B's older memories appear) and as a custom form;
    the page is at most 150 KB, plotly.js comes gzipped and cached for a year from the server,
    and nothing is requested from anywhere else."""
    w = Watched(chromium, site.url)
    page = w.page
    _login(w, site.url, ADMIN_TOKEN)
    since, until = _page_range(page)
    assert page.locator(".range a[aria-current]").inner_text() == "last 7 days"
    week = _tiles(page)
    want = _reports(site.state.store, since, until)
    assert {k: week[k] for k in want if k in week} == {k: want[k] for k in want if k in week}
    assert (week["memories"], week["developers"], week["end_users"]) == (5, 2, 5)
    assert page.locator("[data-kpi=error_rate] .detail").inner_text() == "4xx: 4 · 5xx: 0"
    assert _charts_have_text_alternatives(page) >= 5
    assert page.locator("h2", has_text="Events per day").count() == 1
    assert "developer@company.com" in page.locator("#top-developers").inner_text()
    page.screenshot(path=str(SHOTS / "overview-admin-7d.png"), full_page=True)

    html_response = w.responses[page.url]
    body = html_response.body()
    assert len(body) <= PAGE_BUDGET, f"/dashboard is {len(body):,} bytes"
    [plotly] = [r for u, r in w.responses.items() if "/static/plotly-" in u]
    headers = plotly.headers
    assert headers["content-encoding"] == "gzip"
    max_age = int(headers["cache-control"].split("max-age=")[1].split(",")[0])
    assert max_age >= 86_400

    # the range control by keyboard: Tab to "last 30 days", Enter
    page.locator(".range a", has_text="last 7 days").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "last 30 days"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "range=30d" in page.url
    month = _tiles(page)
    since, until = _page_range(page)
    assert (
        month["memories"]
        == week["memories"] + 6
        == _reports(site.state.store, since, until)["memories"]
    )
    page.screenshot(path=str(SHOTS / "overview-admin-30d.png"), full_page=True)

    # a custom range: today alone
    today = datetime.now(UTC).date().isoformat()
    page.fill(".range input[name=since]", today)
    page.fill(".range input[name=until]", today)
    with page.expect_navigation():
        page.click(".range button[type=submit]")
    assert f"since={today}" in page.url and f"until={today}" in page.url
    assert _tiles(page)["memories"] == _reports(site.state.store, today, today)["memories"] == 5
    page.goto(site.url + "/dashboard?range=24h")
    assert _tiles(page)["events"] == _reports(site.state.store, *_page_range(page))["events"]
    w.close()


def test_lookup_links_docs_and_error_pages(site, chromium):
    """The lookup finds B by email and shows B's events (frank by B's own ID); every developer
    link on the overview opens that developer; /docs, /redoc and / load from this server
    alone; an unknown page is an HTML page."""
    w = Watched(chromium, site.url)
    page = w.page
    _login(w, site.url, ADMIN_TOKEN, "/dashboard/developers")
    b = site.devs["B"]
    page.fill("input[name=q]", b.email)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert urlsplit(page.url).path == f"/dashboard/developers/{b.id}"
    assert page.locator("h1").inner_text() == b.email and b.id in page.locator("dl").inner_text()
    page.goto(page.url.split("?")[0] + "?range=30d")
    timeline = page.locator("#recent-events").inner_text()
    assert timeline.count("memory_created") == 8 and "frank" in timeline and "diana" in timeline
    assert "frank" in page.locator("#end-user-activity").inner_text()
    assert "tnt_" in page.locator("#keys").inner_text()
    page.screenshot(path=str(SHOTS / "developer-page.png"), full_page=True)

    page.goto(site.url + "/dashboard/developers?q=company")
    assert page.locator("table a", has_text="developer@company.com").count() == 1
    page.screenshot(path=str(SHOTS / "developer-search.png"), full_page=True)

    page.goto(site.url + "/dashboard?range=30d")
    links = {}
    for a in page.locator("a[href^='/dashboard/developers/dev_']").all():
        links[a.get_attribute("href")] = (a.text_content(), a.get_attribute("title"))
    assert len({title for _, title in links.values()}) == 2
    for href, (email, dev_id) in links.items():
        page.goto(site.url + href)
        assert page.locator("h1").inner_text() == email
        assert dev_id in page.locator("dl.profile").inner_text()

    page.goto(site.url + "/docs")
    page.wait_for_selector(".swagger-ui .information-container", timeout=20_000)
    page.screenshot(path=str(SHOTS / "docs.png"))
    page.goto(site.url + "/redoc")
    page.wait_for_selector("redoc .api-content, .api-content", timeout=20_000)
    page.goto(site.url + "/")
    assert page.locator("a[href='/dashboard']").count() == 1
    page.screenshot(path=str(SHOTS / "landing.png"))
    response = page.goto(site.url + "/nowhere")
    assert response.status == 404 and "Not found" in page.locator("h1").inner_text()
    w.close()


def test_developer_sees_own_data_only_and_logs_out(site, chromium):
    """A developer's session shows their own tiles (equal to the reports scoped to them) and
    end users by their own IDs, nobody else's; the lookup sends them to their own page and
    another developer's page is not found; a wrong token gets the form back; Log out ends the
    session on the server."""
    a, b = site.devs["A"], site.devs["B"]
    token = site.client.post(
        "/v1/auth/sessions", json={"email": b.email, "password": PASSWORD}
    ).json()["token"]
    w = Watched(chromium, site.url)
    page = w.page
    page.goto(site.url + "/dashboard/login")
    page.fill("input[name=token]", "not-a-token")
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert page.locator("[role=alert]").inner_text().startswith("That token is not valid")
    assert "not-a-token" not in page.content()
    _login(w, site.url, token)
    tiles = _tiles(page)
    want = _reports(site.state.store, *_page_range(page), developer=b.id)
    assert "developers" not in tiles
    [memories] = run_query(
        site.state.store, "developer-memories", developer=b.id, since=_page_range(page)[0]
    )["rows"]
    assert tiles["memories"] == memories["count"] == 2
    assert {k: tiles[k] for k in ("events", "memories", "end_users")} == {
        k: want[k] for k in ("events", "memories", "end_users")
    }
    html = page.content()
    assert a.id not in html and a.email not in html and not any(u in html for u in USERS["A"])
    assert ">diana</td>" in html
    assert _charts_have_text_alternatives(page) >= 2
    page.screenshot(path=str(SHOTS / "overview-developer.png"), full_page=True)
    page.goto(site.url + "/dashboard/developers?q=company")
    assert urlsplit(page.url).path == f"/dashboard/developers/{b.id}"
    assert page.goto(site.url + f"/dashboard/developers/{a.id}").status == 404
    page.goto(site.url + "/dashboard")
    [cookie] = w.context.cookies()
    with page.expect_navigation():
        page.click("text=Log out")
    assert urlsplit(page.url).path == "/dashboard/login" and w.context.cookies() == []
    replay = site.client.get("/dashboard", cookies={cookie["name"]: cookie["value"]})
    assert replay.status_code == 401 and replay.json()["code"] == "missing_credentials"
    w.close()


def test_dashboard_refuses_strangers(site):
    """Without a login, an API client gets a JSON 401 and a browser the login form (with the
    page to come back to); a token in the URL logs nobody in."""
    r = site.client.get("/dashboard")
    assert r.status_code == 401 and r.json()["code"] == "missing_credentials"
    r = site.client.get(
        "/dashboard/developers?q=x", headers={"Accept": "text/html"}, follow_redirects=False
    )
    assert r.status_code == 303
    assert r.headers["location"] == "/dashboard/login?next=%2Fdashboard%2Fdevelopers%3Fq%3Dx"
    assert site.client.get(f"/dashboard?token={ADMIN_TOKEN}").status_code == 401


def test_every_query_has_a_place_on_the_pages():
    """Each registry query is shown somewhere: on the admin's or a developer's overview, on a
    developer's page, in the opensource part, or as the tiles; developer-memories is the
    memories tile of one developer (the overview query scoped to them)."""
    from tenantry.server.web import views
    from tenantry.store.queries import DEFINITIONS

    shown = {
        *views.ADMIN_OVERVIEW,
        *views.DEVELOPER_OVERVIEW,
        *views.DEVELOPER_PAGE,
        *views.OPENSOURCE,
        views.TILES,
        "installations",
    }
    assert shown | {"developer-memories"} == set(DEFINITIONS)
    assert "top-developers" not in views.DEVELOPER_OVERVIEW
    assert all(DEFINITIONS[n].cloud for n in views.DEVELOPER_OVERVIEW + views.DEVELOPER_PAGE)

"""Analytics over HTTP: tenant isolation by every route, parameter and query string."""

from __future__ import annotations

import pytest

from tenantry.store.queries import QUERIES
from tests.server.conftest import ADMIN_TOKEN

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture(scope="module")
def seeded(running):
    """Both developers created memories for their end users; everything is delivered."""
    for name, users in (("A", ["alice", "bob", "charlie"]), ("B", ["diana", "eve"])):
        for user in users:
            r = running.client.post(
                "/v1/memories",
                headers={"X-API-Key": running.devs[name].key},
                json={"content": f"note of {user}", "metadata": {"external_user_id": user}},
            )
            assert r.status_code == 201
    running.flush()
    return running


class TestIsolation:
    @pytest.mark.parametrize("query", QUERIES)
    def test_key_never_reads_other_developer(self, seeded, query):
        """Developer B's key gets no row of Developer A's from any query, even when it asks
        for A by ?developer= (the parameter is forced to B)."""
        a, b = seeded.devs["A"], seeded.devs["B"]
        for params in ({"developer": a.id}, {"developer": a.id, "developer ": a.id}, {}):
            r = seeded.client.get(
                f"/v1/analytics/{query}", params=params, headers={"X-API-Key": b.key}
            )
            assert r.status_code == 200, r.text
            assert a.id not in r.text
            alice = seeded.identity.resolve_end_user(a.id, "alice")
            assert alice not in r.text

    def test_key_sees_its_own_rows(self, seeded):
        """Developer B's key reads B's own memories: 2 end users, 1 memory each at least."""
        b = seeded.devs["B"]
        r = seeded.client.get("/v1/analytics/memories-per-end-user", headers={"X-API-Key": b.key})
        rows = r.json()["rows"]
        assert r.json()["query"] == "memories-per-end-user"
        assert len(rows) == 2 and all(row["memory_count"] >= 1 for row in rows)

    def test_search_cannot_cross_tenants(self, seeded):
        """B's search never returns A's memories, whatever external_user_id it names."""
        r = seeded.client.post(
            "/v1/memories/search",
            headers={"X-API-Key": seeded.devs["B"].key},
            json={"query": "note of alice", "metadata": {"external_user_id": "alice"}},
        )
        assert r.status_code == 200 and r.json()["results"] == []

    def test_admin_reads_everyone(self, seeded):
        """The admin bearer token sees both developers in top-developers, A first (3 > 2)."""
        r = seeded.client.get("/v1/analytics/top-developers", headers=ADMIN)
        rows = r.json()["rows"]
        ids = [row["developer_id"] for row in rows]
        assert seeded.devs["A"].id in ids and seeded.devs["B"].id in ids
        assert rows[0]["unique_end_users"] >= 3

    def test_admin_developer_filter(self, seeded):
        """The admin may scope a per-developer query with ?developer=."""
        a = seeded.devs["A"]
        r = seeded.client.get(
            "/v1/analytics/developer-memories", params={"developer": a.id}, headers=ADMIN
        )
        assert r.status_code == 200 and r.json()["rows"][0]["count"] >= 3


class TestDeveloperDailyEvents:
    def _rows(self, seeded, headers, **params):
        r = seeded.client.get(
            "/v1/analytics/developer-daily-events", params=params, headers=headers
        )
        assert r.status_code == 200, r.text
        assert r.json()["query"] == "developer-daily-events"
        return r.json()["rows"]

    def test_key_reads_only_its_own_days(self, seeded):
        """B's key asking for A gets only B's rows (developer_id, date, count), B's events
        counted, A's never."""
        a, b = seeded.devs["A"], seeded.devs["B"]
        rows = self._rows(seeded, {"X-API-Key": b.key}, developer=a.id)
        assert rows and {r["developer_id"] for r in rows} == {b.id}
        assert all(set(r) == {"developer_id", "date", "count"} for r in rows)
        everyone = self._rows(seeded, ADMIN)
        assert sum(r["count"] for r in rows) == sum(
            r["count"] for r in everyone if r["developer_id"] == b.id
        )

    def test_admin_sees_both_and_can_restrict(self, seeded):
        """The admin sees A and B, ordered by date then developer_id; ?developer=A leaves A."""
        a, b = seeded.devs["A"], seeded.devs["B"]
        rows = self._rows(seeded, ADMIN)
        assert {a.id, b.id} <= {r["developer_id"] for r in rows}
        keys = [(r["date"], r["developer_id"]) for r in rows]
        assert keys == sorted(keys)
        only_a = self._rows(seeded, ADMIN, developer=a.id)
        assert only_a and {r["developer_id"] for r in only_a} == {a.id}


class TestErrors:
    def test_wrong_bearer(self, seeded):
        """A wrong admin token is a 401 JSON error that does not echo the token."""
        r = seeded.client.get(
            "/v1/analytics/top-developers", headers={"Authorization": "Bearer guess-me-123"}
        )
        assert r.status_code == 401 and "guess-me-123" not in r.text
        assert r.json()["code"] == "invalid_admin_token"

    def test_no_credentials(self, seeded):
        """Analytics without credentials is 401."""
        assert seeded.client.get("/v1/analytics/event-counts").status_code == 401

    def test_far_future_until_is_no_bound(self, seeded):
        """``until=9999-12-31`` (and ``since=0001-01-01``) answer like no bound at all, not a
        500 (it overflowed a datetime in the local store)."""
        plain = seeded.client.get("/v1/analytics/event-counts", headers=ADMIN)
        for params in ({"until": "9999-12-31"}, {"since": "0001-01-01", "until": "9999-12-31"}):
            r = seeded.client.get("/v1/analytics/event-counts", params=params, headers=ADMIN)
            assert r.status_code == 200 and r.json() == plain.json() and plain.json()["rows"]

    def test_unknown_query(self, seeded):
        """An unknown query name is 404 with a JSON body."""
        r = seeded.client.get("/v1/analytics/nope", headers=ADMIN)
        assert r.status_code == 404 and r.json()["code"] == "unknown_query"

    def test_openapi_lists_the_registry(self, seeded):
        """The route's ``query`` parameter in the OpenAPI schema names exactly the registry's
        queries."""
        doc = seeded.client.get("/openapi.json").json()
        [param] = [
            p
            for p in doc["paths"]["/v1/analytics/{query}"]["get"]["parameters"]
            if p["name"] == "query"
        ]
        assert param["schema"]["enum"] == list(QUERIES)

    def test_missing_developer(self, seeded):
        """A per-developer query without a developer (admin) is a 400 QueryError."""
        r = seeded.client.get("/v1/analytics/developer-events", headers=ADMIN)
        assert r.status_code == 400 and r.json()["code"] == "invalid_query"

    def test_bad_date(self, seeded):
        """since after until is a 400; a malformed date is a 422."""
        r = seeded.client.get(
            "/v1/analytics/event-counts",
            params={"since": "2026-02-01", "until": "2026-01-01"},
            headers=ADMIN,
        )
        assert r.status_code == 400
        r = seeded.client.get("/v1/analytics/event-counts", params={"since": "x"}, headers=ADMIN)
        assert r.status_code == 422

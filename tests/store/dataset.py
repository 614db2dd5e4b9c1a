"""A generated, seeded dataset and an independent plain-Python answer to every report query."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from datetime import UTC, date, datetime

from tenantry.events import Event

START = datetime(2026, 9, 1, tzinfo=UTC).timestamp()
DAYS = 60
EVENTS = (
    "memory_created",
    "memory_searched",
    "memory_deleted",
    "session_started",
    "error_occurred",
)
OSES = ("linux", "darwin", "windows")


def generate(
    n: int = 200_000, *, developers: int = 6, end_users: int = 500, seed: int = 7
) -> list[Event]:
    """``n`` events over 60 days, ~60% cloud (developers x end users), ~40% opensource."""
    rnd = random.Random(seed)
    devs = [f"dev_{i:03d}" for i in range(developers)]
    users = [f"usr_{i:04d}" for i in range(end_users)]
    owner = {u: devs[i % developers] for i, u in enumerate(users)}
    pseudonyms = [f"anon_{i:04d}" for i in range(400)]
    events = []
    rand, choice = rnd.random, rnd.choice
    for i in range(n):
        uuid = f"{seed:08x}-0000-4000-8000-{i:012x}"
        ts = START + rand() * DAYS * 86400
        name = choice(EVENTS)
        if rand() < 0.6:
            user = choice(users)
            dev = owner[user]
            if rand() < 0.05:  # session-token requests: developer acting as their own user
                user = dev
            props = {"type": "text", "developer_id": dev, "end_user_id": user}
            events.append(
                Event(uuid, name, dev, ts, "cloud", props, developer_id=dev, end_user_id=user)
            )
        else:
            pid = choice(pseudonyms)
            # a rare OS seen by only two installations: must be folded into "other"
            os_name = "beos" if pid in ("anon_0001", "anon_0002") else OSES[hash(pid) % 3]
            props = {"edition": "opensource", "os": os_name, "version": "1.2.0"}
            events.append(Event(uuid, name, pid, ts, "opensource", props))
    return events


def _day(e: Event) -> date:
    return datetime.fromtimestamp(e.timestamp, UTC).date()


def expected(
    events: list[Event],
    name: str,
    *,
    developer: str | None = None,
    since: date | None = None,
    until: date | None = None,
    min_group_size: int = 5,
) -> dict:
    """The report query ``name`` computed in plain Python (dedupe by uuid first)."""
    seen, rows = set(), []
    for e in events:
        if e.uuid in seen:
            continue
        seen.add(e.uuid)
        if since and _day(e) < since or until and _day(e) > until:
            continue
        rows.append(e)
    cloud = name in (
        "developer-events",
        "developer-memories",
        "top-developers",
        "memories-per-end-user",
        "developer-retention",
        "developer-daily-events",
        "overview",
        "recent-events",
        "end-user-activity",
    )
    if cloud or developer:
        rows = [e for e in rows if e.edition == "cloud"]
    if developer:
        rows = [e for e in rows if e.developer_id == developer]

    def by_count(counter):
        return sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))

    if name in ("developer-events", "event-counts"):
        out = [{"event": k, "count": v} for k, v in by_count(Counter(e.event for e in rows))]
    elif name == "developer-memories":
        out = [{"count": sum(e.event == "memory_created" for e in rows)}]
    elif name == "top-developers":
        users = defaultdict(set)
        for e in rows:
            users[e.developer_id]
            if e.end_user_id:
                users[e.developer_id].add(e.end_user_id)
        counts = {k: len(v) for k, v in users.items()}
        out = [{"developer_id": k, "unique_end_users": v} for k, v in by_count(counts)]
    elif name == "memories-per-end-user":
        c = Counter(e.end_user_id for e in rows if e.event == "memory_created" and e.end_user_id)
        out = [{"end_user_id": k, "memory_count": v} for k, v in by_count(c)]
    elif name == "developer-retention":
        users = defaultdict(set)
        for e in rows:
            users[(_day(e), e.developer_id)].add(e.end_user_id)
        out = [
            {"developer_id": dev, "date": d.isoformat(), "unique_end_users": len(u - {None})}
            for (d, dev), u in sorted(users.items())
        ]
    elif name == "developer-daily-events":
        c = Counter((_day(e), e.developer_id) for e in rows if e.developer_id)
        out = [
            {"developer_id": dev, "date": d.isoformat(), "count": n}
            for (d, dev), n in sorted(c.items())
        ]
    elif name == "overview":
        out = [
            {
                "developers": len({e.developer_id for e in rows if e.developer_id}),
                "end_users": len({e.end_user_id for e in rows if e.developer_id and e.end_user_id}),
                "events": sum(1 for e in rows if e.developer_id),
                "api_requests": 0,  # the dataset has no api_request events (see test_usage)
                "errors_4xx": 0,
                "errors_5xx": 0,
                "memories": sum(e.event == "memory_created" for e in rows if e.developer_id),
            }
        ]
    elif name == "recent-events":
        latest = sorted(rows, key=lambda e: (-e.timestamp, e.uuid))[:50]
        out = [
            {
                "time": datetime.fromtimestamp(int(e.timestamp), UTC)
                .replace(tzinfo=None)
                .isoformat()
                + "Z",
                "event": e.event,
                "end_user_id": e.end_user_id,
                "properties": e.properties,
            }
            for e in latest
        ]
    elif name == "end-user-activity":
        per = defaultdict(list)
        for e in rows:
            if e.end_user_id:
                per[e.end_user_id].append(e)
        ranked = sorted(per.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        out = [
            {
                "end_user_id": user,
                "events": len(evs),
                "memories": sum(e.event == "memory_created" for e in evs),
                "first_day": min(_day(e) for e in evs).isoformat(),
                "last_day": max(_day(e) for e in evs).isoformat(),
            }
            for user, evs in ranked
        ]
    elif name == "installations":
        oss = [e for e in rows if e.edition == "opensource"]
        out = [{"installations": len({e.distinct_id for e in oss}), "events": len(oss)}]
    else:
        key = "edition" if name == "edition-distribution" else "os"
        counts, ids = Counter(), defaultdict(set)
        if key == "os":  # os-distribution describes opensource installations
            rows = [e for e in rows if e.edition == "opensource"]
        for e in rows:
            k = e.edition if key == "edition" else (e.properties.get("os") or "unknown")
            counts[k] += 1
            ids[k].add(e.distinct_id)
        kept = {k: v for k, v in counts.items() if len(ids[k]) >= min_group_size}
        other = sum(v for k, v in counts.items() if k not in kept)
        out = [{key: k, "count": v} for k, v in by_count(kept)]
        if other:
            out.append({key: "other", "count": other})
    return {"query": name, "rows": out}

"""Precision of the opensource rule: the harmless properties real product telemetry sends
(feature and model names, regions, MIME types, versions, HTTP methods, error classes, counts,
durations, ratios, status codes, booleans) leave an opensource installation unchanged."""

from __future__ import annotations

import pytest

from tenantry.counters import Counters
from tenantry.policy import shape
from tests.policy.conftest import chain, make_draft
from tests.policy.harmless_properties import MORE_HARMLESS

# (key, value) pairs as SDKs and product code send them; not chosen to pass.
HARMLESS = [
    # features, kinds, sources
    ("type", "text"), ("memory_type", "document"), ("feature", "semantic_search"),
    ("source", "api"), ("client_type", "sdk"), ("plan", "pro"), ("tier", "free"),
    ("action", "create"), ("mode", "async"), ("strategy", "hybrid"), ("provider", "openai"),
    ("integration", "slack"), ("auth_method", "api_key"), ("sort", "desc"),
    ("storage_backend", "s3"), ("vector_store", "qdrant"), ("chunking", "recursive"),
    ("language", "en"), ("locale", "en-US"), ("theme", "dark"), ("tool", "web_search"),
    ("step", "retrieve"), ("stage", "rerank"), ("cache", "hit"), ("outcome", "success"),
    ("trigger", "cron"), ("queue", "default"), ("framework", "fastapi"), ("runtime", "cpython"),
    ("ui_component", "MemoryList"), ("page", "dashboard"), ("button", "export_csv"),
    # model names
    ("model", "gpt-4o-mini"), ("model", "gpt-4o-2024-08-06"), ("model", "claude-3-5-sonnet-20241022"),
    ("model", "text-embedding-3-small"), ("model", "llama3.1:8b"), ("model", "mistral-large-latest"),
    ("embedding_model", "all-MiniLM-L6-v2"), ("model", "gemini-1.5-pro"), ("model", "o1-preview"),
    ("reranker", "bge-reranker-v2-m3"), ("model", "anthropic.claude-3-haiku-20240307-v1:0"),
    ("tokenizer", "cl100k_base"),
    # regions, platforms
    ("region", "eu-west-1"), ("region", "us-central1"), ("zone", "europe-west4-a"),
    ("cloud", "aws"), ("arch_hint", "arm64"), ("platform", "linux"), ("distro", "ubuntu"),
    ("browser", "Chrome"), ("device_class", "desktop"), ("gpu", "A100"),
    # MIME types and formats
    ("content_type", "application/json"), ("mime", "text/markdown"), ("mime", "image/png"),
    ("mime", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("format", "parquet"), ("encoding", "utf-8"), ("compression", "gzip"),
    # versions
    ("sdk_version", "1.2.3"), ("sdk_version", "2.0.0rc1"), ("api_version", "v1"),
    ("schema_version", 3), ("python", "3.12"), ("node_version", "20.11.1"),
    ("client_version", "0.14.0.dev2"), ("protocol", "HTTP/1.1"), ("tls", "TLSv1.3"),
    ("build", "a1b2c3d"), ("os_version", "10.0.19045"), ("postgres_version", "15.4"),
    # HTTP
    ("method", "GET"), ("method", "POST"), ("status_code", 200), ("status_code", 429),
    ("status_class", "5xx"), ("http_version", "2"), ("retry_after_s", 30),
    # errors
    ("error_class", "TimeoutError"), ("error_class", "ConnectionResetError"),
    ("exception", "requests.exceptions.ReadTimeout"), ("error_code", "rate_limited"),
    ("error_code", "E1001"), ("errno", "ECONNREFUSED"), ("error_type", "ValidationError"),
    ("grpc_status", "DEADLINE_EXCEEDED"), ("reason", "quota_exceeded"),
    # counts, sizes, durations, ratios
    ("result_count", 10), ("retry_count", 3), ("token_count", 812), ("max_tokens", 4096),
    ("batch_size", 64), ("memory_count", 12500), ("bytes", 10_485_760), ("items", 0),
    ("duration_ms", 150.5), ("latency_ms", 12.25), ("elapsed_s", 0.034), ("ttl_seconds", 3600),
    ("ratio", 0.8372619), ("cache_hit_rate", 0.93), ("score", 0.71), ("temperature", 0.2),
    ("top_k", 5), ("page_size", 50), ("depth", 2), ("attempt", 1), ("cost_usd", 0.0042),
    ("created_at_ms", 1_764_000_000_000), ("p95_ms", 870.0), ("queue_depth", 7),
    ("percent", 42.5), ("dimensions", 1536), ("duration_bucket", "<10ms"),
    ("duration_bucket", ">5s"),
    # booleans and nulls
    ("has_metadata", True), ("is_retry", False), ("streaming", True), ("cached", False),
    ("success", True), ("dry_run", False), ("parent", None),
    # dates
    ("day", "2026-01-02"), ("since", "2026-01-02T03:04:05Z"),
]  # fmt: skip

THRESHOLD = 0.95
EVERY = HARMLESS + MORE_HARMLESS


def _kept(oss, key, value) -> bool:
    event = shape(oss, make_draft(properties={key: value}))
    return event is not None and event.properties.get(key, object()) == value


def test_at_least_a_hundred_realistic_properties():
    """The precision corpus has 100 or more properties, across the kinds the issue names, and
    the review's 50 or more beside them."""
    assert len(HARMLESS) >= 100 and len(MORE_HARMLESS) >= 50


@pytest.mark.parametrize("name,corpus", [("first", HARMLESS), ("first and review", EVERY)])
def test_opensource_keeps_at_least_95_percent(name, corpus):
    """At least 95% of the realistic harmless properties leave opensource unchanged: of the
    first corpus, and of it with the review's (which holds values the rules refuse: paths,
    digit runs, a comma, a key named ``*_name``)."""
    oss = chain("opensource", Counters())
    lost = [(k, v) for k, v in corpus if not _kept(oss, k, v)]
    kept = 1 - len(lost) / len(corpus)
    print(f"\nprecision ({name}): {kept:.1%} of {len(corpus)} kept; lost {lost}")
    assert kept >= THRESHOLD, f"kept {kept:.1%}; lost {lost}"


@pytest.mark.parametrize("key,value", [("error_class", "TimeoutError"), ("model", "gpt-4o-mini")])
def test_kept_values_are_unchanged_in_a_full_event(key, value):
    """A harmless property beside the seed guide's arrives exactly as given."""
    event = shape(
        chain("opensource", Counters()), make_draft(properties={"type": "text", key: value})
    )
    assert event.properties[key] == value and event.properties["type"] == "text"

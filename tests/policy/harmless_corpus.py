"""Realistic texts that hold no credential: what cloud must deliver whole (issue 19 item 3).

Error messages as Python, HTTP clients, databases, cloud SDKs, Kubernetes and browsers write
them (many name a secret without holding one: "password authentication failed", "Invalid token:
expired"), and harmless values: URLs without credentials, UUIDs, request and trace IDs, git SHAs
and image digests in context (a hex string with no secret word before it is an identifier, not a
key: tenantry keeps it), versions, user agents, model names, MIME types.
"""

from __future__ import annotations

ERROR_MESSAGES = [
    "ConnectionResetError: [Errno 104] Connection reset by peer",
    "ConnectionRefusedError: [Errno 111] Connection refused",
    "TimeoutError: timed out after 30.0 seconds",
    "KeyError: 'api_key'",
    "KeyError: 'password'",
    "TypeError: __init__() missing 1 required keyword-only argument: 'token'",
    "ValueError: invalid literal for int() with base 10: 'abc'",
    "AttributeError: 'NoneType' object has no attribute 'session'",
    "PermissionError: [Errno 13] Permission denied: '/var/lib/app/secrets.json'",
    "FileNotFoundError: [Errno 2] No such file or directory: '/etc/app/config.yaml'",
    'File "/app/.venv/lib/python3.12/site-packages/httpx/_transports/default.py", line 72, '
    "in map_httpcore_exceptions",
    'File "/usr/lib/python3.11/asyncio/base_events.py", line 653, in run_until_complete',
    "Traceback (most recent call last):",
    "RecursionError: maximum recursion depth exceeded while calling a Python object",
    "json.decoder.JSONDecodeError: Expecting value: line 1 column 1 (char 0)",
    "UnicodeDecodeError: 'utf-8' codec can't decode byte 0xff in position 0: invalid start byte",
    "ModuleNotFoundError: No module named 'tenantry_plugins'",
    "asyncio.exceptions.CancelledError",
    "RuntimeError: Event loop is closed",
    "AssertionError: expected 200, got 503",
    "requests.exceptions.HTTPError: 401 Client Error: Unauthorized for url: "
    "https://api.example.com/v1/memories",
    "requests.exceptions.HTTPError: 403 Client Error: Forbidden for url: "
    "https://api.github.com/repos/acme/app/actions/runs",
    "httpx.ConnectTimeout: timed out while connecting to api.openai.com:443",
    "urllib3.exceptions.MaxRetryError: HTTPSConnectionPool(host='api.stripe.com', port=443): "
    "Max retries exceeded with url: /v1/charges (Caused by "
    "NewConnectionError('<urllib3.connection.HTTPSConnection object at 0x7f3b2c1d9e50>: "
    "Failed to establish a new connection: [Errno -3] Temporary failure in name resolution'))",
    "ssl.SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: "
    "unable to get local issuer certificate (_ssl.c:1006)",
    "HTTP 429 Too Many Requests: retry after 17 seconds",
    "HTTP 502 Bad Gateway from upstream 10.0.3.17:8080",
    "upstream connect error or disconnect/reset before headers. reset reason: connection failure",
    "401 Unauthorized: invalid API key",
    "401 Unauthorized: missing Authorization header",
    "Invalid token: expired",
    "Invalid token: signature verification failed",
    "token expired at 2026-01-02T03:04:05Z",
    "session expired, please log in again",
    'password authentication failed for user "app"',
    'psycopg.OperationalError: connection to server at "db.internal" (10.0.0.5), port 5432 '
    'failed: FATAL:  password authentication failed for user "app"',
    "sqlalchemy.exc.IntegrityError: (psycopg.errors.UniqueViolation) duplicate key value "
    'violates unique constraint "users_email_key"',
    "sqlite3.OperationalError: no such table: api_keys",
    "sqlite3.OperationalError: database is locked",
    "ERROR 1045 (28000): Access denied for user 'app'@'10.0.0.7' (using password: YES)",
    'ERROR:  relation "sessions" does not exist at character 15',
    'ERROR:  column "token_hash" does not exist',
    "pymongo.errors.ServerSelectionTimeoutError: mongo-0.mongo:27017: timed out",
    "redis.exceptions.AuthenticationError: invalid username-password pair or user is disabled.",
    "redis.exceptions.ConnectionError: Error 111 connecting to cache:6379. Connection refused.",
    "clickhouse_driver.errors.ServerException: Code: 60. DB::Exception: Table events.raw "
    "doesn't exist.",
    "botocore.exceptions.ClientError: An error occurred (AccessDenied) when calling the "
    "GetObject operation: Access Denied",
    "botocore.exceptions.NoCredentialsError: Unable to locate credentials",
    "botocore.exceptions.ClientError: An error occurred (ExpiredToken) when calling the "
    "AssumeRole operation: The security token included in the request is expired",
    "google.api_core.exceptions.PermissionDenied: 403 Permission 'storage.objects.get' denied "
    "on resource (or it may not exist).",
    "azure.core.exceptions.ClientAuthenticationError: Server failed to authenticate the request. "
    "Make sure the value of Authorization header is formed correctly including the signature.",
    "openai.RateLimitError: Error code: 429 - You exceeded your current quota, please check "
    "your plan and billing details.",
    "openai.AuthenticationError: Error code: 401 - Incorrect API key provided.",
    "anthropic.APIStatusError: Error code: 529 - Overloaded",
    "stripe.error.CardError: Your card was declined.",
    "jwt.exceptions.ExpiredSignatureError: Signature has expired",
    "jwt.exceptions.InvalidAudienceError: Audience doesn't match",
    "pydantic_core._pydantic_core.ValidationError: 1 validation error for Settings\n"
    "api_key\n  Field required [type=missing, input_value={}, input_type=dict]",
    '{"detail": [{"loc": ["body", "password"], "msg": "field required", '
    '"type": "value_error.missing"}]}',
    '{"error": "invalid_grant", "error_description": "Bad credentials"}',
    '{"error": {"code": 401, "message": "Request had invalid authentication credentials.", '
    '"status": "UNAUTHENTICATED"}}',
    '{"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}',
    "password must be at least 12 characters long",
    "password: too short",
    "the password is incorrect",
    "new password must differ from the old one",
    "two-factor code required",
    "OTP verification failed after 3 attempts",
    "PIN locked after 5 failed attempts",
    "CSRF token missing or incorrect.",
    "api key not found",
    "API key revoked on 2026-03-01",
    "Bearer token missing from request",
    "secret not found: projects/acme/secrets/db-password/versions/latest",
    "Error: getaddrinfo ENOTFOUND api.example.com",
    "TypeError: Cannot read properties of undefined (reading 'map')",
    "TypeError: Failed to fetch",
    "Uncaught (in promise) DOMException: The user aborted a request.",
    "SyntaxError: Unexpected token '<', \"<!DOCTYPE \"... is not valid JSON",
    "at processTicksAndRejections (node:internal/process/task_queues:95:5)",
    "at Object.<anonymous> (/srv/app/dist/server.js:112:15)",
    "Error: EACCES: permission denied, open '/home/node/.npm/_cacache/index-v5/2f/3a'",
    "java.net.SocketTimeoutException: Read timed out",
    'java.lang.NullPointerException: Cannot invoke "String.length()" because "<local1>" is null',
    "\tat com.acme.billing.InvoiceService.charge(InvoiceService.java:214)",
    'org.postgresql.util.PSQLException: FATAL: password authentication failed for user "svc"',
    "panic: runtime error: invalid memory address or nil pointer dereference",
    "goroutine 17 [running]:",
    "dial tcp 10.96.0.10:53: i/o timeout",
    "context deadline exceeded (Client.Timeout exceeded while awaiting headers)",
    "Back-off restarting failed container api in pod api-7d9f8b6c5d-x2k4q_default"
    "(3f1c2b9e-8a7d-4c6b-9e5f-1a2b3c4d5e6f)",
    "0/3 nodes are available: 3 Insufficient memory. preemption: 0/3 nodes are available",
    'Failed to pull image "registry.example.com/acme/api:1.42.0": rpc error: code = NotFound',
    "OOMKilled: container api exceeded its memory limit of 512Mi",
    "deploy of commit 3f786850e387550fdab836ed7e6dc881de23001b failed at step migrate",
    "image sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 not found",
    "request 550e8400-e29b-41d4-a716-446655440000 timed out after 30000 ms",
    "trace_id=4bf92f3577b34da6a3ce929d0e0e4736 span_id=00f067aa0ba902b7 sampled=1",
    "X-Request-Id: req_01HQ3K8Z5N9W7XJ4V6B2M1C0PT",
    "rate limit exceeded for developer dev_abc123 (1000 requests per minute)",
    "quota exceeded: 1,048,576 of 1,048,576 bytes used",
    "connection reset by peer after 1532 ms (request r8812, retry 2 of 5)",
    "could not serialize access due to concurrent update",
    "disk quota exceeded on /var/lib/tenantry (98% of 20 GiB)",
    "checksum mismatch in segment 000417.log at offset 1048576",
    "warning: token count 8193 exceeds the model's context window of 8192",
    "max_tokens=4096 is too large for gpt-4o-mini",
    "login succeeded for user alice after mfa",
    "user bob changed their password",
    "auth: failed for user bob",
    "ssh: connect to host git.example.com port 22: Connection timed out",
    "fatal: could not read from remote repository: git@github.com:acme/app.git",
    "Permission denied (publickey).",
    "certificate has expired: notAfter=Jan  1 00:00:00 2026 GMT",
    "DNS lookup of api.example.com failed: SERVFAIL",
    'mapping key "passwordPolicy" already defined at line 14',
    "Signal 15 received: shutting down gracefully",
    "design token color.primary.600 is not defined",
    "shipping label 1Z999AA10123456784 not found",
]

HARMLESS_VALUES = [
    "https://api.example.com/v1/memories?page=2&limit=50",
    "https://docs.example.com/auth/tokens#rotation",
    "https://github.com/acme/app/pull/4812",
    "https://example.com/reset-password?step=2",
    "postgresql://db.internal:5432/app",
    "redis://cache.internal:6379/0",
    "s3://acme-logs/2026/01/02/app.log.gz",
    "/v1/users/{user_id}/sessions",
    "550e8400-e29b-41d4-a716-446655440000",
    "3f786850e387550fdab836ed7e6dc881de23001b",
    "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "01HQ3K8Z5N9W7XJ4V6B2M1C0PT",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_2) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36",
    "python-requests/2.32.3",
    "tenantry/0.9.1 (cpython 3.12.1; linux x86_64)",
    "gpt-4o-mini-2024-07-18",
    "claude-3-5-sonnet-20241022",
    "text-embedding-3-large",
    "application/vnd.api+json; charset=utf-8",
    "eu-west-1",
    "us-central1-a",
    "arn:aws:iam::123456789012:role/app-deployer",
    "projects/acme-prod/locations/europe-west1/services/api",
    "x86_64-unknown-linux-gnu",
    "1.42.0-rc.1+build.417",
    "2026-01-02T03:04:05.123456+00:00",
    "token_count: 812",
    "password_reset_requested",
    "session_duration_ms=1532",
    "pin_code_length: 6",
]

HARMLESS = ERROR_MESSAGES + HARMLESS_VALUES

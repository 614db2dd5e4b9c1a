"""More realistic harmless properties for the opensource precision test (issue 19 review): what
product, AI, infrastructure and observability telemetry sends, written down before the rules
they are measured against, including values the tightened rules refuse (dotted module and
metric names, hyphenated theme and plan names, a MySQL charset): the test reports the share
kept, it does not choose values that pass.
"""

from __future__ import annotations

MORE_HARMLESS = [
    # product analytics: experiments, flags, screens, plans
    ("experiment", "checkout_v2"), ("variant", "control"), ("variant", "treatment_b"),
    ("feature_flag", "Dark-Mode"), ("page", "Account-Settings"), ("button", "Save-Draft"),
    ("screen", "Home_Screen"), ("plan_tier", "Team-Pro"), ("plan", "Starter-Plus"),
    ("theme", "Solarized-Dark"), ("font", "JetBrains-Mono"), ("onboarding_step", "connect_repo"),
    ("subscription_status", "past_due"), ("billing_interval", "month"), ("currency", "EUR"),
    ("utm_source", "newsletter"), ("utm_medium", "email"), ("utm_campaign", "spring_sale_2026"),
    ("sidebar", "collapsed"), ("font_size", 14), ("tab", "Overview"), ("sort", "created_at"),
    # AI and vector stores
    ("model", "Qwen2.5-72B-Instruct"), ("model", "deepseek-r1:14b"), ("model", "phi3:mini"),
    ("model", "nomic-embed-text"), ("model", "meta-llama/Llama-3.1-8B-Instruct"),
    ("provider", "AzureOpenAI"), ("provider", "VertexAI"), ("provider", "Bedrock"),
    ("embedding_provider", "VoyageAI"), ("index_type", "HNSW"), ("metric_type", "cosine"),
    ("quantization", "int8"), ("precision", "bf16"), ("vector_dims", 768),
    ("finish_reason", "stop"), ("tool_choice", "auto"), ("response_format", "json_schema"),
    # infrastructure, runtime, databases
    ("charset", "utf8mb4"), ("db_system", "postgresql"), ("messaging_system", "kafka"),
    ("rpc_system", "grpc"), ("python_impl", "CPython"), ("target_arch", "aarch64"), ("libc", "glibc"),
    ("cuda", "12.1"), ("torch", "2.1.0+cu121"), ("gpu_model", "NVIDIA-A100-SXM4-80GB"),
    ("orchestrator", "kubernetes"), ("instance_type", "m6i.2xlarge"), ("storage_class", "gp3"),
    ("kernel", "6.5.0-1015-azure"), ("screen_resolution", "1920x1080"),
    ("browser_version", "120.0.6099.109"), ("timezone", "Europe/Berlin"),
    ("device_model", "iPhone15,2"), ("job_class", "SendWelcomeEmailJob"),
    ("queue_name", "high_priority"), ("worker_pool", "prefork"),
    # observability: loggers, metrics, error codes
    ("logger", "sqlalchemy.engine.base"), ("metric", "http.server.duration"),
    ("module", "django.db.backends"), ("exception", "botocore.exceptions.ClientError"),
    ("error_code", "ERR_CONNECTION_REFUSED"), ("http_status", 503), ("grpc_code", 14),
    ("span_kind", "SERVER"), ("sampler", "parentbased_traceidratio"), ("log_level", "WARNING"),
    # counts and measures
    ("rows_scanned", 1_204_331), ("cpu_percent", 73.4), ("memory_mb", 2048),
    ("uptime_seconds", 86_400), ("batch_latency_ms", 12.5), ("tokens_per_second", 41.7),
]  # fmt: skip

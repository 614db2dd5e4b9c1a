"""A small Django project for the integration tests: settings, URL patterns (path, re_path,
include), sync and async views, streaming. ``setup()`` configures Django once per process."""

from __future__ import annotations

import asyncio
import json
import time

from tests.integrations.helpers import TOKENS

DEFAULT_MIDDLEWARE = ["tenantry.django.TelemetryMiddleware"]


def setup() -> None:
    import django
    from django.conf import settings

    if not settings.configured:
        settings.configure(
            DEBUG=False,
            ALLOWED_HOSTS=["*"],
            SECRET_KEY="tests-only",
            ROOT_URLCONF="tests.integrations.django_app",
            MIDDLEWARE=list(DEFAULT_MIDDLEWARE),
            INSTALLED_APPS=[],
            DATABASES={},
            USE_TZ=True,
            LOGGING_CONFIG=None,
            TENANTRY_RESOLVE="tests.integrations.django_app.resolve",
        )
        django.setup()


def resolve(request):
    """The platform's own authentication, as a Django project writes it."""
    return TOKENS.get(request.headers.get("x-platform-token"))


def _views():
    from django.http import Http404, HttpResponse, JsonResponse, StreamingHttpResponse

    def read(request, memory_id):
        if memory_id == "missing":
            raise Http404("no such memory")
        return JsonResponse({"id": memory_id, "content": "notes"})

    def create(request):
        return JsonResponse({"stored": len(request.body)}, status=201)

    def boom(request):
        raise RuntimeError("the view failed")

    def stream(request):
        def chunks():
            for i in range(4):
                time.sleep(0.05)
                yield f"chunk-{i};".encode()

        return StreamingHttpResponse(chunks(), content_type="text/plain")

    async def astream(request):
        async def chunks():
            for i in range(4):
                await asyncio.sleep(0.05)
                yield f"chunk-{i};".encode()

        return StreamingHttpResponse(chunks(), content_type="text/plain")

    async def aread(request, n):
        await asyncio.sleep(0)
        return HttpResponse(json.dumps({"n": n}), content_type="application/json")

    def legacy(request, year):
        return HttpResponse(f"archive {year}")

    def item(request, item_id):
        return HttpResponse(f"item {item_id}")

    return read, create, boom, stream, astream, aread, legacy, item


def _patterns():
    from django.urls import include, path, re_path

    read, create, boom, stream, astream, aread, legacy, item = _views()
    api = [path("items/<int:item_id>", item)]
    return [
        path("v1/memories/<str:memory_id>", read),
        path("v1/memories", create),
        path("v1/boom", boom),
        path("v1/stream", stream),
        path("v1/astream", astream),
        path("v1/async/<int:n>", aread),
        re_path(r"^v1/legacy/(?P<year>[0-9]{4})/$", legacy),
        path("api/", include(api)),
    ]


urlpatterns = _patterns()

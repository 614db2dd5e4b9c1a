"""Static assets served from the installed packages, never from a CDN: plotly.js (from the
plotly package), Swagger UI and ReDoc (from fastapi-offline), the dashboard's CSS and drawing
script.

Each asset's URL carries a fingerprint of its content (``/static/plotly-3f2a9c81d0e4.js``), so
it is cached for a year (``immutable``) and a new version gets a new URL. Bodies are gzipped
once, on first use, and kept in memory; a client that does not accept gzip gets the file as
is. An unknown or stale name is a 404.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from tenantry.server.common import error

router = APIRouter(include_in_schema=False)

PREFIX = "/static/"
MAX_AGE = 365 * 86400  # a year: the URL changes whenever the content does


def _package_file(package: str, *parts: str) -> Callable[[], bytes]:
    return lambda: resources.files(package).joinpath(*parts).read_bytes()


def _plotly() -> bytes:
    from tenantry.store.html import plotly_js

    return plotly_js()


def _draw() -> bytes:
    from tenantry.store.html import draw_js

    return draw_js()


def _redoc() -> bytes:
    """ReDoc as fastapi-offline ships it, less the one thing it fetches from elsewhere: the
    Redocly logo in its sidebar (an image from Redocly's CDN) becomes an empty image."""
    body = _package_file(_OFFLINE, "static", "redoc.standalone.js")()
    return body.replace(_REDOC_LOGO, b"data:image/gif;base64," + _EMPTY_GIF)


_OFFLINE = "fastapi_offline"
_REDOC_LOGO = b"https://cdn.redoc.ly/redoc/logo-mini.svg"
_EMPTY_GIF = b"R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"
# name -> (file extension, content type, how to read it)
SOURCES: dict[str, tuple[str, str, Callable[[], bytes]]] = {
    "plotly": ("js", "text/javascript; charset=utf-8", _plotly),
    "draw": ("js", "text/javascript; charset=utf-8", _draw),
    "dashboard": (
        "css",
        "text/css; charset=utf-8",
        _package_file("tenantry.server.web", "static", "dashboard.css"),
    ),
    "swagger-ui": (
        "js",
        "text/javascript; charset=utf-8",
        _package_file(_OFFLINE, "static", "swagger-ui-bundle.js"),
    ),
    "swagger-css": (
        "css",
        "text/css; charset=utf-8",
        _package_file(_OFFLINE, "static", "swagger-ui.css"),
    ),
    "redoc": ("js", "text/javascript; charset=utf-8", _redoc),
    "favicon": ("png", "image/png", _package_file(_OFFLINE, "static", "favicon.png")),
}


@dataclass(frozen=True, slots=True)
class Asset:
    name: str  # the fingerprinted file name
    content_type: str
    body: bytes
    gzipped: bytes
    etag: str


class Assets:
    """The assets, read and compressed on first use (one at a time), then kept."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_key: dict[str, Asset] = {}
        self._by_name: dict[str, Asset] = {}

    def get(self, key: str) -> Asset:
        asset = self._by_key.get(key)
        if asset is not None:
            return asset
        with self._lock:
            asset = self._by_key.get(key)
            if asset is None:
                ext, content_type, read = SOURCES[key]
                body = read()
                digest = hashlib.sha256(body).hexdigest()[:12]
                asset = Asset(
                    name=f"{key}-{digest}.{ext}",
                    content_type=content_type,
                    body=body,
                    gzipped=gzip.compress(body, 6, mtime=0),
                    etag=f'"{digest}"',
                )
                self._by_name[asset.name] = asset
                self._by_key[key] = asset
        return asset

    def url(self, key: str) -> str:
        return PREFIX + self.get(key).name

    def by_name(self, name: str) -> Asset | None:
        asset = self._by_name.get(name)
        if asset is None:
            key = name.rsplit("-", 1)[0]
            if key in SOURCES:
                asset = self.get(key)
                if asset.name != name:
                    return None
        return asset


ASSETS = Assets()


@router.get(PREFIX + "{name}")
async def static_asset(request: Request, name: str) -> Response:
    """An asset by its fingerprinted name: gzipped when the client accepts it, cached a year."""
    asset = await run_in_threadpool(ASSETS.by_name, name)
    if asset is None:
        raise error(404, "no such file", "not_found")
    headers = {
        "Cache-Control": f"public, max-age={MAX_AGE}, immutable",
        "ETag": asset.etag,
        "Vary": "Accept-Encoding",
        "X-Content-Type-Options": "nosniff",
    }
    if request.headers.get("if-none-match") == asset.etag:
        return Response(status_code=304, headers=headers)
    compressible = not asset.content_type.startswith("image/")
    if compressible and "gzip" in request.headers.get("accept-encoding", "").lower():
        headers["Content-Encoding"] = "gzip"
        return Response(asset.gzipped, media_type=asset.content_type, headers=headers)
    return Response(asset.body, media_type=asset.content_type, headers=headers)

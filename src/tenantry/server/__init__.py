"""The server: reference API, relay, analytics and dashboard (``tenantry serve``).

from tenantry.server import create_app
app = create_app()        # FastAPI; run with uvicorn
"""

from __future__ import annotations

from tenantry.server.app import create_app
from tenantry.server.limits import Rate
from tenantry.server.runner import ServerThread, free_port

__all__ = ["Rate", "ServerThread", "create_app", "free_port"]

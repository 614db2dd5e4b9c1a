"""``tenantry serve``: the server (reference API, relay, analytics, dashboard)."""

from __future__ import annotations

import contextlib
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve(
        host: Annotated[str, typer.Option("--host", help="address to listen on")] = "127.0.0.1",
        port: Annotated[int, typer.Option("--port", min=1, max=65535, help="TCP port")] = 8000,
    ) -> None:
        """Run the server until interrupted. OpenAPI docs at /docs.

        Example: TENANTRY_ADMIN_TOKEN=s3cret tenantry serve --port 8000
        """
        import uvicorn

        from tenantry.config import load_settings
        from tenantry.server import create_app
        from tenantry.server.connections import server_config

        app_ = create_app(load_settings())
        typer.echo(f"tenantry: serving on http://{host}:{port} (docs: /docs)", err=True)
        server = uvicorn.Server(server_config(app_, host=host, port=port))
        with contextlib.suppress(KeyboardInterrupt):
            server.run()
        if not server.started:
            raise typer.Exit(3)  # uvicorn logged why (the port taken, a failed start-up)

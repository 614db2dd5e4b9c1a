"""``tenantry serve``: the server (reference API, relay, analytics, dashboard)."""

from __future__ import annotations

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

        app_ = create_app(load_settings())
        typer.echo(f"tenantry: serving on http://{host}:{port} (docs: /docs)", err=True)
        uvicorn.run(
            app_, host=host, port=port, log_level="warning", access_log=False, proxy_headers=False
        )

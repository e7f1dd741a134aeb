"""``ctdx serve``: run the case-worker web application and JSON API (``ctdx.web.create_app``) with uvicorn.

It binds to 127.0.0.1 by default; behind a TLS reverse proxy give ``--proxy-headers`` (and the proxy's
address with ``--forwarded-allow-ips``) so that cookies are marked Secure.
"""

from __future__ import annotations

import typer

from ctdx.cli.console import cli_errors, console
from ctdx.settings import load_settings


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    database: str | None = typer.Option(None, "--database", help="SQLAlchemy URL of the store (default: settings)."),
    proxy_headers: bool = typer.Option(False, "--proxy-headers", help="Trust X-Forwarded-* from the proxy."),
    forwarded_allow_ips: str = typer.Option("127.0.0.1", help="Proxy addresses trusted with --proxy-headers."),
) -> None:
    """Serve the web application and the JSON API (OpenAPI document at /api/openapi.json)."""
    import uvicorn

    from ctdx.store import open_store
    from ctdx.web import create_app

    settings = load_settings().with_database(database)
    with cli_errors():
        store = open_store(settings)
    try:
        console.print(f"ctdx serving {store.safe_url} on http://{host}:{port}", highlight=False)
        uvicorn.run(
            create_app(store, settings.data_dir),
            host=host,
            port=port,
            proxy_headers=proxy_headers,
            forwarded_allow_ips=forwarded_allow_ips,
            access_log=False,
        )
    finally:
        store.close()

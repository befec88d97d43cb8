"""The OpenAPI page at /docs, served with Swagger UI from the installed package.

FastAPI's default page loads Swagger UI from a public CDN; a central bank's network
(and our CI) cannot reach it, so the page would stay blank. The files come from the
fastapi-offline distribution instead (Swagger UI 5, which reads OpenAPI 3.1 as FastAPI
writes it), and the online spec validator is turned off.
"""

from __future__ import annotations

from importlib.resources import files

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC = "/docs/static"


def install_docs(app: FastAPI) -> None:
    """Serve /docs and its scripts and styles (same origin, no network)."""
    directory = str(files("fastapi_offline") / "static")
    app.mount(STATIC, StaticFiles(directory=directory), name="docs-static")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title}: API",
            swagger_js_url=f"{STATIC}/swagger-ui-bundle.js",
            swagger_css_url=f"{STATIC}/swagger-ui.css",
            swagger_favicon_url=f"{STATIC}/favicon.png",
            swagger_ui_parameters={"validatorUrl": None},
        )

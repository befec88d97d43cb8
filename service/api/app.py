"""The application factory: one FastAPI app per (settings, store), nothing at import."""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import version
from typing import Any

from fastapi import APIRouter, FastAPI

from config import Settings
from service.api.auth import SCOPE_KEY
from service.api.body_cache import BodyCache
from service.api.docs import install_docs
from service.api.errors import install_error_handlers
from service.api.limits import RequestLimits
from service.api.routes import (
    backtests,
    forecasts,
    health,
    impact,
    jobs,
    metrics,
    quarantine,
    reports,
    scenarios,
    series,
    shocks,
)
from service.api.schemas import ErrorBody
from service.metrics import make_registry
from service.store import Store

API_PREFIX = "/api/v1"

DESCRIPTION = """\
Remittance inflows to the Kyrgyz Republic and their impact on the som/US dollar rate.

* **Series** — daily, weekly and monthly inflows in USD (total, by country, by transfer
  system, outflows, net) and official exchange rates in som per unit, each answerable
  *as of* any past moment (`as_of`), as JSON or CSV.
* **Forecasts and shocks** — the latest SARIMAX forecast of each modelled series with
  80% and 95% bands; shock events where inflows broke out of their band.
* **Impact and scenarios** — the VAR analysis of how remittance shocks move som/USD,
  and projections of som/USD under a remittance path ("inflows from Russia -20% for
  three months").
* **Operations** — model backtests, job runs, quarantined rows, and job requests for
  the scheduler (admin).

**Access.** Send `Authorization: Bearer <token>` (tokens are configured in `api.tokens`
with scope `read` or `admin`). Without configured tokens the read routes are open and
the admin routes closed; with tokens, read routes need one unless `api.anonymous_read`.
`/healthz` and `/readyz` are always open, `/metrics` unless `api.metrics_require_token`.

**Lists** take `limit` (default 100, at most `api.max_page_size`) and `offset`, and
answer `items`, `limit`, `offset` and `count` (items on this page).

**Errors** are JSON: `{"error": {"status": 404, "message": "..."}}`; a 422 also lists
each invalid parameter under `details`.

**Limits.** Request bodies over `api.max_body_bytes` get 413. Each client (its token,
else its address) may send `api.rate_limit_per_second` requests a second with bursts of
`api.rate_limit_burst`; beyond that 429 with `Retry-After`. `/healthz`, `/readyz` and
`/metrics` are not counted. No CORS headers are sent: browsers keep other sites' pages
from reading the API.
"""

#: Errors every /api/v1 operation may answer (documented once for all of them).
COMMON_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "No token, a malformed header or an unknown token."},
    403: {"model": ErrorBody, "description": "The token's scope does not allow this route."},
    413: {"model": ErrorBody, "description": "The request body is over api.max_body_bytes."},
    429: {"model": ErrorBody, "description": "Over this client's rate limit (see Retry-After)."},
    503: {"model": ErrorBody, "description": "The store cannot be reached or used."},
}


def _documented(app: FastAPI, settings: Settings) -> Callable[[], dict[str, Any]]:
    """app.openapi, told what the settings decide: the largest page, and which routes
    may be called without a token."""
    build = app.openapi
    read_is_open = not settings.api.tokens or settings.api.anonymous_read

    def openapi() -> dict[str, Any]:
        schema = build()  # cached by FastAPI after the first call; edits below are idempotent
        for path, operations in schema.get("paths", {}).items():
            for operation in operations.values():
                for parameter in operation.get("parameters", []):
                    if parameter.get("in") == "query" and parameter.get("name") == "limit":
                        parameter["schema"]["maximum"] = settings.api.max_page_size
                if path == "/metrics" and not settings.api.metrics_require_token:
                    operation.pop("security", None)
                elif (
                    path.startswith(API_PREFIX)
                    and operation.get(SCOPE_KEY) != "admin"
                    and read_is_open
                ):
                    operation["security"] = [{}, {"bearer": []}]  # a token is optional
        return schema

    return openapi


def create_app(settings: Settings, store: Store) -> FastAPI:
    """The remitwatch HTTP API over an open, migrated `store` (the caller closes it).

    The metrics registry is built here, once per app, so its scrape cache is shared by
    every request.
    """
    app = FastAPI(
        title="remitwatch",
        version=version("remitwatch"),
        description=DESCRIPTION,
        docs_url=None,  # served by install_docs, without a CDN
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.settings = settings
    app.state.store = store
    app.state.body_cache = BodyCache()
    app.state.metrics_registry = make_registry(store, settings)
    install_error_handlers(app)
    app.add_middleware(
        RequestLimits,
        max_body_bytes=settings.api.max_body_bytes,
        rate_per_second=settings.api.rate_limit_per_second,
        burst=settings.api.rate_limit_burst,
    )
    install_docs(app)

    app.include_router(health.router)
    app.include_router(metrics.router)
    api = APIRouter(prefix=API_PREFIX, responses=COMMON_ERRORS)
    for module in (
        series,
        forecasts,
        shocks,
        impact,
        scenarios,
        backtests,
        jobs,
        quarantine,
        reports,
    ):
        api.include_router(module.router)
    app.include_router(api)
    app.openapi = _documented(app, settings)  # type: ignore[method-assign]
    return app

"""Prometheus exposition of the store's figures (see service.metrics)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CollectorRegistry

from service.api.auth import MetricsAccess
from service.api.schemas import ErrorBody
from service.metrics import CONTENT_TYPE, accepts_gzip, render, render_gzip

router = APIRouter(tags=["metrics"])


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={
        200: {"content": {CONTENT_TYPE: {"schema": {"type": "string"}}}},
        401: {"model": ErrorBody, "description": "api.metrics_require_token and no valid token."},
    },
)
def metrics(request: Request, caller: MetricsAccess) -> Response:
    """The Prometheus text exposition: inflows, forecasts, shocks, model quality, job
    runs, data freshness. Open unless api.metrics_require_token. Gzip-compressed when
    the client accepts it (Prometheus does), most of it compressed once per store read."""
    registry = request.app.state.metrics_registry
    assert isinstance(registry, CollectorRegistry)
    headers = {"Vary": "Accept-Encoding"}
    if accepts_gzip(request.headers.get("accept-encoding", "")):
        headers["Content-Encoding"] = "gzip"
        return Response(render_gzip(registry), media_type=CONTENT_TYPE, headers=headers)
    return Response(render(registry), media_type=CONTENT_TYPE, headers=headers)

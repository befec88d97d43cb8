"""Prometheus exposition of the store's figures (see service.metrics)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CollectorRegistry

from service.api.auth import MetricsAccess
from service.api.schemas import ErrorBody
from service.metrics import CONTENT_TYPE, render

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
    runs, data freshness. Open unless api.metrics_require_token."""
    registry = request.app.state.metrics_registry
    assert isinstance(registry, CollectorRegistry)
    return Response(render(registry), media_type=CONTENT_TYPE)

"""Prometheus metrics read from the store by a custom collector."""

from service.metrics.catalogue import CATALOGUE, MetricSpec
from service.metrics.collector import (
    CONTENT_TYPE,
    MetricsRegistry,
    RemitwatchCollector,
    make_registry,
    render,
    render_gzip,
)
from service.metrics.gzipped import accepts_gzip

__all__ = [
    "CATALOGUE",
    "CONTENT_TYPE",
    "MetricSpec",
    "MetricsRegistry",
    "RemitwatchCollector",
    "accepts_gzip",
    "make_registry",
    "render",
    "render_gzip",
]

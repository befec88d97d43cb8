"""The analyst HTTP API (FastAPI): health, readiness, metrics and /api/v1."""

from service.api.app import create_app
from service.api.exposure import check_exposure

__all__ = ["check_exposure", "create_app"]

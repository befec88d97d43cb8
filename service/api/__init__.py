"""The analyst HTTP API (FastAPI): health, readiness, metrics and /api/v1."""

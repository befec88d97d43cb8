"""What the API tests share besides fixtures: tokens, their headers, the error shape."""

from __future__ import annotations

import hashlib
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from config import Settings
from service.store import Store
from tests.fitted_sample import sample_settings


def settings_for(data_dir: Path, **sections: dict[str, object]) -> Settings:
    """The fitted sample's settings with these sections (e.g. api=..., readiness=...)."""
    return sample_settings(data_dir, **sections)


READ_TOKEN = "read-token-7f3a9c2e5b"
ADMIN_TOKEN = "admin-token-1d8e4b6a0c"


def sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


#: api.tokens admitting READ_TOKEN (scope read) and ADMIN_TOKEN (scope admin).
TOKENS = [
    {"name": "grafana", "sha256": sha256(READ_TOKEN), "scope": "read"},
    {"name": "ops", "sha256": sha256(ADMIN_TOKEN), "scope": "admin"},
]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


READ = bearer(READ_TOKEN)
ADMIN = bearer(ADMIN_TOKEN)


def error_of(response: Any) -> dict[str, Any]:
    """The JSON error body, checked for its shape."""
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert error["status"] == response.status_code
    assert isinstance(error["message"], str) and error["message"]
    return dict(error)


@dataclass
class Api:
    """An app over a store, and a client for it."""

    app: FastAPI
    client: TestClient
    settings: Settings
    store: Store


MakeApi = Callable[..., Api]


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (the probe that took it is closed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def unreachable_url(password: str) -> str:
    """A PostgreSQL store URL nobody answers at."""
    return f"postgresql+psycopg://remit:{password}@127.0.0.1:{closed_port()}/remitwatch"

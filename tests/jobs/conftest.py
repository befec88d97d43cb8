"""Fixtures for the job tests: settings rooted in a temporary data folder, a local HTTP server."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from config import Settings
from config.settings import HttpSettings, PathSettings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings whose data folder (inbox, archive, rejected) is a fresh temporary one."""
    return Settings(
        paths=PathSettings(data_dir=tmp_path / "var"),
        http=HttpSettings(timeout_seconds=1.0, attempts=2, backoff_seconds=0.0),
    )


Route = tuple[int, bytes]


@pytest.fixture
def http_server() -> Iterator[Callable[[dict[str, Route]], str]]:
    """Serve fixed (status, body) answers by path on 127.0.0.1; returns the base URL."""
    servers: list[ThreadingHTTPServer] = []

    def start(routes: dict[str, Route]) -> str:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status, body = routes.get(self.path, (404, b"not found"))
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                return

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()

"""Fixtures for the fault-injection tests: a source server whose behaviour the test switches."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal

import pytest

Fault = Literal["ok", "hang", "slow", "500", "cut-off", "document"]


@dataclass
class SourceServer:
    """Serves one document per path on 127.0.0.1, or fails as `fault` says.

    ok: 200 with the document. hang: never answers (until the fixture ends). slow: answers
    after `slow_seconds`. 500: an internal server error. cut-off: declares the document's
    length and closes the connection after half of it. document: 200 with `document` as
    is (a truncated or malformed body the test put there).
    """

    base_url: str
    released: threading.Event
    documents: dict[str, bytes] = field(default_factory=dict)
    fault: Fault = "ok"
    slow_seconds: float = 5.0
    requests: int = 0

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"


def _handler(state: SourceServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            return

        def do_GET(self) -> None:
            state.requests += 1
            body = state.documents.get(self.path)
            if body is None:
                self._reply(404, b"no such document")
            elif state.fault == "hang":
                state.released.wait(30)
            elif state.fault == "slow":
                state.released.wait(state.slow_seconds)
                self._reply(200, body)
            elif state.fault == "500":
                self._reply(500, b"internal error")
            elif state.fault == "cut-off":
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
            else:
                self._reply(200, body)

        def _reply(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


@pytest.fixture
def source_server() -> Iterator[SourceServer]:
    released = threading.Event()
    state = SourceServer(base_url="", released=released)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    released.set()
    time.sleep(0.05)
    server.shutdown()
    server.server_close()

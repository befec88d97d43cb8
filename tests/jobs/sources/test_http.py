"""jobs.sources.http.fetch against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import base64
import logging
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from config.settings import HttpSettings
from jobs.errors import SourceError
from jobs.sources.http import FetchedDocument, fetch

GARBAGE = bytes(range(256)) * 4 + b"\x00<?xml \xff\xfe not really"
NO_SLEEP: Callable[[float], None] = lambda seconds: None  # noqa: E731


@dataclass
class LocalServer:
    """A ThreadingHTTPServer whose handlers are chosen by path; counts requests per path."""

    base_url: str
    port: int
    released: threading.Event
    requests: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def count(self, path: str) -> int:
        with self.lock:
            return self.requests[path]


def _settings(attempts: int = 3, timeout: float = 0.5, backoff: float = 0.0) -> HttpSettings:
    return HttpSettings(timeout_seconds=timeout, attempts=attempts, backoff_seconds=backoff)


def _handler_class(server_state: LocalServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep the test output clean

        def do_GET(self) -> None:
            with server_state.lock:
                server_state.requests[self.path] += 1
                seen = server_state.requests[self.path]
            route = ROUTES.get(self.path)
            if route is None:
                self._reply(404, b"no such route")
            else:
                route(self, seen)

        def _reply(
            self, status: int, body: bytes, content_type: str = "text/plain", **headers: str
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name.replace("_", "-"), value)
            self.end_headers()
            self.wfile.write(body)

    def ok(handler: Handler, seen: int) -> None:
        handler._reply(200, b"<rates>ok</rates>", "application/xml; charset=windows-1251")

    def always_500(handler: Handler, seen: int) -> None:
        handler._reply(500, b"boom")

    def flaky(handler: Handler, seen: int) -> None:
        if seen == 1:
            handler._reply(500, b"boom")
        else:
            handler._reply(200, b"second time lucky")

    def too_many(handler: Handler, seen: int) -> None:
        if seen == 1:
            handler._reply(429, b"slow down")
        else:
            handler._reply(200, b"thanks for waiting")

    def forbidden(handler: Handler, seen: int) -> None:
        handler._reply(403, b"no")

    def hang(handler: Handler, seen: int) -> None:
        # Never answer within the client's timeout; released when the fixture ends.
        server_state.released.wait(10)

    def trickle(handler: Handler, seen: int) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/plain")
        handler.end_headers()  # no Content-Length: the body runs until the connection closes
        while not server_state.released.is_set():
            handler.wfile.write(b"x")
            handler.wfile.flush()
            time.sleep(0.05)

    def garbage(handler: Handler, seen: int) -> None:
        handler._reply(200, GARBAGE, "application/octet-stream")

    def big_declared(handler: Handler, seen: int) -> None:
        handler._reply(200, b"y" * 5000)

    def big_undeclared(handler: Handler, seen: int) -> None:
        handler.send_response(200)
        handler.end_headers()
        for _ in range(5):
            handler.wfile.write(b"z" * 1000)

    def authorization(handler: Handler, seen: int) -> None:
        handler._reply(200, handler.headers.get("Authorization", "").encode())

    def redirect(handler: Handler, seen: int) -> None:
        handler._reply(302, b"", Location="/ok")

    def redirect_loop(handler: Handler, seen: int) -> None:
        handler._reply(302, b"", Location="/redirect-loop")

    ROUTES: dict[str, Callable[[Handler, int], None]] = {
        "/ok": ok,
        "/always-500": always_500,
        "/flaky": flaky,
        "/too-many": too_many,
        "/forbidden": forbidden,
        "/hang": hang,
        "/trickle": trickle,
        "/garbage": garbage,
        "/big-declared": big_declared,
        "/big-undeclared": big_undeclared,
        "/authorization": authorization,
        "/redirect": redirect,
        "/redirect-loop": redirect_loop,
    }
    return Handler


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that time out leave broken pipes behind; that is the point


@pytest.fixture
def server() -> Iterator[LocalServer]:
    released = threading.Event()
    state = LocalServer(base_url="", port=0, released=released)
    httpd = _QuietServer(("127.0.0.1", 0), _handler_class(state))
    state.port = httpd.server_address[1]
    state.base_url = f"http://127.0.0.1:{state.port}"
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield state
    finally:
        released.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


@pytest.fixture
def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port  # nothing listens there any more: connecting is refused


def test_returns_the_body_status_and_content_type(server: LocalServer) -> None:
    document = fetch(server.url("/ok"), _settings(), sleep=NO_SLEEP)
    assert document == FetchedDocument(
        url=server.url("/ok"),
        content=b"<rates>ok</rates>",
        status=200,
        content_type="application/xml; charset=windows-1251",
    )
    assert server.count("/ok") == 1


def test_http_500_is_retried_then_fails_naming_url_status_and_attempts(
    server: LocalServer,
) -> None:
    with pytest.raises(SourceError) as raised:
        fetch(server.url("/always-500"), _settings(attempts=3), sleep=NO_SLEEP)
    assert str(raised.value) == (
        f"GET {server.url('/always-500')} failed after 3 attempts: HTTP 500 Internal Server Error"
    )
    assert server.count("/always-500") == 3


@pytest.mark.parametrize("path", ["/flaky", "/too-many"])
def test_5xx_or_429_then_200_succeeds_on_the_second_attempt(server: LocalServer, path: str) -> None:
    document = fetch(server.url(path), _settings(attempts=3), sleep=NO_SLEEP)
    assert document.status == 200
    assert server.count(path) == 2


@pytest.mark.parametrize(("path", "reason"), [("/missing", "404 Not Found"), ("/forbidden", "403")])
def test_other_4xx_is_not_retried(server: LocalServer, path: str, reason: str) -> None:
    with pytest.raises(SourceError, match=f"failed after 1 attempt: HTTP {reason}"):
        fetch(server.url(path), _settings(attempts=5), sleep=NO_SLEEP)
    assert server.count(path) == 1


def test_backoff_doubles_from_backoff_seconds(server: LocalServer) -> None:
    pauses: list[float] = []
    with pytest.raises(SourceError):
        fetch(server.url("/always-500"), _settings(attempts=4, backoff=0.5), sleep=pauses.append)
    assert pauses == [0.5, 1.0, 2.0]


def test_each_retry_is_logged_as_a_warning(
    server: LocalServer, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="jobs.sources.http"), pytest.raises(SourceError):
        fetch(server.url("/always-500"), _settings(attempts=3), sleep=NO_SLEEP)
    retries = [r for r in caplog.records if r.name == "jobs.sources.http"]
    assert len(retries) == 2
    assert all(r.levelno == logging.WARNING for r in retries)
    assert "attempt 1 of 3 failed: HTTP 500" in retries[0].getMessage()


def test_a_hanging_server_times_out_on_every_attempt(server: LocalServer) -> None:
    started = time.monotonic()
    with pytest.raises(SourceError) as raised:
        fetch(server.url("/hang"), _settings(attempts=2, timeout=0.5), sleep=NO_SLEEP)
    elapsed = time.monotonic() - started
    message = str(raised.value)
    assert server.url("/hang") in message
    assert "failed after 2 attempts: timed out after 0.5 s" in message
    assert server.count("/hang") == 2
    assert elapsed < 2 * 0.5 + 1.0


def test_a_server_trickling_bytes_forever_hits_the_deadline(server: LocalServer) -> None:
    started = time.monotonic()
    with pytest.raises(SourceError, match=r"failed after 1 attempt: timed out after 0.5 s"):
        fetch(server.url("/trickle"), _settings(attempts=1, timeout=0.5), sleep=NO_SLEEP)
    # Bytes keep arriving every 0.05 s, so only the total deadline can end the attempt.
    assert time.monotonic() - started < 0.5 + 0.5


def test_garbage_bytes_are_returned_as_received(server: LocalServer) -> None:
    document = fetch(server.url("/garbage"), _settings(), sleep=NO_SLEEP)
    assert document.content == GARBAGE
    assert document.content_type == "application/octet-stream"


@pytest.mark.parametrize("path", ["/big-declared", "/big-undeclared"])
def test_a_body_over_max_bytes_fails_without_retry(server: LocalServer, path: str) -> None:
    with pytest.raises(SourceError, match=r"failed after 1 attempt: body .*limit of 1000 bytes"):
        fetch(server.url(path), _settings(attempts=3), max_bytes=1000, sleep=NO_SLEEP)
    assert server.count(path) == 1


def test_a_body_at_max_bytes_is_accepted(server: LocalServer) -> None:
    document = fetch(server.url("/big-declared"), _settings(), max_bytes=5000, sleep=NO_SLEEP)
    assert len(document.content) == 5000


def test_redirects_are_followed_and_the_final_url_reported(server: LocalServer) -> None:
    document = fetch(server.url("/redirect"), _settings(), sleep=NO_SLEEP)
    assert document.url == server.url("/ok")
    assert document.content == b"<rates>ok</rates>"


def test_a_redirect_loop_is_bounded(server: LocalServer) -> None:
    with pytest.raises(SourceError, match="failed after 1 attempt: more than 10 redirects"):
        fetch(server.url("/redirect-loop"), _settings(attempts=3), sleep=NO_SLEEP)
    assert server.count("/redirect-loop") == 11


def test_connection_refused_is_retried_then_reported(closed_port: int) -> None:
    url = f"http://127.0.0.1:{closed_port}/daily.xml"
    with pytest.raises(SourceError) as raised:
        fetch(url, _settings(attempts=2), sleep=NO_SLEEP)
    message = str(raised.value)
    assert message.startswith(f"GET {url} failed after 2 attempts: cannot connect")
    assert "refused" in message.lower()


@pytest.mark.parametrize(
    "url", ["ftp://127.0.0.1/daily.xml", "file:///etc/passwd", "/tmp/daily.xml", ""]
)
def test_only_http_and_https_urls_are_fetched(url: str) -> None:
    pauses: list[float] = []
    with pytest.raises(SourceError, match="only http:// and https:// URLs"):
        fetch(url, _settings(), sleep=pauses.append)
    assert pauses == []


def test_credentials_in_the_url_never_reach_messages_or_logs(
    server: LocalServer, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"http://analyst:s3cret-pw@127.0.0.1:{server.port}/always-500"
    with caplog.at_level(logging.DEBUG), pytest.raises(SourceError) as raised:
        fetch(url, _settings(attempts=2), sleep=NO_SLEEP)
    assert "s3cret-pw" not in str(raised.value)
    assert f"http://***@127.0.0.1:{server.port}/always-500" in str(raised.value)
    # Our retry warnings and httpx's own request log lines alike.
    messages = [r.getMessage() for r in caplog.records]
    assert any(r.name == "jobs.sources.http" for r in caplog.records)
    assert not any("s3cret-pw" in message for message in messages)


def test_credentials_in_the_url_are_sent_as_basic_auth(server: LocalServer) -> None:
    document = fetch(
        f"http://analyst:s3cret-pw@127.0.0.1:{server.port}/authorization",
        _settings(),
        sleep=NO_SLEEP,
    )
    assert document.content == b"Basic " + base64.b64encode(b"analyst:s3cret-pw")


def test_the_returned_url_carries_no_credentials(server: LocalServer) -> None:
    document = fetch(
        f"http://analyst:s3cret-pw@127.0.0.1:{server.port}/ok", _settings(), sleep=NO_SLEEP
    )
    assert document.url == server.url("/ok")


def test_a_given_client_is_used_and_left_open(server: LocalServer) -> None:
    with httpx.Client() as client:
        fetch(server.url("/redirect"), _settings(), client=client, sleep=NO_SLEEP)
        assert not client.is_closed
        assert fetch(server.url("/ok"), _settings(), client=client).status == 200

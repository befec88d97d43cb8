"""A lean HTTP/1.1 GET client for the load generator: keep-alive connections on asyncio
streams, responses parsed by httptools (the C parser uvicorn uses).

httpx costs about 4 ms of CPU per request here, so at 200 requests a second the
generator alone took most of a core and fell behind: the figures measured the generator.
This client does only what the load needs (GET with fixed headers, status and body
length, bodies read and dropped) for a tenth of that. Connections idle longer than
`idle_seconds` are closed before reuse, well inside the server's keep-alive timeout
(uvicorn: 5 s), so a request never races the server closing its connection.
"""

from __future__ import annotations

import asyncio
import time
from urllib.parse import urlsplit

import httptools


class _Response:
    """httptools callbacks: the body length of one response and whether it ended."""

    def __init__(self) -> None:
        self.body_bytes = 0
        self.complete = False

    def on_body(self, body: bytes) -> None:
        self.body_bytes += len(body)

    def on_message_complete(self) -> None:
        self.complete = True


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.last_used = time.monotonic()
        self.reusable = True

    async def get(self, request: bytes) -> tuple[int, int]:
        self.writer.write(request)
        response = _Response()
        parser = httptools.HttpResponseParser(response)
        while not response.complete:
            data = await self.reader.read(65536)
            if not data:
                raise ConnectionResetError("the server closed the connection")
            parser.feed_data(data)
        self.last_used = time.monotonic()
        self.reusable = parser.should_keep_alive()
        return parser.get_status_code(), response.body_bytes

    def close(self) -> None:
        self.writer.close()


class LeanClient:
    """GETs to one http://host:port with fixed headers over a pool of keep-alive
    connections, at most `max_connections` open (more requests wait for one)."""

    def __init__(
        self,
        base_url: str,
        headers: dict[str, str] | None = None,
        max_connections: int = 100,
        timeout: float = 30.0,
        idle_seconds: float = 2.0,
    ) -> None:
        parts = urlsplit(base_url)
        assert parts.scheme == "http" and parts.hostname and parts.port, base_url
        self._host, self._port = parts.hostname, parts.port
        lines = [f"Host: {parts.hostname}:{parts.port}", "Connection: keep-alive"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        self._headers = ("\r\n".join(lines) + "\r\n\r\n").encode()
        self._idle: list[_Connection] = []
        self._slots = asyncio.Semaphore(max_connections)
        self._timeout = timeout
        self._idle_seconds = idle_seconds

    async def _connection(self) -> _Connection:
        now = time.monotonic()
        while self._idle:
            connection = self._idle.pop()
            if now - connection.last_used < self._idle_seconds:
                return connection
            connection.close()
        reader, writer = await asyncio.open_connection(self._host, self._port)
        return _Connection(reader, writer)

    async def get(self, path: str) -> tuple[int, int]:
        """(status, body bytes) of GET `path`; raises TimeoutError after `timeout` s and
        OSError (or httptools.HttpParserError) when the connection fails."""
        request = b"GET " + path.encode() + b" HTTP/1.1\r\n" + self._headers
        async with self._slots:
            connection = await self._connection()
            try:
                async with asyncio.timeout(self._timeout):
                    answer = await connection.get(request)
            except BaseException:
                connection.close()
                raise
            if connection.reusable:
                self._idle.append(connection)
            else:
                connection.close()
            return answer

    async def aclose(self) -> None:
        while self._idle:
            self._idle.pop().close()

    async def __aenter__(self) -> LeanClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

"""Request limits: body size and request rate per client, before any route runs.

- A body larger than `api.max_body_bytes` is refused with 413, whether it announces its
  length or not (a chunked body is counted as it arrives); nothing of it reaches a route.
- Each client (its bearer token when it sends one, else its address) has a token bucket
  of `api.rate_limit_burst` requests refilled at `api.rate_limit_per_second`; an empty
  bucket answers 429 with Retry-After. The probes (/healthz, /readyz) and /metrics are
  not counted: the orchestrator and Prometheus must always get through, and /metrics is
  served from a cache.

Both answer the API's JSON error body. A pure ASGI middleware: no per-request task or
thread, so the limits cost microseconds.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.api.errors import error_response

#: Paths never rate limited.
UNLIMITED = frozenset({"/healthz", "/readyz", "/metrics"})
#: Clients remembered at once (least recently seen forgotten first: a fresh full bucket).
MAX_CLIENTS = 10_000


class TokenBuckets:
    """Token buckets per client key, thread-safe; `clock` is monotonic seconds."""

    def __init__(
        self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._rate, self._burst, self._clock = rate, float(burst), clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """0 when the request may go ahead (one token taken), else seconds until it may."""
        now = self._clock()
        with self._lock:
            tokens, then = self._buckets.pop(key, (self._burst, now))
            tokens = min(self._burst, tokens + (now - then) * self._rate)
            wait = 0.0 if tokens >= 1 else (1 - tokens) / self._rate
            self._buckets[key] = (tokens - 1 if wait == 0 else tokens, now)
            while len(self._buckets) > MAX_CLIENTS:
                self._buckets.popitem(last=False)
            return wait


def client_key(scope: Scope) -> str:
    """The bearer token's digest when there is one (clients behind one proxy then keep
    their own budgets), else the peer address."""
    for name, value in scope.get("headers", ()):
        if name == b"authorization" and value[:7].lower() == b"bearer ":
            return "token:" + hashlib.sha256(value[7:].strip()).hexdigest()[:32]
    client = scope.get("client")
    return f"addr:{client[0]}" if client else "addr:unknown"


class _TooLarge(Exception):
    pass


class _Disconnected(Exception):
    pass


class RequestLimits:
    """The ASGI middleware enforcing the body size and rate limits."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        rate_per_second: float,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.buckets = TokenBuckets(rate_per_second, burst, clock) if rate_per_second else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.buckets is not None and scope["path"] not in UNLIMITED:
            wait = self.buckets.take(client_key(scope))
            if wait > 0:
                retry = str(max(1, math.ceil(wait)))
                response = error_response(
                    429,
                    f"too many requests from this client: try again in {retry} s",
                    headers={"Retry-After": retry},
                )
                await response(scope, receive, send)
                return
        announced = _content_length(scope)
        if announced is not None and announced > self.max_body_bytes:
            await self._refuse(scope, receive, send)
            return
        try:
            has_body = scope["method"] in ("POST", "PUT", "PATCH")
            body = await self._read(receive) if has_body else None
        except _TooLarge:
            await self._refuse(scope, receive, send)
            return
        except _Disconnected:
            return  # the client left before sending its body: nobody to answer
        await self.app(scope, receive if body is None else _replay(body, receive), send)

    async def _read(self, receive: Receive) -> bytes:
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                raise _Disconnected
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                raise _TooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self.max_body_bytes
        response = error_response(
            413, f"the request body is larger than {limit} bytes (api.max_body_bytes)"
        )
        await response(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # a disconnect, when the client goes

    return replay

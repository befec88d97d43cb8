"""Fetch one document over HTTP(S), bounded in time and size, retried on transient failures.

Retried: connection errors, timeouts, a connection dropped mid-response, HTTP 5xx and 429.
Not retried: other 4xx, a body over the size limit, too many redirects, a malformed URL.
Parsing the bytes is the caller's job.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

from config.settings import HttpSettings
from jobs.errors import SourceError

logger = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 200 * 1024 * 1024
MAX_REDIRECTS = 10
#: The pause between attempts doubles from `backoff_seconds` up to this (or the backoff itself).
MAX_BACKOFF_SECONDS = 60.0

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
# Everything up to the last "@" before a query or fragment is userinfo. Deliberately greedy:
# a password with an unescaped "/" or "@" is still hidden (at worst a host is hidden too).
_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)[^?#]*@")

_TIMEOUT_PHASES: dict[type[httpx.TimeoutException], str] = {
    httpx.ConnectTimeout: "connecting",
    httpx.ReadTimeout: "waiting for data",
    httpx.WriteTimeout: "sending the request",
    httpx.PoolTimeout: "waiting for a free connection",
}


@dataclass(frozen=True)
class FetchedDocument:
    """A successful (2xx) response.

    `url` is where the body was finally served from (after redirects), without credentials.
    `content` is the decoded body (any Content-Encoding such as gzip undone).
    """

    url: str
    content: bytes
    status: int
    content_type: str | None


class _AttemptFailed(Exception):
    """One attempt failed; `retryable` says whether another attempt may succeed."""

    def __init__(self, reason: str, *, retryable: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


def is_http_url(source: str) -> bool:
    """True when `source` is an http:// or https:// URL (any case), the only kinds fetched."""
    scheme = _SCHEME.match(source)
    return scheme is not None and scheme.group(1).lower() in ("http", "https")


def fetch(
    url: str,
    settings: HttpSettings,
    *,
    client: httpx.Client | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    sleep: Callable[[float], None] = time.sleep,
) -> FetchedDocument:
    """GET `url` and return its body, or raise SourceError naming the URL and the failure.

    Each attempt is limited to `settings.timeout_seconds` per connect/read/write/pool wait
    and to the same number of seconds in total, checked as each piece of the body arrives
    (so an attempt ends within about twice the timeout at worst). Up to
    `settings.attempts` attempts, pausing `backoff_seconds`, then twice that, and so on.
    A given `client` is used as is (its own timeout is overridden per request) and not closed.
    """
    shown = _masked(url)
    if not is_http_url(url):
        raise SourceError(f"GET {shown}: only http:// and https:// URLs can be fetched")
    timeout = httpx.Timeout(settings.timeout_seconds)
    retrying = Retrying(
        stop=stop_after_attempt(settings.attempts),
        wait=wait_exponential(
            multiplier=settings.backoff_seconds,
            max=max(settings.backoff_seconds, MAX_BACKOFF_SECONDS),
        ),
        retry=retry_if_exception(lambda exc: isinstance(exc, _AttemptFailed) and exc.retryable),
        sleep=sleep,
        before_sleep=_retry_logger(shown, settings.attempts),
        reraise=True,
    )
    http = (
        client
        if client is not None
        else httpx.Client(timeout=timeout, follow_redirects=True, max_redirects=MAX_REDIRECTS)
    )
    attempts_made = 0
    try:
        for attempt in retrying:
            with attempt:
                attempts_made = attempt.retry_state.attempt_number
                return _get_once(http, url, timeout, settings.timeout_seconds, max_bytes)
    except _AttemptFailed as failure:
        noun = "attempt" if attempts_made == 1 else "attempts"
        raise SourceError(
            f"GET {shown} failed after {attempts_made} {noun}: {failure.reason}"
        ) from failure
    finally:
        if client is None:
            http.close()
    raise AssertionError("unreachable: tenacity either returns or re-raises")


def _get_once(
    client: httpx.Client,
    url: str,
    timeout: httpx.Timeout,
    timeout_seconds: float,
    max_bytes: int,
) -> FetchedDocument:
    # The read timeout only bounds the gap between two packets; the deadline bounds the
    # whole attempt, so a server that trickles bytes forever cannot hold us.
    deadline = time.monotonic() + timeout_seconds
    try:
        target, auth = _split_credentials(url)
        with client.stream(
            "GET",
            target,
            auth=auth if auth is not None else httpx.USE_CLIENT_DEFAULT,
            timeout=timeout,
            follow_redirects=True,
        ) as response:
            _check_status(response)
            _check_declared_length(response, max_bytes)
            chunks: list[bytes] = []
            received = 0
            for chunk in response.iter_bytes():
                received += len(chunk)
                if received > max_bytes:
                    raise _AttemptFailed(
                        f"body larger than the limit of {max_bytes} bytes", retryable=False
                    )
                if time.monotonic() > deadline:
                    raise _AttemptFailed(
                        f"timed out after {float(timeout_seconds)} s "
                        f"(body still arriving, {received} bytes so far)",
                        retryable=True,
                    )
                chunks.append(chunk)
            return FetchedDocument(
                url=_masked(str(response.url)),
                content=b"".join(chunks),
                status=response.status_code,
                content_type=response.headers.get("content-type"),
            )
    except httpx.TimeoutException as exc:
        phase = _TIMEOUT_PHASES.get(type(exc), "waiting")
        raise _AttemptFailed(
            f"timed out after {float(timeout_seconds)} s {phase}", retryable=True
        ) from exc
    except httpx.ConnectError as exc:
        raise _AttemptFailed(f"cannot connect: {_detail(exc)}", retryable=True) from exc
    except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
        raise _AttemptFailed(f"connection lost: {_detail(exc)}", retryable=True) from exc
    except httpx.TooManyRedirects as exc:
        raise _AttemptFailed(f"more than {MAX_REDIRECTS} redirects", retryable=False) from exc
    except httpx.InvalidURL as exc:
        # httpx quotes the offending part, which may be a piece of a malformed password.
        detail = "" if "@" in url else f": {exc}"
        raise _AttemptFailed(f"invalid URL{detail}", retryable=False) from exc
    except httpx.HTTPError as exc:
        raise _AttemptFailed(_detail(exc), retryable=False) from exc


def _split_credentials(url: str) -> tuple[httpx.URL, httpx.BasicAuth | None]:
    """The URL without `user:password@` and those credentials as Basic auth.

    httpx logs every request URL at INFO; a URL that no longer holds the password keeps it
    out of that log line too.
    """
    parsed = httpx.URL(url)
    if not parsed.userinfo:
        return parsed, None
    bare = parsed.copy_with(username=None, password=None)
    return bare, httpx.BasicAuth(parsed.username, parsed.password)


def _check_status(response: httpx.Response) -> None:
    status = response.status_code
    if 200 <= status < 300:
        return
    reason = f"HTTP {status} {response.reason_phrase}".rstrip()
    raise _AttemptFailed(reason, retryable=status == 429 or status >= 500)


def _check_declared_length(response: httpx.Response, max_bytes: int) -> None:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise _AttemptFailed(
            f"body of {declared} bytes is larger than the limit of {max_bytes} bytes",
            retryable=False,
        )


def _retry_logger(shown: str, attempts: int) -> Callable[[RetryCallState], None]:
    def log_retry(state: RetryCallState) -> None:
        failure = state.outcome.exception() if state.outcome is not None else None
        logger.warning(
            "GET %s: attempt %d of %d failed: %s; retrying in %.1f s",
            shown,
            state.attempt_number,
            attempts,
            failure,
            state.upcoming_sleep,
        )

    return log_retry


def _detail(exc: Exception) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _masked(url: str) -> str:
    """`url` with any `user:password@` replaced by `***@`, fit for logs and messages."""
    return _USERINFO.sub(r"\1***@", url)

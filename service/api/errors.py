"""Every error leaves the API as JSON: {"error": {"status": int, "message": str}}.

Validation errors keep FastAPI's list under "details"; server errors say nothing of the
cause (it is logged); store failures are 503 without the database URL.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.store import DatabaseUnavailableError, StoreError

logger = logging.getLogger(__name__)

_WHERE = {"query": "query parameter", "path": "path parameter", "body": "body field"}
_GENERIC_500 = "internal error: the request could not be completed (the server log has the cause)"
_STORE_503 = "the store cannot be reached or used right now; try again later"


def error_response(
    status: int,
    message: str,
    *,
    headers: dict[str, str] | None = None,
    details: list[Any] | None = None,
) -> JSONResponse:
    """The one JSON error body of the API."""
    body: dict[str, Any] = {"status": status, "message": message}
    if details is not None:
        body["details"] = details
    return JSONResponse({"error": body}, status_code=status, headers=headers)


def invalid(where: str, name: str, message: str, value: object) -> RequestValidationError:
    """A 422 for a parameter the type system accepted but the request cannot use."""
    return RequestValidationError(
        [{"type": "value_error", "loc": (where, name), "msg": message, "input": value}]
    )


def _describe(error: dict[str, Any]) -> str:
    loc: Sequence[Any] = error.get("loc") or ()
    if error.get("type") == "json_invalid":
        at = f" at character {loc[1]}" if len(loc) > 1 else ""
        reason = (error.get("ctx") or {}).get("error", "JSON decode error")
        return f"the body is not valid JSON{at}: {reason}"
    where = _WHERE.get(str(loc[0]), str(loc[0])) if loc else "request"
    name = ".".join(str(part) for part in loc[1:])
    subject = f"{where} {name!r}" if name else "the " + where.split()[0]
    shown = error.get("input")
    got = "" if shown is None or isinstance(shown, dict | list) else f" (got {shown!r})"
    return f"{subject}: {error.get('msg', 'invalid value')}{got}"


def validation_message(errors: Sequence[dict[str, Any]]) -> str:
    """One readable sentence naming each bad parameter and what was expected."""
    parts = [_describe(error) for error in errors]
    return "invalid request: " + "; ".join(parts) if parts else "invalid request"


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    details = [{key: value for key, value in error.items() if key != "url"} for error in errors]
    return error_response(
        422, validation_message(errors), details=jsonable_encoder(details, exclude_none=True)
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    message = str(exc.detail)
    # Starlette's own 404/405 say only "Not Found"/"Method Not Allowed": name the route.
    if exc.status_code == 404 and message == "Not Found":
        message = f"no route {request.method} {request.url.path}; the routes are listed at /docs"
    elif exc.status_code == 400 and message == "There was an error parsing the body":
        message = "the request body could not be read as JSON (send Content-Type: application/json)"
    elif exc.status_code == 405 and message == "Method Not Allowed":
        allowed = (exc.headers or {}).get("Allow", "")
        message = f"{request.method} is not allowed on {request.url.path}; allowed: {allowed}"
    return error_response(exc.status_code, message, headers=dict(exc.headers or {}))


async def _store_error(request: Request, exc: Exception) -> JSONResponse:
    # StoreError messages carry the URL with the password masked; even that stays in the log.
    logger.error("store unavailable for %s %s: %s", request.method, request.url.path, exc)
    return error_response(503, _STORE_503, headers={"Retry-After": "30"})


class CatchServerErrors:
    """ASGI middleware: an unexpected exception becomes a logged, generic JSON 500.

    Starlette's own 500 handler re-raises after answering (so servers log it twice);
    this one answers once and logs the traceback under this module's logger.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            logger.exception("unhandled error in %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise  # the status line is gone; only the server can close the connection
            await error_response(500, _GENERIC_500)(scope, receive, send)


def install_error_handlers(app: FastAPI) -> None:
    """Register the JSON error handlers and the 500 safety net on `app`."""
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(StoreError, _store_error)
    app.add_exception_handler(DatabaseUnavailableError, _store_error)
    app.add_middleware(CatchServerErrors)

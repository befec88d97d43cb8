"""Bearer-token access control: read and admin scopes from api.tokens.

Tokens are configured as SHA-256 hex digests. A presented token is hashed and compared
in constant time with every configured digest (no early exit), so neither the token nor
which entry matched leaks through timing. Refusals are logged with the client, the
route and the reason, never with the token or its digest.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass
from typing import Annotated, Literal, NoReturn

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from config.settings import ApiToken
from service.api.deps import SettingsDep

logger = logging.getLogger(__name__)

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="`Authorization: Bearer <token>`; tokens are configured in api.tokens "
    "(`remitwatch token new NAME`). Read routes may be open (see api.anonymous_read).",
)
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]

#: OpenAPI extension naming the scope an operation needs ("admin"; read otherwise).
SCOPE_KEY = "x-required-scope"
ADMIN_ONLY = {SCOPE_KEY: "admin"}

_CHALLENGE = {"WWW-Authenticate": "Bearer"}
_BAD_TOKEN = {"WWW-Authenticate": 'Bearer error="invalid_token"'}


@dataclass(frozen=True)
class Caller:
    """Who is calling: a configured token's name and scope, or anonymous."""

    name: str
    scope: Literal["anonymous", "read", "admin"]


ANONYMOUS = Caller("anonymous", "anonymous")


def match_token(tokens: tuple[ApiToken, ...], presented: str) -> ApiToken | None:
    """The configured token whose digest is the SHA-256 of `presented`, if any."""
    digest = hashlib.sha256(presented.encode("utf-8")).hexdigest()
    found: ApiToken | None = None
    for token in tokens:
        # Every entry is compared, matched or not, so the time taken does not depend on it.
        if hmac.compare_digest(digest, token.sha256):
            found = token
    return found


def _refuse(
    request: Request,
    status: int,
    reason: str,
    message: str,
    *,
    token_name: str | None = None,
    headers: dict[str, str] | None = None,
) -> NoReturn:
    client = request.client.host if request.client else "unknown"
    logger.warning(
        "refused %s %s from %s: %s%s",
        request.method,
        request.url.path,
        client,
        reason,
        f" (token {token_name!r})" if token_name else "",
    )
    raise HTTPException(status, message, headers=headers)


def _presented(request: Request, credentials: HTTPAuthorizationCredentials | None) -> str | None:
    """The token sent, or None; a malformed Authorization header is refused (401)."""
    if credentials is not None:
        return credentials.credentials
    if "authorization" in request.headers:
        _refuse(
            request,
            401,
            "malformed Authorization header",
            "the Authorization header must be `Bearer <token>`",
            headers=_CHALLENGE,
        )
    return None


def _identify(
    request: Request, tokens: tuple[ApiToken, ...], credentials: HTTPAuthorizationCredentials | None
) -> Caller | None:
    """The caller behind a presented token; None when no token was sent."""
    presented = _presented(request, credentials)
    if presented is None:
        return None
    token = match_token(tokens, presented)
    if token is None:
        _refuse(request, 401, "unknown token", "the token is not valid", headers=_BAD_TOKEN)
    return Caller(token.name, token.scope)


def require_read(request: Request, settings: SettingsDep, credentials: Credentials) -> Caller:
    """Read access: any valid token; anonymous when no tokens are configured or
    api.anonymous_read is set."""
    api = settings.api
    caller = _identify(request, api.tokens, credentials)
    if caller is not None:
        return caller
    if not api.tokens or api.anonymous_read:
        return ANONYMOUS
    _refuse(
        request,
        401,
        "no token",
        "this route needs a token: send `Authorization: Bearer <token>`",
        headers=_CHALLENGE,
    )


def require_admin(request: Request, settings: SettingsDep, credentials: Credentials) -> Caller:
    """Admin access: a valid token of scope admin, always."""
    api = settings.api
    if not api.tokens:
        _refuse(
            request,
            403,
            "no tokens configured",
            "admin routes need an admin token configured in api.tokens "
            "(`remitwatch token new NAME --scope admin`)",
        )
    caller = _identify(request, api.tokens, credentials)
    if caller is None:
        _refuse(
            request,
            401,
            "no token",
            "this route needs an admin token: send `Authorization: Bearer <token>`",
            headers=_CHALLENGE,
        )
    if caller.scope != "admin":
        _refuse(
            request,
            403,
            "token lacks the admin scope",
            f"the token {caller.name!r} has scope {caller.scope!r}; this route needs 'admin'",
            token_name=caller.name,
        )
    return caller


def require_metrics(request: Request, settings: SettingsDep, credentials: Credentials) -> Caller:
    """/metrics: open unless api.metrics_require_token, then any valid token."""
    if not settings.api.metrics_require_token:
        return ANONYMOUS
    caller = _identify(request, settings.api.tokens, credentials)
    if caller is None:
        _refuse(
            request,
            401,
            "no token",
            "/metrics needs a token (api.metrics_require_token): "
            "send `Authorization: Bearer <token>`",
            headers=_CHALLENGE,
        )
    return caller


ReadAccess = Annotated[Caller, Depends(require_read)]
AdminAccess = Annotated[Caller, Depends(require_admin)]
MetricsAccess = Annotated[Caller, Depends(require_metrics)]

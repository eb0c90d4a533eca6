"""Resource servers: let any Django API accept requests that botocore signs (SigV4) with
identity-pool credentials from Cognate's built-in broker, and enforce the role's policy.

Two front ends share this module: :class:`identity.middleware.SigV4ResourceMiddleware`
(plain Django views, by path prefix) and the DRF classes in :mod:`identity.drf`
(:class:`~identity.drf.IdentityCredentialsAuthentication`,
:class:`~identity.drf.IAMPolicyPermission`).

The mapping, API Gateway's (``execute-api``) so that the same role policies read alike:

* signing name: ``SERVICE`` (default ``execute-api``); the credential scope must carry it;
* action: ``{SERVICE}:Invoke``, or ``{SERVICE}:{iam_action}`` when the view sets
  ``iam_action`` (a string, or a dict keyed by HTTP method or DRF viewset action);
* resource: ``arn:aws:{SERVICE}:{REGION}:{ACCOUNT_ID}:{API_ID}/{STAGE}/{METHOD}/{path}``,
  the path without its leading ``/`` and percent-decoded, e.g.
  ``arn:aws:execute-api:us-east-1:000000000000:cognate/prod/GET/example/public``;
* condition keys: the credentials' own (``cognito-identity.amazonaws.com:sub``, ``:aud``,
  ``:amr``, ``aws:PrincipalTag/<tag>``, ``aws:PrincipalArn``) plus ``aws:SourceIp``,
  ``aws:SecureTransport`` and ``aws:CurrentTime``.

Settings: ``COGNATE_SIGV4_RESOURCE = {"SERVICE": ..., "API_ID": ..., "STAGE": ...,
"PATHS": [...]}`` (``PATHS``: the path prefixes the middleware guards).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.http import HttpRequest

from identity import sigv4
from identity.services.callers import Caller, caller_authenticate, caller_authorize
from userpools.conf import cognate_settings
from userpools.errors import ErrorCode, ServiceError

_DEFAULTS: dict[str, Any] = {"SERVICE": "execute-api", "API_ID": "cognate", "STAGE": "prod", "PATHS": []}


@dataclass(frozen=True)
class ResourceSettings:
    SERVICE: str
    API_ID: str
    STAGE: str
    PATHS: tuple[str, ...]


def resource_settings() -> ResourceSettings:
    merged = {**_DEFAULTS, **getattr(settings, "COGNATE_SIGV4_RESOURCE", {})}
    return ResourceSettings(merged["SERVICE"], merged["API_ID"], merged["STAGE"], tuple(merged["PATHS"]))


def signed_request(request: HttpRequest) -> sigv4.SignedRequest:
    return sigv4.SignedRequest(
        method=request.method or "GET",
        path=request.META.get("RAW_URI", "").split("?", 1)[0] or request.path,
        query_string=request.META.get("QUERY_STRING", ""),
        headers={k.lower(): v for k, v in request.headers.items()},
        body=request.body,
    )


def path_refusal(request: HttpRequest) -> ServiceError | None:
    """Why the path of a signed REST request cannot be trusted, or None.

    A SigV4 signature covers the path with its dot segments removed
    (identity/sigv4.py canonical_uri, as botocore signs), but Django routes on the path as
    sent: a signature made for ``.../resource-servers/ID`` would also do for
    ``.../resource-servers/x/../ID``, which names another resource. So a path with a ``.``
    or ``..`` segment (decoded, as the view sees it) is refused, as if unsigned for it."""
    if any(segment in (".", "..") for segment in request.path.split("/")):
        return ServiceError(
            "The request path must not contain '.' or '..' segments: a signature cannot cover them.",
            code=ErrorCode.INVALID_SIGNATURE,
        )
    return None


def is_signed(request: HttpRequest) -> bool:
    return request.headers.get("Authorization", "").startswith(sigv4.ALGORITHM)


def request_authenticate(request: HttpRequest) -> Caller:
    """The caller who signed ``request`` for the resource service (ServiceError otherwise:
    MissingAuthenticationToken, IncompleteSignature, InvalidSignature, UnrecognizedClient,
    ExpiredToken, AccessDenied)."""
    refusal = path_refusal(request)
    if refusal is not None:
        raise refusal
    return caller_authenticate(signed_request(request), service=resource_settings().SERVICE)


def resource_arn(request: HttpRequest) -> str:
    conf, base = resource_settings(), cognate_settings()
    path = request.path.lstrip("/")
    method = (request.method or "GET").upper()
    return f"arn:aws:{conf.SERVICE}:{base.REGION}:{base.ACCOUNT_ID}:{conf.API_ID}/{conf.STAGE}/{method}/{path}"


def action_name(
    request: HttpRequest, iam_action: str | Mapping[str, str] | None = None, view_action: str | None = None
) -> str:
    name = "Invoke"
    if isinstance(iam_action, str):
        name = iam_action
    elif isinstance(iam_action, Mapping):
        name = iam_action.get(view_action or "", iam_action.get((request.method or "").upper(), name))
    return f"{resource_settings().SERVICE}:{name}"


def request_context(request: HttpRequest) -> dict[str, str]:
    context = {
        "aws:SecureTransport": "true" if request.is_secure() else "false",
        "aws:CurrentTime": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if request.META.get("REMOTE_ADDR"):
        context["aws:SourceIp"] = request.META["REMOTE_ADDR"]
    return context


def request_authorize(
    caller: Caller, request: HttpRequest, *, iam_action: Any = None, view_action: str | None = None
) -> None:
    """AccessDeniedException unless the caller's policy allows this request (see module docstring)."""
    caller_authorize(
        caller,
        action=action_name(request, iam_action, view_action),
        resource=resource_arn(request),
        context=request_context(request),
    )


def guarded(path: str) -> bool:
    return any(path.startswith(prefix) for prefix in resource_settings().PATHS)

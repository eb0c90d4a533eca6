"""DRF authentication and permission with SigV4-signed requests.

* :class:`SigV4Authentication`: the REST API's callers (operator access keys; identity-pool
  credentials scoped to ``cognito-idp`` are accepted too and authorized by their role).
* :class:`IdentityCredentialsAuthentication` + :class:`IAMPolicyPermission`: any DRF API
  as a resource server for identity-pool credentials (the mapping of a request to an IAM
  action and resource is :mod:`identity.resource`'s). ``request.user`` becomes an
  :class:`IdentityPrincipal`, ``request.auth`` the :class:`Caller`. A view may set
  ``iam_action`` (a string, or a dict keyed by HTTP method or viewset action).

Failures render ``{"__type": code, "message": ...}``: 401 when authentication fails,
403 when the policy denies.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from rest_framework import authentication, exceptions, permissions

from identity import resource, sigv4
from identity.services.callers import Caller, caller_authenticate
from userpools.errors import ErrorCode, ServiceError


class IdentityPrincipal:
    """``request.user`` for identity-pool credentials: no database row."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None

    def __init__(self, caller: Caller) -> None:
        self.caller = caller
        self.identity_id = caller.identity_id
        self.role_arn = caller.role_arn
        self.username = caller.identity_id or ""

    def get_username(self) -> str:
        return self.username

    def __str__(self) -> str:
        return self.username


def _body(exc: ServiceError) -> dict[str, str]:
    return {"__type": exc.code.value, "message": exc.message}


def _failed(exc: ServiceError) -> exceptions.APIException:
    if exc.code == ErrorCode.ACCESS_DENIED:
        return exceptions.PermissionDenied(_body(exc))
    return exceptions.AuthenticationFailed(_body(exc))


# What a path cannot hold as it is: the escape character, and the query's and the fragment's delimiters.
_LITERAL_ONLY = str.maketrans({"%": "%25", "?": "%3F", "#": "%23"})


def signed_paths(request) -> list[str]:
    """The raw, still percent-encoded paths a signature of ``request`` may cover, in the order
    they are tried: what a SigV4 signer canonicalizes is the path as sent
    (``identity.sigv4.SignedRequest.path``), which botocore encodes once more, so a signature
    checked against the decoded ``request.path`` fails for any encoded character.

    1. The request target as the server recorded it (gunicorn's ``RAW_URI``, or the
       ``REQUEST_URI`` of uWSGI and mod_wsgi), only if it decodes to ``request.path``.
    2. ``request.path`` with ``%``, ``?`` and ``#`` encoded again (they cannot have been sent
       as they are) and every other character as it is: Django's development and test
       servers keep no raw target, and clients that sign a space, a backslash or a
       non-ASCII letter as it is (botocore's signer, with requests encoding it on sending)
       sign this form.

    Both decode to ``request.path``, the path the view acts on, and the second is one raw
    path for each decoded path: a signature made for one path is good for no other."""
    decoded = request.path
    rebuilt = decoded.translate(_LITERAL_ONLY)
    for name in ("RAW_URI", "REQUEST_URI"):
        target = request.META.get(name)
        if not target:
            continue
        sent = target.split("?", 1)[0].split("#", 1)[0]
        if not sent.startswith("/"):  # the absolute form, "http://host/path"
            sent = urlsplit(sent).path or "/"
        if sent != rebuilt and _decoded(sent) == decoded:
            return [sent, rebuilt]
        break
    return [rebuilt]


def _decoded(path: str) -> str | None:
    try:
        return unquote(path, errors="strict")
    except UnicodeDecodeError:  # not UTF-8: Django routes on a path of its own making
        return None


class SigV4Authentication(authentication.BaseAuthentication):
    """``request.user`` becomes the operator, ``request.auth`` the :class:`Caller` (with its policy)."""

    def authenticate(self, request):
        if "authorization" not in {k.lower() for k in request.headers}:
            return None
        django_request = request._request
        refusal = resource.path_refusal(django_request)
        if refusal is not None:
            raise exceptions.AuthenticationFailed(refusal.message, code=refusal.code.value)
        paths = signed_paths(django_request)
        for path in paths:
            signed = sigv4.SignedRequest(
                method=django_request.method,
                path=path,
                query_string=django_request.META.get("QUERY_STRING", ""),
                headers={k.lower(): v for k, v in django_request.headers.items()},
                body=django_request.body,
            )
            try:
                caller = caller_authenticate(signed, service="cognito-idp")
                break
            except ServiceError as exc:
                if exc.code == ErrorCode.INVALID_SIGNATURE and path != paths[-1]:
                    continue  # signed over the other form of the path, perhaps
                if exc.code == ErrorCode.ACCESS_DENIED:
                    raise exceptions.PermissionDenied(exc.message, code=exc.code.value) from None
                raise exceptions.AuthenticationFailed(exc.message, code=exc.code.value) from None
        if caller.is_identity:
            return IdentityPrincipal(caller), caller
        from userpools.models import User

        return User.objects.get(pk=caller.operator_id), caller

    def authenticate_header(self, request) -> str:
        return "AWS4-HMAC-SHA256"


class IdentityCredentialsAuthentication(authentication.BaseAuthentication):
    """SigV4 with identity-pool credentials, scoped to ``COGNATE_SIGV4_RESOURCE["SERVICE"]``.
    Unsigned requests pass through unauthenticated (``IAMPolicyPermission`` refuses them)."""

    def authenticate(self, request):
        if not resource.is_signed(request._request):
            return None
        try:
            caller = resource.request_authenticate(request._request)
        except ServiceError as exc:
            raise _failed(exc) from None
        return IdentityPrincipal(caller), caller

    def authenticate_header(self, request) -> str:
        return sigv4.ALGORITHM


class IAMPolicyPermission(permissions.BasePermission):
    """Allow the request only if the caller's role policy allows its action on its resource."""

    def has_permission(self, request, view) -> bool:
        caller = request.auth
        if not isinstance(caller, Caller):
            raise exceptions.NotAuthenticated(
                {"__type": ErrorCode.MISSING_AUTHENTICATION_TOKEN.value, "message": "Missing Authentication Token"}
            )
        try:
            resource.request_authorize(
                caller,
                request._request,
                iam_action=getattr(view, "iam_action", None),
                view_action=getattr(view, "action", None),
            )
        except ServiceError as exc:
            raise _failed(exc) from None
        return True


__all__ = [
    "SigV4Authentication",
    "IdentityCredentialsAuthentication",
    "IAMPolicyPermission",
    "IdentityPrincipal",
    "Caller",
]

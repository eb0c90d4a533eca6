"""DRF authentication with the wire API's caller credentials (SigV4-signed requests)."""

from __future__ import annotations

from rest_framework import authentication, exceptions

from identity import sigv4
from identity.services.callers import Caller, caller_authenticate
from userpools.errors import ErrorCode, ServiceError


class SigV4Authentication(authentication.BaseAuthentication):
    """``request.user`` becomes the operator, ``request.auth`` the :class:`Caller` (with its policy)."""

    def authenticate(self, request):
        if "authorization" not in {k.lower() for k in request.headers}:
            return None
        django_request = request._request
        signed = sigv4.SignedRequest(
            method=django_request.method,
            path=django_request.path,
            query_string=django_request.META.get("QUERY_STRING", ""),
            headers={k.lower(): v for k, v in django_request.headers.items()},
            body=django_request.body,
        )
        try:
            caller = caller_authenticate(signed, service="cognito-idp")
        except ServiceError as exc:
            if exc.code == ErrorCode.ACCESS_DENIED:
                raise exceptions.PermissionDenied(exc.message, code=exc.code.value) from None
            raise exceptions.AuthenticationFailed(exc.message, code=exc.code.value) from None
        from userpools.models import User

        return User.objects.get(pk=caller.operator_id), caller

    def authenticate_header(self, request) -> str:
        return "AWS4-HMAC-SHA256"


__all__ = ["SigV4Authentication", "Caller"]

"""Django REST framework: authenticate with a Cognate/Cognito bearer token, and require
groups or scopes per view.

::

    class OrderList(APIView):
        authentication_classes = [CognateTokenAuthentication]
        permission_classes = [IsAuthenticated, HasGroups, HasScopes]
        required_groups = ["staff"]
        required_scopes = ["orders/read"]

``request.user`` is a :class:`~userpools.verify.TokenUser` (no database row),
``request.auth`` the :class:`~userpools.verify.VerifiedToken`. Settings come from
``COGNATE_VERIFY`` (see :mod:`userpools.verify.middleware`); a subclass or constructor
arguments can override ``issuers``, ``client_ids``, ``token_use`` and ``leeway``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from userpools.verify import (
    InsufficientScope,
    JwksUnavailable,
    MissingGroup,
    TokenError,
    TokenUser,
    TokenVerifier,
    VerifiedToken,
)
from userpools.verify.middleware import bearer_token, settings_verifier, www_authenticate

_ERROR_ATTRIBUTE = "_cognate_token_error"
_UNSET: Any = object()


class JwksUnavailableError(exceptions.APIException):
    status_code = 503
    default_detail = "Token keys are unavailable; try again shortly."
    default_code = "jwks_unavailable"


class CognateTokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer <token>`` → ``(TokenUser, VerifiedToken)``.

    No Bearer header: None (other authenticators may try). A bad token:
    ``AuthenticationFailed`` (401, ``WWW-Authenticate: Bearer error="invalid_token"``);
    a JWKS that cannot be fetched: 503.
    """

    www_authenticate_realm = "api"
    # Overrides of COGNATE_VERIFY; _UNSET means "from settings".
    issuers: Any = _UNSET
    client_ids: Any = _UNSET
    token_use: Any = _UNSET
    leeway: Any = _UNSET

    _OVERRIDABLE = {"issuers": "ISSUERS", "client_ids": "CLIENT_IDS", "token_use": "TOKEN_USE", "leeway": "LEEWAY"}

    def __init__(self, **overrides: Any) -> None:
        for name, value in overrides.items():
            if name not in self._OVERRIDABLE:
                raise TypeError(f"unexpected argument {name!r}")
            setattr(self, name, value)

    def get_verifier(self) -> TokenVerifier:
        overrides = {
            key: getattr(self, name) for name, key in self._OVERRIDABLE.items() if getattr(self, name) is not _UNSET
        }
        return settings_verifier(**overrides)

    def authenticate(self, request: Request) -> tuple[TokenUser, VerifiedToken] | None:
        token = bearer_token(request._request)
        if token is None:
            return None
        try:
            verified = self.get_verifier().verify(token)
        except JwksUnavailable:
            raise JwksUnavailableError() from None
        except (MissingGroup, InsufficientScope) as exc:  # global REQUIRED_GROUPS/SCOPES: valid but not allowed
            raise exceptions.PermissionDenied(exc.message, code=exc.code.value) from None
        except TokenError as exc:
            setattr(request, _ERROR_ATTRIBUTE, exc)
            raise exceptions.AuthenticationFailed(exc.message, code=exc.code.value) from None
        return TokenUser(verified), verified

    def authenticate_header(self, request: Request) -> str:
        return www_authenticate(getattr(request, _ERROR_ATTRIBUTE, None), self.www_authenticate_realm)


class _TokenRequirement(BasePermission):
    """Base of HasGroups/HasScopes: read a list from the view, check it on ``request.auth``."""

    attribute = ""

    def requirement(self, view: Any) -> tuple[str, ...]:
        value = getattr(view, self.attribute, None)
        if value is None:  # a missing attribute must not silently allow everyone
            raise ImproperlyConfigured(f"{type(view).__name__} uses {type(self).__name__} but sets no {self.attribute}")
        return (value,) if isinstance(value, str) else tuple(value)

    def check(self, token: VerifiedToken, required: tuple[str, ...]) -> None:
        raise NotImplementedError("HasGroups and HasScopes say what the token must carry")

    def has_permission(self, request: Request, view: Any) -> bool:
        required = self.requirement(view)
        token = request.auth
        if not isinstance(token, VerifiedToken):
            return False  # unauthenticated: DRF answers 401 (or 403 if no authenticator challenges)
        try:
            self.check(token, required)
        except TokenError as exc:
            self.message = exc.message
            self.code = exc.code.value
            return False
        return True


class HasGroups(_TokenRequirement):
    """The token's ``cognito:groups`` include every one of the view's ``required_groups``."""

    attribute = "required_groups"
    message = "Token is not in the required group(s)"

    def check(self, token: VerifiedToken, required: tuple[str, ...]) -> None:
        token.require(groups=required)


class HasScopes(_TokenRequirement):
    """The token's ``scope`` includes every one of the view's ``required_scopes``."""

    attribute = "required_scopes"
    message = "Token lacks the required scope(s)"

    def check(self, token: VerifiedToken, required: tuple[str, ...]) -> None:
        token.require(scopes=required)


__all__ = ["CognateTokenAuthentication", "HasGroups", "HasScopes", "JwksUnavailableError", "TokenUser"]

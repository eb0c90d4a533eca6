"""The OAuth 2.0 / OpenID Connect authorization server of a pool's hosted pages.

Cognito's endpoints and rules (Developer Guide, "User pool endpoints and managed login
reference": the authorize, token, userInfo, revoke and logout endpoints), over RFC 6749,
RFC 7636 (PKCE), RFC 7009 (revocation) and OpenID Connect Core 1.0. ``/oauth2/authorize``,
``/oauth2/token``, ``/oauth2/revoke`` and ``/oauth2/userInfo`` run on oauthlib's endpoints
(through django-oauth-toolkit's validator), so the grants, PKCE, client authentication and
the error responses are oauthlib's; Cognito's rules are in the validator
(hostedui/services/validator.py) and the rules module (hostedui/services/rules.py). This
module is what the views call:

* :func:`authorize_request_check` checks an authorization request (``/oauth2/authorize``
  and every sign-in page after it) with oauthlib's ``validate_authorization_request``: an
  app client with ``AllowedOAuthFlowsUserPoolClient``, a ``redirect_uri`` that is exactly
  one of its CallbackURLs, a ``response_type`` its AllowedOAuthFlows allow (``code``;
  ``token`` for ``implicit``), scopes among its AllowedOAuthScopes (all of them when the
  request names none), and Cognito's own parameters (``prompt``, ``identity_provider``,
  ``idp_identifier``, ``lang``, ``login_hint``, ``nonce``), which the pages carry on. Until
  the client and the redirect URI are known good, errors are shown to the person, never
  redirected (oauthlib's ``FatalClientError``; RFC 6749 §4.1.2.1); after that they go to
  the redirect URI with ``state`` (in the fragment for response_type ``token``).
* :func:`authorization_complete` answers it for a signed-in browser with oauthlib's
  ``create_authorization_response``: a code, good for five minutes and once, stored as a
  SHA-256 hash in django-oauth-toolkit's ``Grant`` table (a second use is refused and
  revokes the tokens the first one got: RFC 6749 §4.1.2), or the implicit grant's tokens.
* PKCE (RFC 7636): a public client (no secret: nothing else proves who redeems its codes)
  must send an ``S256`` code_challenge on the code grant (RFC 9700 §2.1.1: ``plain`` puts
  the secret in the authorization request itself) — a Cognate rule beyond Cognito's, which
  Amplify and amazon-cognito-identity-js meet as they always send S256 — unless its pool's
  Cognate setting ``pkce_optional_for_public_clients`` relaxes it for legacy clients
  (``rules.pkce_required``, also django-oauth-toolkit's ``PKCE_REQUIRED``). Confidential
  clients may use PKCE, ``S256`` or — beyond Cognito — ``plain`` (RFC 7636 §4.2), or not.
* Tokens come from the user pool's one token service (``userpools.services.tokens``), so a
  refresh token from ``/oauth2/token`` works with ``InitiateAuth`` and the other way round,
  and revocation covers both. The ID token is issued with the ``openid`` scope only, with
  ``nonce`` and ``at_hash``. User tokens are issued through the sign-in package, so the
  ``token_generation`` hook runs as for the API (userpools/signin/hooks.py): the code's
  exchange and the implicit redirect with TokenGeneration_HostedAuth
  (userpools/signin/hosted.py), the refresh_token grant with TokenGeneration_RefreshTokens
  (userpools/signin/refresh.py). A hook that refuses the exchange spends the code and
  issues nothing (``invalid_grant``); one that refuses the implicit grant sends
  ``access_denied`` back to the client.
* :func:`userinfo_response` is oauthlib's OpenID Connect UserInfoEndpoint: an access token
  of the pool with the ``openid`` scope, answered with the attributes its scopes allow.
* ``/logout`` (:func:`logout_request_check`) has no oauthlib endpoint: it is this module's.

Errors the views render are :class:`OAuthError` with RFC 6749's codes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.utils import timezone
from oauth2_provider.models import Grant
from oauthlib.oauth2.rfc6749 import errors
from oauthlib.openid.connect.core.endpoints.userinfo import UserInfoEndpoint

from hostedui.models import HostedSession
from hostedui.services.rules import (
    CARRIED,
    REAUTHENTICATE,
    OAuthError,
    client_of_pool,
    logout_uri_allowed,
    one,
)
from hostedui.services.rules import (
    pkce_required_for_client_id as pkce_required_for_client_id,  # DOT's PKCE_REQUIRED (config/settings.py)
)
from hostedui.services.validator import CognitoServer, CognitoValidator
from userpools.context import ServiceContext, client_context
from userpools.models import AppClient, UserPool

# The authorization request's URI as oauthlib gets it: only its parameters are read.
AUTHORIZE_URI = "https://cognate.invalid/oauth2/authorize"
USERINFO_URI = "https://cognate.invalid/oauth2/userInfo"
HOSTED = ServiceContext(actor="hostedui")  # checking a request changes nothing
# Descriptions for the errors oauthlib raises without one.
DESCRIPTIONS = {"unsupported_response_type": "The response_type is not supported."}


# --- The authorization request ------------------------------------------------------------------


@dataclass(frozen=True)
class AuthorizeRequest:
    """A checked authorization request: what the pages carry until the user is signed in."""

    client: AppClient
    response_type: str
    redirect_uri: str
    scopes: list[str]
    state: str | None = None
    nonce: str | None = None
    code_challenge: str | None = None
    code_challenge_method: str | None = None
    prompt: str | None = None
    identity_provider: str | None = None
    idp_identifier: str | None = None
    lang: str | None = None
    login_hint: str | None = None
    params: dict[str, str] = field(default_factory=dict)  # the request's own parameters, to carry on

    @property
    def reauthenticate(self) -> bool:
        return self.prompt in REAUTHENTICATE


def _server(pool: UserPool, ctx: ServiceContext, params: Mapping[str, Any]) -> tuple[CognitoServer, CognitoValidator]:
    validator = CognitoValidator(pool, ctx)
    validator.params = params
    return CognitoServer(validator), validator


def _authorize_uri(params: Mapping[str, Any]) -> str:
    """The request as oauthlib reads it: the carried parameters only (a page's form also
    holds a password), the first value of each, empty ones left out (RFC 6749 §3.1). The
    validator checks the rest on ``params`` itself (repeated or malformed values)."""
    getlist = getattr(params, "getlist", None)
    pairs = []
    for name in CARRIED:
        values = getlist(name) if getlist is not None else ([params[name]] if name in params else [])
        if values and values[0] != "":
            pairs.append((name, str(values[0])))
    return f"{AUTHORIZE_URI}?{urlencode(pairs)}"


def _state(params: Mapping[str, Any]) -> str | None:
    try:
        return one(params, "state")
    except OAuthError:
        return None


def _as_oauth_error(exc: errors.OAuth2Error, validator: CognitoValidator, params: Mapping[str, Any]) -> OAuthError:
    """oauthlib's error as the views render it: shown to the person while the client or
    the redirect URI is not known good (a FatalClientError), otherwise sent back to the
    redirect URI with ``state``, in the fragment for response_type ``token``."""
    redirect = not isinstance(exc, errors.FatalClientError) and validator.redirect_uri is not None
    description = exc.description or DESCRIPTIONS.get(exc.error, "")
    out = OAuthError(exc.error, description, redirect=redirect)
    if redirect:
        out.redirect_uri, out.state = validator.redirect_uri, _state(params)
        try:
            out.fragment = one(params, "response_type") == "token"
        except OAuthError:
            out.fragment = False
    return out


def authorize_request_check(pool: UserPool, params: Mapping[str, Any]) -> AuthorizeRequest:
    """Check an authorization request (``/oauth2/authorize`` and every page after it) with
    oauthlib's authorization endpoint and the Cognito validator.

    Raises :class:`OAuthError`: ``redirect=False`` for a missing, repeated or unknown
    client_id, a redirect_uri that is repeated or not one of the client's callback URLs
    (``redirect_mismatch``); after that (redirectable) ``unauthorized_client`` (the client
    may not use OAuth or this response type), ``invalid_request``,
    ``unsupported_response_type``, ``invalid_scope``.
    """
    # oauthlib gets the first value of each parameter; a repeated client_id or redirect_uri
    # is fatal (as oauthlib would find it), the others the validator refuses redirectably.
    one(params, "client_id", redirect=False)
    one(params, "redirect_uri", redirect=False)
    server, validator = _server(pool, HOSTED, params)
    try:
        scopes, info = server.validate_authorization_request(_authorize_uri(params))
    except errors.OAuth2Error as exc:
        raise _as_oauth_error(exc, validator, params) from None
    request = info["request"]
    carried = {name: value for name in CARRIED if (value := one(params, name)) is not None}
    carried["redirect_uri"] = request.redirect_uri
    return AuthorizeRequest(
        client=request.client,
        response_type=request.response_type,
        redirect_uri=request.redirect_uri,
        scopes=list(scopes),
        state=carried.get("state"),
        nonce=carried.get("nonce"),
        code_challenge=carried.get("code_challenge"),
        code_challenge_method=request.code_challenge_method if carried.get("code_challenge") else None,
        prompt=carried.get("prompt"),
        identity_provider=carried.get("identity_provider"),
        idp_identifier=carried.get("idp_identifier"),
        lang=carried.get("lang"),
        login_hint=carried.get("login_hint"),
        params=carried,
    )


def authorization_complete(ctx: ServiceContext, *, request: AuthorizeRequest, session: HostedSession) -> str:
    """Where the browser of the signed-in ``session`` goes with the answer to ``request``
    (oauthlib's ``create_authorization_response``): the redirect URI with ``code`` and
    ``state`` in its query (response_type code), or the implicit grant's tokens (no refresh
    token) or, when a token_generation hook refuses them, ``access_denied``, in its
    fragment. Raises :class:`OAuthError` (shown, ``redirect=False``) if the request no
    longer names a good client and redirect URI."""
    server, validator = _server(request.client.pool, client_context(ctx, request.client), request.params)
    try:
        headers, _, _ = server.create_authorization_response(
            _authorize_uri(request.params),
            scopes=request.scopes,
            credentials={"user": session.user, "hosted_session": session},
        )
    except errors.OAuth2Error as exc:
        error = _as_oauth_error(exc, validator, request.params)
        if not error.redirect:
            raise error from None
        params = {**error.body(), **({"state": error.state} if error.state is not None else {})}
        sep = "#" if error.fragment else ("&" if "?" in request.redirect_uri else "?")
        return f"{request.redirect_uri}{sep}{urlencode(params)}"
    return headers["Location"]


# --- userInfo ------------------------------------------------------------------------------------------


def userinfo_response(pool: UserPool, authorization: str | None) -> tuple[dict[str, str], str, int]:
    """``/oauth2/userInfo`` on oauthlib's OpenID Connect UserInfoEndpoint: (headers, JSON
    body, status). Only the ``Authorization`` header is passed on (the validator's
    ``validate_bearer_token`` says why). Errors: ``invalid_token`` (401: missing, invalid,
    expired, revoked, another pool's), ``insufficient_scope`` (403: no openid scope, e.g. a
    token from InitiateAuth), ``invalid_request`` (400: not a Bearer token)."""
    endpoint = UserInfoEndpoint(CognitoValidator(pool, HOSTED))
    headers = {"Authorization": authorization} if authorization is not None else {}
    try:
        return endpoint.create_userinfo_response(USERINFO_URI, http_method="GET", headers=headers)
    except errors.OAuth2Error as exc:
        out = dict(exc.headers)
        if exc.status_code == 403:  # RFC 6750 §3: the challenge names insufficient_scope too
            out["WWW-Authenticate"] = f'Bearer error="{exc.error}"'
        return out, exc.json, exc.status_code


# --- Logout ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LogoutTarget:
    url: str  # where to send the browser once its session has ended
    sign_in_again: AuthorizeRequest | None = None  # the redirect_uri form: back to the sign-in page


def logout_request_check(pool: UserPool, params: Mapping[str, Any]) -> LogoutTarget:
    """``/logout``: ``client_id`` and a ``logout_uri`` among its LogoutURLs, or the
    ``redirect_uri`` + ``response_type`` form, which returns to the sign-in page. Raises
    :class:`OAuthError` (``redirect=False``: shown, never redirected)."""
    client = client_of_pool(pool, one(params, "client_id", redirect=False))
    if client is None:
        raise OAuthError(
            "invalid_request", "The client_id is missing or is not a client of this user pool.", redirect=False
        )
    logout_uri = one(params, "logout_uri", redirect=False)
    if logout_uri is not None:
        if not logout_uri_allowed(client, logout_uri):
            raise OAuthError(
                "invalid_request", "The logout_uri is not one of the client's sign-out URLs.", redirect=False
            )
        return LogoutTarget(url=logout_uri)
    if one(params, "redirect_uri", redirect=False) is None:
        raise OAuthError("invalid_request", "Give a logout_uri, or a redirect_uri and response_type.", redirect=False)
    try:
        request = authorize_request_check(pool, params)
    except OAuthError as exc:
        raise OAuthError(exc.error, exc.description, redirect=False) from None
    return LogoutTarget(url=request.redirect_uri, sign_in_again=request)


def grants_purge(*, now: datetime | None = None) -> int:
    """Delete authorization codes that expired an hour ago (the hourly clean-up task)."""
    deleted, _ = Grant.objects.filter(expires__lt=(now or timezone.now()) - timedelta(hours=1)).delete()
    return deleted

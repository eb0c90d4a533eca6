"""The OAuth 2.0 / OpenID Connect authorization server of a pool's hosted pages.

Cognito's endpoints and rules (Developer Guide, "User pool endpoints and managed login
reference": the authorize, token, userInfo, revoke and logout endpoints), over RFC 6749,
RFC 7636 (PKCE), RFC 7009 (revocation) and OpenID Connect Core 1.0:

* ``/oauth2/authorize`` admits an app client with ``AllowedOAuthFlowsUserPoolClient``, a
  ``redirect_uri`` that is exactly one of its CallbackURLs, a ``response_type`` its
  AllowedOAuthFlows allow (``code``; ``token`` for ``implicit``) and scopes among its
  AllowedOAuthScopes (all of them when the request names none). Until the client and the
  redirect URI are known good, errors are shown to the person, never redirected
  (RFC 6749 §4.1.2.1); after that they go to the redirect URI with ``state``.
* Authorization codes live five minutes, are stored as SHA-256 hashes in
  django-oauth-toolkit's ``Grant`` table and are good once: a second use is refused and
  revokes the tokens the first one got (RFC 6749 §4.1.2).
* PKCE (RFC 7636): a public client (no secret: nothing else proves who redeems its codes)
  must send an ``S256`` code_challenge on the code grant (RFC 9700 §2.1.1: ``plain`` puts
  the secret in the authorization request itself) — a Cognate rule beyond Cognito's, which
  Amplify and amazon-cognito-identity-js meet as they always send S256 — unless its pool's
  Cognate setting ``pkce_optional_for_public_clients`` relaxes it for legacy clients
  (:func:`pkce_required`, also django-oauth-toolkit's ``PKCE_REQUIRED``). Confidential
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

Errors are :class:`OAuthError` with RFC 6749's codes; the views render them. The token
and revocation endpoints run on django-oauth-toolkit's and oauthlib's server, with these
rules in its validator (hostedui/services/validator.py).
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone
from oauth2_provider.models import Grant
from oauthlib.oauth2.rfc6749.grant_types.authorization_code import (
    code_challenge_method_plain,
    code_challenge_method_s256,
)

from hostedui.models import HostedSession
from userpools.context import ServiceContext, client_context
from userpools.errors import (
    NotAuthorized,
    ServiceError,
)
from userpools.models import AppClient, UserPool
from userpools.services import tokens, users
from userpools.services.audit import audit_record
from userpools.services.clients import STANDARD_SCOPES
from userpools.services.resource_servers import custom_scopes
from userpools.signin import hosted_tokens_issue

CODE_LIFETIME = timedelta(minutes=5)
RESPONSE_TYPES = {"code": "code", "token": "implicit"}  # response_type -> the AllowedOAuthFlows value
PROMPTS = frozenset({"none", "login", "select_account", "consent"})
REAUTHENTICATE = frozenset({"login", "select_account", "consent"})
COGNITO_PROVIDER = "COGNITO"
PKCE_METHODS = {"S256": code_challenge_method_s256, "plain": code_challenge_method_plain}
PKCE_VALUE = re.compile(r"[A-Za-z0-9\-._~]{43,128}")  # RFC 7636 §4.1 and §4.2
MAX_PARAMETER = 2048
FORM = "application/x-www-form-urlencoded"  # the body of a token or revocation request
# The parameters an authorization request carries from page to page of the sign-in.
CARRIED = (
    "client_id",
    "response_type",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "identity_provider",
    "idp_identifier",
    "prompt",
    "lang",
    "login_hint",
)


class OAuthError(Exception):
    """An OAuth 2.0 error response (RFC 6749 §4.1.2.1, §5.2; RFC 6750 §3.1).

    ``redirect``: the authorization request's client and redirect URI are good, so the
    error goes back to the client; otherwise it is shown to the person.
    """

    def __init__(self, error: str, description: str = "", *, status: int = 400, redirect: bool = True) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status
        self.redirect = redirect
        # Where a redirectable error goes (set by authorize_request_check).
        self.redirect_uri: str | None = None
        self.state: str | None = None
        self.fragment = False

    def body(self) -> dict[str, str]:
        out = {"error": self.error}
        if self.description:
            out["error_description"] = self.description
        return out


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


def _one(params: Mapping[str, Any], name: str, *, redirect: bool = True) -> str | None:
    """A parameter given at most once (RFC 6749 §3.1), within a sane length."""
    getlist = getattr(params, "getlist", None)
    values = getlist(name) if getlist is not None else ([params[name]] if name in params else [])
    if len(values) > 1:
        raise OAuthError("invalid_request", f"The {name} parameter is repeated.", redirect=redirect)
    if not values or values[0] == "":
        return None
    value = str(values[0])
    if len(value) > MAX_PARAMETER or "\x00" in value:
        raise OAuthError("invalid_request", f"The {name} parameter is malformed.", redirect=redirect)
    return value


def pkce_required(client: AppClient) -> bool:
    """Whether ``client`` must use PKCE with S256 on the authorization code grant: a public
    client (one without a secret: RFC 6749 §2.1), unless its pool relaxes this
    (``UserPool.pkce_optional_for_public_clients``, set in the admin console)."""
    if client.pool.pkce_optional_for_public_clients:
        return False
    return not client.secrets.exists()


def pkce_required_for_client_id(client_id: str, request: object = None) -> bool:
    """:func:`pkce_required` by client id: django-oauth-toolkit's ``PKCE_REQUIRED`` callable
    (config/settings.py), so DOT's own validator, wherever it runs, keeps the same rule."""
    client = AppClient.objects.select_related("pool").filter(client_id=client_id).first()
    return client is None or pkce_required(client)


def client_of_pool(pool: UserPool, client_id: str | None) -> AppClient | None:
    if not client_id:
        return None
    return AppClient.objects.select_related("pool").filter(pool=pool, client_id=client_id).first()


def oauth_enabled(client: AppClient) -> bool:
    return bool(client.settings.get("AllowedOAuthFlowsUserPoolClient"))


def redirect_uri_allowed(client: AppClient, uri: str) -> bool:
    """Exactly one of the client's CallbackURLs (Cognito compares them as strings)."""
    return uri in (client.settings.get("CallbackURLs") or [])


def logout_uri_allowed(client: AppClient, uri: str) -> bool:
    return uri in (client.settings.get("LogoutURLs") or [])


def scopes_check(client: AppClient, requested: str | None, *, redirect: bool = True) -> list[str]:
    """The scopes a request gets: those it names (space-separated), each allowed to the
    client, or — when it names none — every allowed scope. A custom scope whose resource
    server no longer defines it is inactive: ignored, not in the token (Developer Guide,
    "Scopes, M2M, and APIs with resource servers"), until it is defined again. Raises
    ``invalid_scope`` for a scope the client is not allowed, or when none is left."""
    allowed = list(client.settings.get("AllowedOAuthScopes") or [])
    names = allowed if requested is None else list(dict.fromkeys(requested.split()))
    if requested is not None:
        refused = [s for s in names if s not in allowed]
        if refused:
            raise OAuthError(
                "invalid_scope", f"The scope {refused[0]} is not allowed for this client.", redirect=redirect
            )
    custom = [s for s in names if s not in STANDARD_SCOPES]
    if custom:
        defined = custom_scopes(client.pool_id)
        names = [s for s in names if s in STANDARD_SCOPES or s in defined]
    if not names:
        raise OAuthError("invalid_scope", "No scope is allowed for this client.", redirect=redirect)
    return names


def authorize_request_check(pool: UserPool, params: Mapping[str, Any]) -> AuthorizeRequest:
    """Check an authorization request (``/oauth2/authorize`` and every page after it).

    Raises :class:`OAuthError`: ``redirect=False`` for a missing or unknown client_id, a
    redirect_uri that is not one of the client's callback URLs; after that (redirectable)
    ``unauthorized_client`` (the client may not use OAuth or this response type),
    ``invalid_request``, ``unsupported_response_type``, ``invalid_scope``.
    """
    client = client_of_pool(pool, _one(params, "client_id", redirect=False))
    if client is None:
        raise OAuthError(
            "invalid_request", "The client_id is missing or is not a client of this user pool.", redirect=False
        )
    redirect_uri = _one(params, "redirect_uri", redirect=False) or client.settings.get("DefaultRedirectURI")
    if not redirect_uri or not redirect_uri_allowed(client, redirect_uri):
        raise OAuthError(
            "redirect_mismatch", "The redirect_uri is not one of the client's callback URLs.", redirect=False
        )
    try:
        return _authorize_request_rest(client, redirect_uri, params)
    except OAuthError as exc:
        if exc.redirect:
            exc.redirect_uri = redirect_uri
            try:
                exc.state = _one(params, "state")
            except OAuthError:
                exc.state = None
            try:
                exc.fragment = _one(params, "response_type") == "token"
            except OAuthError:
                exc.fragment = False
        raise


def _authorize_request_rest(client: AppClient, redirect_uri: str, params: Mapping[str, Any]) -> AuthorizeRequest:
    if not oauth_enabled(client):
        raise OAuthError("unauthorized_client", "The client is not allowed to use OAuth 2.0 flows.")
    response_type = _one(params, "response_type")
    if response_type is None:
        raise OAuthError("invalid_request", "The response_type parameter is required.")
    if response_type not in RESPONSE_TYPES:
        raise OAuthError("unsupported_response_type", f"The response_type {response_type} is not supported.")
    if RESPONSE_TYPES[response_type] not in (client.settings.get("AllowedOAuthFlows") or []):
        raise OAuthError("unauthorized_client", f"The client is not allowed the {RESPONSE_TYPES[response_type]} flow.")
    scopes = scopes_check(client, _one(params, "scope"))
    challenge, method = _one(params, "code_challenge"), _one(params, "code_challenge_method")
    if challenge is None and method is not None:
        raise OAuthError("invalid_request", "code_challenge_method needs a code_challenge.")
    if challenge is not None:
        method = method or "plain"  # RFC 7636 §4.3
        if method not in PKCE_METHODS:
            raise OAuthError("invalid_request", "code_challenge_method must be S256 or plain.")
        if not PKCE_VALUE.fullmatch(challenge):
            raise OAuthError("invalid_request", "The code_challenge is malformed.")
        if response_type != "code":
            raise OAuthError("invalid_request", "PKCE applies to the authorization code flow.")
    if response_type == "code" and method != "S256" and pkce_required(client):
        # Missing, or plain (RFC 7636 §4.4.1: the server may refuse plain).
        raise OAuthError(
            "invalid_request", "This client must use PKCE: a code_challenge with code_challenge_method S256."
        )
    prompt = _one(params, "prompt")
    if prompt is not None and prompt not in PROMPTS:
        raise OAuthError("invalid_request", f"The prompt {prompt} is not supported.")
    provider, identifier = _one(params, "identity_provider"), _one(params, "idp_identifier")
    supported = client.settings.get("SupportedIdentityProviders") or []
    if provider is not None and provider != COGNITO_PROVIDER:
        # Federation (social and SAML identity providers) is not built yet: no other provider exists.
        raise OAuthError("invalid_request", f"The identity provider {provider} does not exist for this client.")
    if identifier is not None:
        raise OAuthError("invalid_request", f"No identity provider has the identifier {identifier}.")
    if COGNITO_PROVIDER not in supported:
        raise OAuthError("unauthorized_client", "The client does not support sign-in with the user pool (COGNITO).")
    carried = {name: value for name in CARRIED if (value := _one(params, name)) is not None}
    carried["redirect_uri"] = redirect_uri
    return AuthorizeRequest(
        client=client,
        response_type=response_type,
        redirect_uri=redirect_uri,
        scopes=scopes,
        state=_one(params, "state"),
        nonce=_one(params, "nonce"),
        code_challenge=challenge,
        code_challenge_method=method,
        prompt=prompt,
        identity_provider=provider,
        idp_identifier=identifier,
        lang=_one(params, "lang"),
        login_hint=_one(params, "login_hint"),
        params=carried,
    )


# --- Completing it: a code, or tokens (implicit) --------------------------------------------------


def code_digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def authorization_complete(ctx: ServiceContext, *, request: AuthorizeRequest, session: HostedSession) -> dict[str, str]:
    """The parameters of the response to ``request`` for the signed-in browser ``session``:
    ``code`` (response_type code), or the implicit grant's tokens (no refresh token) or,
    when a token_generation hook refuses them, ``access_denied``; ``state`` either way. The
    caller puts them in the redirect URI's query or fragment."""
    client, user = request.client, session.user
    ctx = client_context(ctx, client)
    if request.response_type == "token":
        try:
            issued = hosted_tokens_issue(
                ctx,
                client=client,
                user=user,
                auth_time=session.auth_time,
                scopes=request.scopes,
                nonce=request.nonce,
                refresh=False,
            )
        except ServiceError as exc:  # a token_generation hook refused (RFC 6749 §4.2.2.1)
            out = {"error": "access_denied", "error_description": exc.message}
        else:
            out = {"access_token": issued.access_token}
            if issued.id_token is not None:
                out["id_token"] = issued.id_token
            out.update({"token_type": "Bearer", "expires_in": str(issued.expires_in)})
    else:
        code = secrets.token_urlsafe(32)
        Grant.objects.create(
            user=user,
            code=code_digest(code),
            application=client,
            expires=timezone.now() + CODE_LIFETIME,
            redirect_uri=request.redirect_uri,
            scope=" ".join(request.scopes),
            code_challenge=request.code_challenge or "",
            code_challenge_method=request.code_challenge_method or "",
            nonce=request.nonce or "",
            claims=claims_dump({"auth_time": session.auth_time.isoformat(), "hosted_session": session.pk}),
        )
        audit_record(
            ctx, "user.authorization_code", pool_id=user.pool_id, target=user.username, client_id=client.client_id
        )
        out = {"code": code}
    if request.state is not None:
        out["state"] = request.state
    return out


def claims_dump(value: dict[str, Any]) -> str:
    return json.dumps(value)


def claims_load(text: str) -> dict[str, Any]:
    try:
        loaded = json.loads(text or "{}")
    except ValueError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


# --- The token endpoint (hostedui/services/validator.py) -------------------------------------------


def flow_allowed(client: AppClient, flow: str) -> bool:
    return oauth_enabled(client) and flow in (client.settings.get("AllowedOAuthFlows") or [])


# --- userInfo and revocation ---------------------------------------------------------------------------

# What each scope adds to the userInfo answer besides sub and username (Developer Guide,
# "The user attributes endpoint"); the openid scope alone gives every readable attribute.
PROFILE_ATTRIBUTES = frozenset(
    {
        "name",
        "family_name",
        "given_name",
        "middle_name",
        "nickname",
        "preferred_username",
        "profile",
        "picture",
        "website",
        "gender",
        "birthdate",
        "zoneinfo",
        "locale",
        "updated_at",
    }
)
SCOPE_ATTRIBUTES = {
    "email": frozenset({"email", "email_verified"}),
    "phone": frozenset({"phone_number", "phone_number_verified"}),
}


def userinfo(pool: UserPool, token: str | None) -> dict[str, Any]:
    """``/oauth2/userInfo``: the user attributes an access token's scopes allow, as strings.
    Raises :class:`OAuthError` ``invalid_token`` (401: missing, invalid, expired, revoked,
    another pool's) and
    ``insufficient_scope`` (403: no openid scope, e.g. a token from InitiateAuth)."""
    if not token:
        raise OAuthError("invalid_token", "An access token is required.", status=401)
    try:
        user, claims = tokens.access_token_authenticate(token)
    except NotAuthorized as exc:
        raise OAuthError("invalid_token", exc.message, status=401) from None
    if user.pool_id != pool.id:
        raise OAuthError("invalid_token", "The access token is of another user pool.", status=401)
    scopes = set(str(claims.get("scope", "")).split())
    if tokens.OPENID_SCOPE not in scopes:
        raise OAuthError("insufficient_scope", "The access token has no openid scope.", status=403)
    client = tokens.access_token_client(claims)
    readable = {a["Name"]: a["Value"] for a in users.attributes_list(user, client=client, developer=False)}
    if scopes & ({"profile"} | set(SCOPE_ATTRIBUTES)):
        wanted: set[str] = set()
        if "profile" in scopes:
            wanted |= {n for n in readable if n in PROFILE_ATTRIBUTES or n.startswith("custom:")}
        for scope, names in SCOPE_ATTRIBUTES.items():
            if scope in scopes:
                wanted |= names
        readable = {n: v for n, v in readable.items() if n in wanted or n == "sub"}
    return {"sub": str(user.sub), **{n: v for n, v in readable.items() if n != "sub"}, "username": user.username}


# --- Logout ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LogoutTarget:
    url: str  # where to send the browser once its session has ended
    sign_in_again: AuthorizeRequest | None = None  # the redirect_uri form: back to the sign-in page


def logout_request_check(pool: UserPool, params: Mapping[str, Any]) -> LogoutTarget:
    """``/logout``: ``client_id`` and a ``logout_uri`` among its LogoutURLs, or the
    ``redirect_uri`` + ``response_type`` form, which returns to the sign-in page. Raises
    :class:`OAuthError` (``redirect=False``: shown, never redirected)."""
    client = client_of_pool(pool, _one(params, "client_id", redirect=False))
    if client is None:
        raise OAuthError(
            "invalid_request", "The client_id is missing or is not a client of this user pool.", redirect=False
        )
    logout_uri = _one(params, "logout_uri", redirect=False)
    if logout_uri is not None:
        if not logout_uri_allowed(client, logout_uri):
            raise OAuthError(
                "invalid_request", "The logout_uri is not one of the client's sign-out URLs.", redirect=False
            )
        return LogoutTarget(url=logout_uri)
    if _one(params, "redirect_uri", redirect=False) is None:
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

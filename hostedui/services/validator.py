"""The OAuth 2.0 endpoints on django-oauth-toolkit's and oauthlib's server.

oauthlib runs the authorization endpoint (response types ``code`` and ``token``), the grants
(authorization_code with PKCE, refresh_token, client_credentials), the revocation endpoint
(RFC 7009) and, through hostedui/services/oauth.py, OpenID Connect's UserInfoEndpoint: their
order of checks, their PKCE comparison and their error responses. Cognito's rules sit in
:class:`CognitoValidator`, DOT's validator (``oauth2_provider.oauth2_validators.OAuth2Validator``)
bound to one user pool, whose methods call the rules in hostedui/services/rules.py and the
token service; :class:`CognitoTokens` issues Cognito's tokens through the sign-in package, so
the ``token_generation`` hook, the refresh tokens shared with InitiateAuth and the JSON shape
are those of the rest of Cognate.

Where oauthlib's answer differs from Cognito's, the validator raises the error itself (an
``OAuth2Error`` raised by a validator method is the response): at the token endpoint
``invalid_grant`` for a missing or malformed ``code_verifier`` and for a redirect_uri that
differs (oauthlib says ``invalid_request`` for both), ``invalid_client`` with status 400
unless the client used HTTP Basic (oauthlib always says 401 with a Bearer challenge), and the
error descriptions; at the authorization endpoint Cognito's ``redirect_mismatch`` and the
checks oauthlib does not make (:meth:`CognitoValidator.authorization_pre_checks` and
``authorization_post_checks``, oauthlib's custom validators). Three checks of a token or
revocation request are :class:`CognitoServer`'s: the body must be a form, no parameter may be
repeated or oversized, and ``grant_type`` is required (oauthlib routes a request without one
to its default grant, which answers ``unsupported_grant_type``).

DOT's AccessToken, RefreshToken and IDToken tables are not used: tokens are Cognito's JWTs
and the token service's refresh tokens (userpools/services/tokens/). DOT's ``Grant`` table
holds the authorization codes, as SHA-256 hashes (:meth:`CognitoValidator.save_authorization_code`).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import unquote_plus

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from oauth2_provider.models import Grant
from oauth2_provider.oauth2_backends import OAuthLibCore
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauthlib.oauth2.rfc6749 import errors
from oauthlib.oauth2.rfc6749.endpoints.authorization import AuthorizationEndpoint
from oauthlib.oauth2.rfc6749.endpoints.revocation import RevocationEndpoint
from oauthlib.oauth2.rfc6749.endpoints.token import TokenEndpoint
from oauthlib.oauth2.rfc6749.grant_types import (
    AuthorizationCodeGrant,
    ClientCredentialsGrant,
    ImplicitGrant,
    RefreshTokenGrant,
)
from oauthlib.oauth2.rfc6749.tokens import BearerToken, OAuth2Token

from hostedui.services.rules import (
    CARRIED,
    CODE_LIFETIME,
    COGNITO_PROVIDER,
    FORM,
    MAX_PARAMETER,
    PKCE_METHODS,
    PKCE_VALUE,
    PROMPTS,
    RESPONSE_TYPES,
    OAuthError,
    claims_dump,
    claims_load,
    client_of_pool,
    code_digest,
    flow_allowed,
    oauth_enabled,
    one,
    pkce_required,
    redirect_uri_allowed,
    scopes_check,
    userinfo_claims,
)
from userpools.context import ServiceContext, client_context
from userpools.errors import NotAuthorized, ServiceError, Unauthorized, UnsupportedOperation, UnsupportedTokenType
from userpools.models import AppClient, User, UserPool
from userpools.services import tokens
from userpools.services.audit import audit_record
from userpools.signin import hosted_tokens_issue, oauth_refresh


class ClientAuthenticationFailed(errors.InvalidClientError):
    """``invalid_client`` as Cognito answers it: 401 with a Basic challenge when the client
    used HTTP Basic (RFC 6749 §5.2), otherwise 400 (oauthlib's is always 401, Bearer)."""

    def __init__(self, description: str, *, basic: bool, request: Any = None) -> None:
        super().__init__(description=description, status_code=401 if basic else 400, request=request)

    @property
    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": 'Basic realm="oauth2"'} if self.status_code == 401 else {}


class UnknownClient(errors.InvalidClientIdError):
    """A missing client_id, or one that is not an app client of the pool: shown to the person."""

    description = "The client_id is missing or is not a client of this user pool."


class RedirectMismatch(errors.MismatchingRedirectURIError):
    """Cognito's ``redirect_mismatch``: a redirect_uri (or, without one, the client's
    DefaultRedirectURI) that is not exactly one of the client's CallbackURLs. Shown, never
    redirected (RFC 6749 §4.1.2.1)."""

    error = "redirect_mismatch"
    description = "The redirect_uri is not one of the client's callback URLs."


class CognitoValidator(OAuth2Validator):
    """DOT's validator with Cognito's rules, for one user pool (the hosted request's)."""

    def __init__(self, pool: UserPool, ctx: ServiceContext) -> None:
        super().__init__()
        self.pool = pool
        self.ctx = ctx
        self._clients: dict[str, AppClient | None] = {}
        self._pkce: dict[str, bool] = {}
        # An authorization request's own parameters (hostedui/services/oauth.py gives oauthlib
        # the first value of each): the checks that need all of them, or names oauthlib does
        # not know (identity_provider, idp_identifier, lang), read them here.
        self.params: Mapping[str, Any] = {}
        self.redirect_uri: str | None = None  # once checked: where a redirectable error goes

    # --- Client authentication (RFC 6749 §2.3.1) ------------------------------------------

    def _client(self, client_id: str | None) -> AppClient | None:
        if not client_id:
            return None
        if client_id not in self._clients:
            self._clients[client_id] = client_of_pool(self.pool, client_id)
        return self._clients[client_id]

    def _pkce_required(self, client: AppClient) -> bool:
        """rules.pkce_required, asked once per request (oauthlib and the checks both ask)."""
        if client.client_id not in self._pkce:
            self._pkce[client.client_id] = pkce_required(client)
        return self._pkce[client.client_id]

    @staticmethod
    def _basic(request) -> tuple[str, str] | None:
        """client_secret_basic: both parts form-urlencoded before Base64 (RFC 6749 §2.3.1)."""
        header = request.headers.get("Authorization", "")
        if not header:
            return None
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            raise ClientAuthenticationFailed("Use HTTP Basic authentication for the client.", basic=True)
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except ValueError:  # binascii.Error, UnicodeDecodeError, and text that is not ASCII (headers are latin-1)
            raise ClientAuthenticationFailed("The Authorization header is malformed.", basic=True) from None
        client_id, sep, secret = decoded.partition(":")
        if not sep:
            raise ClientAuthenticationFailed("The Authorization header is malformed.", basic=True)
        return unquote_plus(client_id), unquote_plus(secret)

    def client_authentication_required(self, request, *args, **kwargs) -> bool:
        """Whether the request carries client credentials (Basic or ``client_secret``) or
        names a client with secrets; otherwise it is a public client's, identified by
        :meth:`authenticate_client_id`."""
        if self._basic(request) is not None or request.client_secret is not None:
            return True
        client = self._client(request.client_id)
        return client is not None and client.secrets.exists()

    def authenticate_client(self, request, *args, **kwargs) -> bool:
        """client_secret_basic or client_secret_post, one of them: a client with secrets
        must prove one (either, while one is being rotated); a secret sent for a client
        without one is ignored."""
        basic = self._basic(request)
        if basic is not None and request.client_secret is not None:
            raise errors.InvalidRequestError(description="Use one client authentication method, not two.")
        if basic is not None:
            client_id, secret = basic
            if request.client_id is not None and request.client_id != client_id:
                raise errors.InvalidRequestError(description="The client_id differs from the authenticated client.")
        else:
            client_id, secret = request.client_id, request.client_secret
        client = self._client(client_id)
        if client is None or tokens.client_secret_matches(client, secret) is False:
            raise ClientAuthenticationFailed("Client authentication failed.", basic=basic is not None)
        request.client, request.client_id = client, client.client_id
        return True

    def authenticate_client_id(self, client_id, request, *args, **kwargs) -> bool:
        """A public client (no secret), by its ``client_id`` alone."""
        client = self._client(client_id)
        if client is None:
            raise ClientAuthenticationFailed("Client authentication failed.", basic=False)
        request.client = client
        return True

    def validate_grant_type(self, client_id, grant_type, client, request, *args, **kwargs) -> bool:
        """The client's AllowedOAuthFlows: ``code`` for the authorization_code grant,
        ``client_credentials`` (and a secret) for that grant. A refresh token is bound to its
        client; the token service checks that when it refreshes."""
        if grant_type == "authorization_code" and not flow_allowed(client, "code"):
            raise errors.UnauthorizedClientError(
                description="The client is not allowed the authorization code flow.", request=request
            )
        if grant_type == "client_credentials" and (
            not flow_allowed(client, "client_credentials") or tokens.client_secret_matches(client, None) is None
        ):
            raise errors.UnauthorizedClientError(
                description="The client is not allowed the client_credentials flow.", request=request
            )
        return grant_type in CognitoServer.GRANT_TYPES

    # --- The authorization request (RFC 6749 §4.1.1, §4.2.1) --------------------------------

    def validate_client_id(self, client_id, request, *args, **kwargs) -> bool:
        client = self._client(client_id)
        if client is None:
            raise UnknownClient(request=request)
        request.client = client
        return True

    def validate_redirect_uri(self, client_id, redirect_uri, request, *args, **kwargs) -> bool:
        if not redirect_uri_allowed(request.client, redirect_uri):
            raise RedirectMismatch(request=request)
        self.redirect_uri = redirect_uri
        return True

    def get_default_redirect_uri(self, client_id, request, *args, **kwargs) -> str | None:
        """At /oauth2/authorize the client's DefaultRedirectURI, when it is one of its
        callback URLs; at /oauth2/token none: the token request names the authorization
        request's redirect_uri."""
        if request.grant_type is not None:
            return None
        default = request.client.settings.get("DefaultRedirectURI")
        if not default:
            raise RedirectMismatch(request=request)
        self.validate_redirect_uri(client_id, default, request)
        return default

    def _one(self, name: str, request) -> str | None:
        try:
            return one(self.params, name)
        except OAuthError as exc:
            raise errors.InvalidRequestError(description=exc.description, request=request) from None

    def authorization_pre_checks(self, request) -> dict[str, Any]:
        """oauthlib's ``pre_auth`` validator, once the client and its redirect URI are good:
        every parameter given once and well formed (oauthlib finds a repeated
        response_type, scope or state fatal; RFC 6749 §4.1.2.1 redirects it), and a
        client allowed OAuth 2.0 flows at all."""
        for name in CARRIED:
            if name not in ("client_id", "redirect_uri"):
                self._one(name, request)
        if not oauth_enabled(request.client):
            raise errors.UnauthorizedClientError(
                description="The client is not allowed to use OAuth 2.0 flows.", request=request
            )
        return {}

    def validate_response_type(self, client_id, response_type, client, request, *args, **kwargs) -> bool:
        """``code`` or ``token``, each when the client's AllowedOAuthFlows allow it."""
        if response_type not in RESPONSE_TYPES:
            raise errors.UnsupportedResponseTypeError(
                description=f"The response_type {response_type} is not supported.", request=request
            )
        if not flow_allowed(client, RESPONSE_TYPES[response_type]):
            raise errors.UnauthorizedClientError(
                description=f"The client is not allowed the {RESPONSE_TYPES[response_type]} flow.", request=request
            )
        return True

    def authorization_post_checks(self, request) -> dict[str, Any]:
        """oauthlib's ``post_auth`` validator: what oauthlib does not check. PKCE: a
        well-formed code_challenge (RFC 7636 §4.2), only with the code flow, no method
        without a challenge, and S256 where it is required (plain puts the secret in the
        request itself: RFC 7636 §4.4.1); ``prompt``; the identity provider."""
        challenge, method = self._one("code_challenge", request), self._one("code_challenge_method", request)
        if challenge is None and method is not None:
            raise errors.InvalidRequestError(
                description="code_challenge_method needs a code_challenge.", request=request
            )
        if challenge is not None:
            method = method or "plain"  # RFC 7636 §4.3
            if method not in PKCE_METHODS:
                raise errors.InvalidRequestError(
                    description="code_challenge_method must be S256 or plain.", request=request
                )
            if not PKCE_VALUE.fullmatch(challenge):
                raise errors.InvalidRequestError(description="The code_challenge is malformed.", request=request)
            if request.response_type != "code":
                raise errors.InvalidRequestError(
                    description="PKCE applies to the authorization code flow.", request=request
                )
        if request.response_type == "code" and method != "S256" and self._pkce_required(request.client):
            raise errors.InvalidRequestError(
                description="This client must use PKCE: a code_challenge with code_challenge_method S256.",
                request=request,
            )
        prompt = self._one("prompt", request)
        if prompt is not None and prompt not in PROMPTS:
            raise errors.InvalidRequestError(description=f"The prompt {prompt} is not supported.", request=request)
        provider, identifier = self._one("identity_provider", request), self._one("idp_identifier", request)
        if provider is not None and provider != COGNITO_PROVIDER:
            # Sign-in through a federated identity provider is not served yet (the providers
            # exist: userpools/services/identity_providers.py): refused, never the pool's own page.
            raise errors.InvalidRequestError(
                description=f"The identity provider {provider} does not exist for this client.", request=request
            )
        if identifier is not None:
            raise errors.InvalidRequestError(
                description=f"No identity provider has the identifier {identifier}.", request=request
            )
        if COGNITO_PROVIDER not in (request.client.settings.get("SupportedIdentityProviders") or []):
            raise errors.UnauthorizedClientError(
                description="The client does not support sign-in with the user pool (COGNITO).", request=request
            )
        return {}

    def save_authorization_code(self, client_id, code, request, *args, **kwargs) -> None:
        """Store the code (its SHA-256) for five minutes with what its redemption needs: the
        request's redirect URI, scopes, PKCE challenge and nonce, and the browser session's
        sign-in time. ``request.user`` and ``request.hosted_session`` are the credentials
        hostedui/services/oauth.py passes."""
        session, client = request.hosted_session, request.client
        Grant.objects.create(
            user=request.user,
            code=code_digest(code["code"]),
            application=client,
            expires=timezone.now() + CODE_LIFETIME,
            redirect_uri=request.redirect_uri,
            scope=" ".join(request.scopes),
            code_challenge=request.code_challenge or "",
            code_challenge_method=(request.code_challenge_method or "") if request.code_challenge else "",
            nonce=request.nonce or "",
            claims=claims_dump({"auth_time": session.auth_time.isoformat(), "hosted_session": session.pk}),
        )
        audit_record(
            client_context(self.ctx, client),
            "user.authorization_code",
            pool_id=request.user.pool_id,
            target=request.user.username,
            client_id=client.client_id,
        )

    # --- The authorization code (RFC 6749 §4.1.3, RFC 7636 §4.6) ---------------------------

    def validate_code(self, client_id, code, client, request, *args, **kwargs) -> bool:
        """The code is this client's, unexpired and unused; its row stays locked until the
        request's transaction ends (hostedui/views/oauth.py), so it is redeemed once. A
        second use revokes the tokens the first one got (RFC 6749 §4.1.2)."""
        grant = Grant.objects.select_for_update().filter(code=code_digest(code), application=client).first()
        if grant is None or grant.expires <= timezone.now():
            raise errors.InvalidGrantError(description="The authorization code is invalid or has expired.")
        claims = claims_load(grant.claims)
        if claims.get("redeemed_at"):
            if claims.get("token_session"):
                tokens.token_session_revoke(
                    client_context(self.ctx, client),
                    session_id=claims["token_session"],
                    reason="authorization code reused",
                )
            raise errors.InvalidGrantError(description="The authorization code has already been used.")
        # oauthlib compares a well-formed verifier with the challenge. Cognito answers
        # invalid_grant where oauthlib would say invalid_request (no verifier), and a
        # verifier outside RFC 7636 §4.1's alphabet and length is refused before that.
        verifier = request.code_verifier
        if grant.code_challenge:
            if (
                verifier is None
                or not PKCE_VALUE.fullmatch(verifier)
                or grant.code_challenge_method not in PKCE_METHODS
            ):
                raise errors.InvalidGrantError(description="The code_verifier does not match the code_challenge.")
        elif self._pkce_required(client):
            # Issued while the pool allowed it (codes live five minutes): not redeemed now.
            raise errors.InvalidGrantError(description="The authorization code was issued without PKCE.")
        user = User.objects.select_related("pool").get(pk=grant.user_id)
        if not user.is_active:
            raise errors.InvalidGrantError(description="User is disabled.")
        request.grant, request.grant_claims = grant, claims
        request.user, request.scopes = user, grant.scope.split()
        return True

    def get_code_challenge(self, code, request) -> str | None:
        return request.grant.code_challenge or None

    def get_code_challenge_method(self, code, request) -> str | None:
        return request.grant.code_challenge_method or None

    def is_pkce_required(self, client_id, request) -> bool:
        client = request.client or self._client(client_id)
        return client is None or self._pkce_required(client)

    def confirm_redirect_uri(self, client_id, code, redirect_uri, client, request, *args, **kwargs) -> bool:
        if redirect_uri != request.grant.redirect_uri:
            raise errors.InvalidGrantError(description="The redirect_uri does not match the authorization request's.")
        return True

    def _code_spend(self, request, token_session: str | None) -> None:
        grant, claims = request.grant, request.grant_claims
        claims.update(redeemed_at=timezone.now().isoformat(), token_session=token_session)
        grant.claims = claims_dump(claims)
        grant.save(update_fields=["claims", "updated"])

    def invalidate_authorization_code(self, client_id, code, request, *args, **kwargs) -> None:
        """Spend the code, remembering the token session it started (for a reuse)."""
        self._code_spend(request, getattr(request, "token_session", None))

    # --- Refresh tokens and scopes ---------------------------------------------------------------

    def validate_refresh_token(self, refresh_token, client, request, *args, **kwargs) -> bool:
        # The token service decides (unknown, expired, revoked, another client's, reused
        # past the rotation grace period) in the transaction that issues, at
        # CognitoTokens.create_token: a lookup here could disagree with it under concurrency.
        return True

    def get_original_scopes(self, refresh_token, request, *args, **kwargs) -> list[str]:
        return []

    def is_within_original_scope(self, request_scopes, refresh_token, request, *args, **kwargs) -> bool:
        # Cognito ignores a refresh's scope parameter: the new tokens keep the session's scopes.
        return True

    def get_default_scopes(self, client_id, request, *args, **kwargs) -> list[str]:
        return list(request.client.settings.get("AllowedOAuthScopes") or [])

    def validate_scopes(self, client_id, scopes, client, request, *args, **kwargs) -> bool:
        """Cognito's scopes (hostedui.services.oauth.scopes_check): each allowed to the
        client; custom scopes whose resource server no longer defines them are dropped."""
        try:
            request.scopes = scopes_check(client, " ".join(scopes), redirect=False)
        except OAuthError as exc:
            raise errors.InvalidScopeError(description=exc.description, request=request) from None
        return True

    def is_origin_allowed(self, client_id, origin, request, *args, **kwargs) -> bool:
        return False  # CORS is django-cors-headers' (config/settings.py), not oauthlib's

    # --- Issuing ------------------------------------------------------------------------------------

    def tokens_issue(self, request) -> tokens.TokenSet:
        """The tokens of a validated token request, through the sign-in package (hooks run)."""
        client = request.client
        ctx = client_context(self.ctx, client)
        if request.grant_type == "client_credentials":
            # The client's own token, no user's: no sign-in hook runs. (Cognito asks a pre token
            # generation trigger about machine-to-machine tokens only with its event version 3.)
            return tokens.tokens_issue_for_client(ctx, client=client, scopes=request.scopes)
        if request.grant_type is None:  # the implicit grant (response_type token), no refresh token
            try:
                return hosted_tokens_issue(
                    ctx,
                    client=client,
                    user=request.user,
                    auth_time=request.hosted_session.auth_time,
                    scopes=request.scopes,
                    nonce=request.nonce,
                    refresh=False,
                )
            except ServiceError as exc:  # a token_generation hook refused (RFC 6749 §4.2.2.1)
                raise errors.AccessDeniedError(description=exc.message, request=request) from None
        if request.grant_type == "refresh_token":
            try:
                return oauth_refresh(ctx, client=client, refresh_token=request.refresh_token)
            except ServiceError as exc:  # NotAuthorized, RefreshTokenReuse, or a refusing hook
                raise errors.InvalidGrantError(description=exc.message) from None
        claims = request.grant_claims
        auth_time = datetime.fromisoformat(claims["auth_time"]) if claims.get("auth_time") else None
        try:
            with transaction.atomic():  # a refusal leaves nothing of the issue behind
                issued = hosted_tokens_issue(
                    ctx,
                    client=client,
                    user=request.user,
                    auth_time=auth_time,
                    scopes=request.scopes,
                    nonce=request.grant.nonce or None,
                )
        except ServiceError as exc:  # a token_generation hook refused: the code is spent all the same
            self._code_spend(request, None)
            raise errors.InvalidGrantError(description=exc.message) from None
        request.token_session = tokens.token_session_of(issued.refresh_token or "")
        return issued

    def save_bearer_token(self, token, request, *args, **kwargs) -> None:
        pass  # the token service stored the refresh token when it issued (tokens_issue)

    # --- userInfo (OpenID Connect Core 1.0 §5.3) --------------------------------------------------

    def validate_bearer_token(self, token, scopes, request) -> bool:
        """An access token of this pool, from the Authorization header: oauthlib would also
        take an ``access_token`` parameter (RFC 6750 §2.3), which the endpoint never passes
        it (a token in a URL ends up in logs; Cognito reads the header). Sets the token's
        scopes; oauthlib's UserInfoEndpoint then requires ``openid`` among them, as Cognito
        does."""
        header = request.headers.get("Authorization", "")
        if header and header.split(" ", 1)[0].lower() != "bearer":
            raise errors.InvalidRequestError(description="Use a Bearer access token.")
        if not token:
            raise errors.InvalidTokenError(description="An access token is required.")
        try:
            user, claims = tokens.access_token_authenticate(token)
        except NotAuthorized as exc:
            raise errors.InvalidTokenError(description=exc.message) from None
        if user.pool_id != self.pool.id:
            raise errors.InvalidTokenError(description="The access token is of another user pool.")
        request.user, request.access_claims = user, claims
        request.scopes = str(claims.get("scope", "")).split()
        return True

    def get_userinfo_claims(self, request) -> dict[str, str]:
        client = tokens.access_token_client(request.access_claims)
        return userinfo_claims(request.user, client, set(request.scopes))

    # --- Revocation (RFC 7009) -------------------------------------------------------------------

    def revoke_token(self, token, token_type_hint, request, *args, **kwargs) -> None:
        """Revoke a refresh token and its session (tokens.refresh_token_revoke); an unknown
        token is no error (RFC 7009 §2.2), an access or ID token is ``unsupported_token_type``."""
        try:
            tokens.refresh_token_revoke(client_context(self.ctx, request.client), client=request.client, token=token)
        except UnsupportedTokenType as exc:
            raise errors.UnsupportedTokenTypeError(description=exc.message) from None
        except UnsupportedOperation as exc:
            raise errors.UnauthorizedClientError(description=exc.message) from None
        except Unauthorized as exc:
            raise errors.InvalidGrantError(description=exc.message) from None
        except ServiceError as exc:
            raise errors.InvalidRequestError(description=exc.message) from None


class CognitoTokens(BearerToken):
    """oauthlib's token handler issuing Cognito's tokens: the JSON body is the token
    service's (access_token, id_token with the openid scope, refresh_token when one is new,
    token_type Bearer, expires_in), with no ``scope`` member, as Cognito's."""

    def create_token(self, request, refresh_token: bool = False, **kwargs: Any) -> OAuth2Token:
        return OAuth2Token(self.request_validator.tokens_issue(request).oauth_response())


class CognitoServer(AuthorizationEndpoint, TokenEndpoint, RevocationEndpoint):
    """oauthlib's authorization, token and revocation endpoints with the response types
    (``code``, ``token``) and grants (authorization_code, refresh_token,
    client_credentials) Cognito has, and Cognito's checks of an authorization request as
    oauthlib's custom validators (:meth:`CognitoValidator.authorization_pre_checks`, after
    the client and redirect URI; :meth:`CognitoValidator.authorization_post_checks`, last)."""

    GRANT_TYPES = ("authorization_code", "refresh_token", "client_credentials")

    def __init__(self, validator: CognitoValidator) -> None:
        checks = {"pre_auth": [validator.authorization_pre_checks], "post_auth": [validator.authorization_post_checks]}
        code = AuthorizationCodeGrant(validator, **checks)
        token_type = CognitoTokens(validator)
        AuthorizationEndpoint.__init__(
            self,
            default_response_type="code",
            default_token_type=token_type,
            response_types={"code": code, "token": ImplicitGrant(validator, **checks)},
        )
        grants = {
            "authorization_code": code,
            "refresh_token": RefreshTokenGrant(validator),
            "client_credentials": ClientCredentialsGrant(validator),
        }
        TokenEndpoint.__init__(
            self,
            default_grant_type="authorization_code",
            default_token_type=token_type,
            grant_types=grants,
        )
        RevocationEndpoint.__init__(self, validator, supported_token_types=("refresh_token",))

    def _raise_on_bad_form(self, request) -> None:
        """A form body (RFC 6749 §4.1.3, RFC 7009 §2.1) whose parameters are each given
        once (RFC 6749 §3.2) and within a sane length."""
        content_type = request.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if content_type != FORM:
            raise errors.InvalidRequestError(description=f"The request body must be {FORM}.")
        for name in request.duplicate_params:
            raise errors.InvalidRequestError(description=f"The {name} parameter is repeated.")
        for name, value in request.decoded_body or []:
            if len(value) > MAX_PARAMETER or "\x00" in value:
                raise errors.InvalidRequestError(description=f"The {name} parameter is malformed.")

    def validate_token_request(self, request) -> None:
        super().validate_token_request(request)
        self._raise_on_bad_form(request)
        if not request.grant_type:
            raise errors.InvalidRequestError(description="The grant_type parameter is required.")

    def validate_revocation_request(self, request) -> None:
        self._raise_on_bad_form(request)
        super().validate_revocation_request(request)


class CognitoOAuthLibCore(OAuthLibCore):
    """DOT's bridge from Django to oauthlib, for :class:`CognitoServer`. Every value of a
    repeated parameter is passed on (DOT keeps the last), so the server can refuse it;
    empty values are dropped (RFC 6749 §3.2: as if omitted). A validator's error during the
    revocation itself is answered as during its validation (DOT lets it propagate)."""

    def __init__(self, pool: UserPool, ctx: ServiceContext) -> None:
        super().__init__(server=CognitoServer(CognitoValidator(pool, ctx)))

    def extract_body(self, request: HttpRequest) -> list[tuple[str, str]]:
        return [(key, value) for key, values in request.POST.lists() for value in values if value != ""]

    def create_revocation_response(self, request: HttpRequest):
        try:
            return super().create_revocation_response(request)
        except errors.OAuth2Error as exc:
            return None, exc.headers, exc.json, exc.status_code

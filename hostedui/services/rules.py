"""Cognito's rules for an app client's OAuth 2.0 requests, shared by the authorization
server's validator (hostedui/services/validator.py) and the endpoints' services
(hostedui/services/oauth.py): which client, callback URLs, flows, scopes and PKCE a request
may use, how a request's parameters are read, how codes are stored, and which attributes
``/oauth2/userInfo`` shows for which scopes.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from oauthlib.oauth2.rfc6749.grant_types.authorization_code import (
    code_challenge_method_plain,
    code_challenge_method_s256,
)

from userpools.models import AppClient, User, UserPool
from userpools.services import users
from userpools.services.clients import STANDARD_SCOPES
from userpools.services.resource_servers import custom_scopes

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
        # Where a redirectable error goes (set by hostedui.services.oauth.authorize_request_check).
        self.redirect_uri: str | None = None
        self.state: str | None = None
        self.fragment = False

    def body(self) -> dict[str, str]:
        out = {"error": self.error}
        if self.description:
            out["error_description"] = self.description
        return out


def one(params: Mapping[str, Any], name: str, *, redirect: bool = True) -> str | None:
    """A parameter given at most once (RFC 6749 §3.1), within a sane length; an empty one
    counts as missing."""
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


def flow_allowed(client: AppClient, flow: str) -> bool:
    return oauth_enabled(client) and flow in (client.settings.get("AllowedOAuthFlows") or [])


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


def code_digest(value: str) -> str:
    """How an authorization code is stored (django-oauth-toolkit's ``Grant.code``)."""
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def claims_dump(value: dict[str, Any]) -> str:
    return json.dumps(value)


def claims_load(text: str) -> dict[str, Any]:
    try:
        loaded = json.loads(text or "{}")
    except ValueError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


# --- userInfo ----------------------------------------------------------------------------------------

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


def userinfo_claims(user: User, client: AppClient, scopes: set[str]) -> dict[str, str]:
    """The user attributes an access token with ``scopes`` may read (as strings): every
    attribute ``client`` may read with ``openid`` alone, those of ``profile``, ``email``,
    ``phone`` when one of these is given; always ``sub`` and ``username``."""
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

"""New tokens for a refresh token: InitiateAuth's REFRESH_TOKEN_AUTH / REFRESH_TOKEN
(:func:`refresh`) and the token endpoint's refresh_token grant (:func:`oauth_refresh`,
hostedui/services/oauth.py).

A refresh is no authentication: of the sign-in hooks it runs only ``token_generation``
(trigger source TokenGeneration_RefreshTokens), after the token service has accepted the
refresh token and inside the same transaction, so a hook that refuses leaves nothing issued
or rotated. A refresh token reused outside the rotation grace period still revokes its
session when a hook is registered (the token service commits that before it raises).
(The token service makes the claims before the hook is asked: a hook's ClaimChanges are
collected, not applied.) With no hook registered it costs nothing (tests/auth/test_queries.py pins it).
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db import transaction

from userpools.context import ServiceContext, client_context
from userpools.errors import NotAuthorized, RefreshTokenReuse
from userpools.models import AppClient, User
from userpools.services import devices, tokens
from userpools.services.clientauth import client_for_request, client_load
from userpools.signin import hooks
from userpools.signin.state import AuthOutcome, SignIn

FACTOR = "REFRESH_TOKEN"
OAUTH_FLOW = "OAUTH_REFRESH_TOKEN"  # the flow the hooks are told for /oauth2/token's refresh_token grant
GET_TOKENS_FLOW = "GetTokensFromRefreshToken"  # and for the GetTokensFromRefreshToken operation


def refresh_owner(refresh_token: str) -> User | None:
    """Who holds ``refresh_token`` (for its SECRET_HASH or DEVICE_KEY check, and the hooks)."""
    return tokens.refresh_token_owner(refresh_token)


def client_for_refresh(client_id: str, secret_hash: str | None, parameters: Mapping[str, str]) -> AppClient:
    """The client of a refresh: its SECRET_HASH covers the token holder's username or, as
    Cognito documents for pools that sign in with e-mail or phone, their ``sub``. An
    unknown token falls back to the USERNAME parameter, so a client with a secret is
    never let through unchecked."""
    client, secrets_held = client_load(client_id)
    if not secrets_held:
        return client  # no SECRET_HASH to check, so no need to know whose token it is
    owner = refresh_owner(parameters.get("REFRESH_TOKEN", ""))
    names = [owner.username, str(owner.sub)] if owner is not None else [parameters.get("USERNAME", "")]
    refused: NotAuthorized | None = None
    for name in names:
        try:
            return client_for_request(client_id, secret_hash, name)
        except NotAuthorized as exc:
            refused = exc
    assert refused is not None
    raise refused


def refresh(sign_in: SignIn, *, via: tokens.RefreshVia = "REFRESH_TOKEN_AUTH") -> AuthOutcome:
    """New tokens for the REFRESH_TOKEN parameter (the token service's rules: rotation,
    reuse, revocation; ``via`` as ``tokens_refresh`` takes it), through the token_generation hook."""
    refresh_token = sign_in.parameters["REFRESH_TOKEN"]
    sign_in.factor = FACTOR
    if sign_in.parameters.get("DEVICE_KEY"):
        devices.refresh_device_check(sign_in.client, refresh_owner(refresh_token), sign_in.parameters["DEVICE_KEY"])
    sign_in.stages.append("refresh")
    if not hooks.active(hooks.TOKEN_GENERATION):
        return AuthOutcome(
            tokens=tokens.tokens_refresh(sign_in.ctx, client=sign_in.client, refresh_token=refresh_token, via=via)
        )
    reused: RefreshTokenReuse | None = None
    with transaction.atomic():
        try:
            issued = tokens.tokens_refresh(sign_in.ctx, client=sign_in.client, refresh_token=refresh_token, via=via)
        except RefreshTokenReuse as exc:
            # Raised once the session's revocation is written: raising it inside this
            # block would roll that back with the rest.
            reused = exc
        else:
            sign_in.user = refresh_owner(refresh_token)
            if sign_in.user is not None:
                sign_in.username = sign_in.user.username
            hooks.run(hooks.TOKEN_GENERATION, sign_in, hooks.TOKENS_REFRESH)
            return AuthOutcome(tokens=issued)
    assert reused is not None
    raise reused


def oauth_refresh(ctx: ServiceContext, *, client: AppClient, refresh_token: str) -> tokens.TokenSet:
    """The token endpoint's refresh_token grant: :func:`refresh` with the token service's
    ``via="oauth2/token"`` rules (rotation as GetTokensFromRefreshToken; ExplicitAuthFlows
    not asked). The caller has authenticated ``client``; the token service's and the hook's
    ServiceErrors propagate (NotAuthorized, RefreshTokenReuse ...)."""
    sign_in = SignIn(
        ctx=client_context(ctx, client), client=client, flow=OAUTH_FLOW, parameters={"REFRESH_TOKEN": refresh_token}
    )
    outcome = refresh(sign_in, via="oauth2/token")
    assert outcome.tokens is not None
    return outcome.tokens


def refresh_tokens_get(
    ctx: ServiceContext, *, client: AppClient, refresh_token: str, device_key: str | None = None
) -> tokens.TokenSet:
    """GetTokensFromRefreshToken: :func:`refresh` with the token service's
    ``via="GetTokensFromRefreshToken"`` rules (rotation), a ``device_key`` checked as
    REFRESH_TOKEN_AUTH's DEVICE_KEY is, and the token_generation hook
    (TokenGeneration_RefreshTokens) as every refresh runs it. The caller has authenticated
    ``client``."""
    parameters = {"REFRESH_TOKEN": refresh_token}
    if device_key:
        parameters["DEVICE_KEY"] = device_key
    sign_in = SignIn(ctx=client_context(ctx, client), client=client, flow=GET_TOKENS_FLOW, parameters=parameters)
    outcome = refresh(sign_in, via="GetTokensFromRefreshToken")
    assert outcome.tokens is not None
    return outcome.tokens

"""REFRESH_TOKEN_AUTH / REFRESH_TOKEN: new tokens for a refresh token.

A refresh is no authentication: of the sign-in hooks it runs only ``token_generation``
(trigger source TokenGeneration_RefreshTokens), after the token service has accepted the
refresh token and inside the same transaction, so a hook that refuses leaves nothing issued
or rotated. (The token service makes the claims before the hook is asked: a hook's
ClaimChanges are collected, not applied.) With no hook registered it costs nothing (tests/auth/test_queries.py pins it).
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db import transaction

from userpools.errors import NotAuthorized
from userpools.models import AppClient, User
from userpools.services import devices, tokens
from userpools.services.clientauth import client_for_request, client_load
from userpools.signin import hooks
from userpools.signin.state import AuthOutcome, SignIn

FACTOR = "REFRESH_TOKEN"


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


def refresh(sign_in: SignIn) -> AuthOutcome:
    """New tokens for the REFRESH_TOKEN parameter (the token service's rules: rotation,
    reuse, revocation), through the token_generation hook."""
    refresh_token = sign_in.parameters["REFRESH_TOKEN"]
    sign_in.factor = FACTOR
    if sign_in.parameters.get("DEVICE_KEY"):
        devices.refresh_device_check(sign_in.client, refresh_owner(refresh_token), sign_in.parameters["DEVICE_KEY"])
    sign_in.stages.append("refresh")
    if not hooks.active(hooks.TOKEN_GENERATION):
        return AuthOutcome(
            tokens=tokens.tokens_refresh(sign_in.ctx, client=sign_in.client, refresh_token=refresh_token)
        )
    with transaction.atomic():
        issued = tokens.tokens_refresh(sign_in.ctx, client=sign_in.client, refresh_token=refresh_token)
        sign_in.user = refresh_owner(refresh_token)
        if sign_in.user is not None:
            sign_in.username = sign_in.user.username
        hooks.run(hooks.TOKEN_GENERATION, sign_in, hooks.TOKENS_REFRESH)
        return AuthOutcome(tokens=issued)

"""The hosted pages' own sign-in (hostedui/views/pages.py): the password form and the
passkey button. Same rules and challenges as the API flows; it ends in a proven user
(:attr:`AuthOutcome.user`) rather than tokens, and its challenges are answered with
``auth_respond(..., hosted=True)``. The client's ExplicitAuthFlows govern the API, not the
pool's own pages.

The tokens come later, from the OAuth endpoints (hostedui/services/oauth.py): the code
grant's exchange at ``/oauth2/token`` or the implicit grant's redirect. Both issue through
:func:`hosted_tokens_issue`, which runs the ``token_generation`` hook (trigger source
TokenGeneration_HostedAuth) once per issue, so a browser signed in once and sent back to
several clients runs it for each of them.
"""

from __future__ import annotations

from datetime import datetime

from userpools.context import ServiceContext, client_context
from userpools.errors import WebAuthnNotEnabled
from userpools.models import AppClient, User
from userpools.services import tokens
from userpools.signin import hooks, pipeline
from userpools.signin.choices import WebAuthn, available_first_factors
from userpools.signin.password import Password
from userpools.signin.state import AuthOutcome, SignIn

FLOW = "HOSTED"


def hosted_sign_in(
    ctx: ServiceContext, *, client: AppClient, username: str | None, password: str | None
) -> AuthOutcome:
    """The hosted sign-in page's password step: the same rules as USER_PASSWORD_AUTH
    (disabled, unconfirmed and reset-required users, PreventUserExistenceErrors, lockout) and
    the same challenges after it (NEW_PASSWORD_REQUIRED, MFA)."""
    parameters = {"USERNAME": username or ""} | ({"PASSWORD": password} if password is not None else {})
    sign_in = SignIn(
        ctx=client_context(ctx, client),
        client=client,
        flow=FLOW,
        username=username or "",
        parameters=parameters,
        state={"hosted": True, "methods": ["pwd"]},
    )
    return pipeline.begin(sign_in, Password())


def hosted_passkey_start(ctx: ServiceContext, *, client: AppClient, username: str) -> AuthOutcome:
    """The hosted sign-in page's passkey button: WEB_AUTHN request options for ``username``'s
    passkeys (answered with ``auth_respond(..., challenge_name="WEB_AUTHN", hosted=True)``).
    Raises WebAuthnNotEnabledException / UserNotFoundException as USER_AUTH would."""
    if "WEB_AUTHN" not in available_first_factors(client):
        raise WebAuthnNotEnabled("Passkey sign-in is not enabled for this user pool.")
    sign_in = SignIn(
        ctx=client_context(ctx, client), client=client, flow=FLOW, username=username, state={"hosted": True}
    )
    return pipeline.begin(sign_in, WebAuthn())


def hosted_tokens_issue(
    ctx: ServiceContext,
    *,
    client: AppClient,
    user: User,
    auth_time: datetime | None,
    scopes: list[str],
    nonce: str | None = None,
    refresh: bool = True,
) -> tokens.TokenSet:
    """The OAuth endpoints' tokens for ``user``, signed in on the hosted pages at
    ``auth_time``: the ``token_generation`` hook (TokenGeneration_HostedAuth), then
    ``tokens_issue`` with the granted ``scopes`` and ``nonce`` (``refresh=False``: the
    implicit grant, no refresh token). The caller has checked the grant and that the user
    is still enabled. A hook's ServiceError propagates and nothing is issued; the caller
    turns it into its OAuth error."""
    sign_in = SignIn(
        ctx=client_context(ctx, client),
        client=client,
        flow=FLOW,
        username=user.username,
        user=user,
        auth_time=auth_time,
        state={"hosted": True},
    )
    hooks.run(hooks.TOKEN_GENERATION, sign_in, hooks.TOKENS_HOSTED)
    sign_in.stages.append("issue")
    return tokens.tokens_issue(
        sign_in.ctx,
        user=user,
        client=client,
        auth_time=auth_time,
        scopes=scopes,
        oauth=True,
        nonce=nonce,
        refresh=refresh,
    )

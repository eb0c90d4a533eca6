"""The hosted pages' own sign-in (hostedui/views/pages.py): the password form and the
passkey button. Same rules and challenges as the API flows; it ends in a proven user
(:attr:`AuthOutcome.user`) rather than tokens, which the OAuth endpoints issue, and its
challenges are answered with ``auth_respond(..., hosted=True)``. The client's
ExplicitAuthFlows govern the API, not the pool's own pages.
"""

from __future__ import annotations

from userpools.context import ServiceContext, client_context
from userpools.errors import WebAuthnNotEnabled
from userpools.models import AppClient
from userpools.signin import pipeline
from userpools.signin.choices import WebAuthn, available_first_factors
from userpools.signin.password import Password
from userpools.signin.state import AuthOutcome, SignIn

FLOW = "HOSTED"


def hosted_sign_in(ctx: ServiceContext, *, client: AppClient, username: str | None,
                   password: str | None) -> AuthOutcome:  # fmt: skip
    """The hosted sign-in page's password step: the same rules as USER_PASSWORD_AUTH
    (disabled, unconfirmed and reset-required users, PreventUserExistenceErrors, lockout) and
    the same challenges after it (NEW_PASSWORD_REQUIRED, MFA)."""
    parameters = {"USERNAME": username or ""} | ({"PASSWORD": password} if password is not None else {})
    sign_in = SignIn(ctx=client_context(ctx, client), client=client, flow=FLOW, username=username or "",
                     parameters=parameters, state={"hosted": True, "methods": ["pwd"]})  # fmt: skip
    return pipeline.begin(sign_in, Password())


def hosted_passkey_start(ctx: ServiceContext, *, client: AppClient, username: str) -> AuthOutcome:
    """The hosted sign-in page's passkey button: WEB_AUTHN request options for ``username``'s
    passkeys (answered with ``auth_respond(..., challenge_name="WEB_AUTHN", hosted=True)``).
    Raises WebAuthnNotEnabledException / UserNotFoundException as USER_AUTH would."""
    if "WEB_AUTHN" not in available_first_factors(client):
        raise WebAuthnNotEnabled("Passkey sign-in is not enabled for this user pool.")
    sign_in = SignIn(ctx=client_context(ctx, client), client=client, flow=FLOW, username=username,
                     state={"hosted": True})  # fmt: skip
    return pipeline.begin(sign_in, WebAuthn())

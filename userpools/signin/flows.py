"""The entry points of sign-in: InitiateAuth / AdminInitiateAuth and RespondToAuthChallenge /
AdminRespondToAuthChallenge. Each resolves the client, makes the request's :class:`SignIn`
and hands it to the pipeline (userpools/signin/pipeline.py) at the stage the request is for.

Cognito's rules kept here (API reference, InitiateAuth and AdminInitiateAuth):

* A flow the app client's ``ExplicitAuthFlows`` does not allow is an
  InvalidParameterException ("USER_PASSWORD_AUTH flow not enabled for this client").
* The admin flows only through AdminInitiateAuth; CUSTOM_AUTH (custom challenges) needs
  Lambda triggers and answers UnsupportedOperationException.
"""

from __future__ import annotations

from collections.abc import Mapping

from userpools.context import ServiceContext, client_context
from userpools.errors import CodeMismatch, InvalidParameter, ResourceNotFound, UnsupportedOperation
from userpools.models import AppClient
from userpools.services import devices
from userpools.services.clientauth import FLOW_PERMISSIONS, REFRESH_FLOWS, client_for_request, flow_allowed
from userpools.signin import choices, lockout, pipeline, refresh, sessions, srp
from userpools.signin.challenges import challenge_named
from userpools.signin.password import Password
from userpools.signin.state import FACTOR_KEY, FLOW_KEY, AuthOutcome, SignIn

ADMIN_ONLY_FLOWS = frozenset({"ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"})
NOT_YET = {
    "CUSTOM_AUTH": "Custom authentication challenges (CUSTOM_AUTH) need Lambda triggers, which Cognate does not run yet.",
}
# Challenges answered before the user is proven; their sessions are spent on first answer.
SELECTING = frozenset({choices.SELECT_CHALLENGE, "PASSWORD", "PASSWORD_SRP"})
FIRST_FACTOR_CHALLENGES = SELECTING | {srp.CHALLENGE}


def _client(client_id: str, parameters: Mapping[str, str], pool_id: str | None, *, flow: str | None) -> AppClient:
    if flow in REFRESH_FLOWS:
        if not parameters.get("REFRESH_TOKEN"):
            raise InvalidParameter("Missing required parameter REFRESH_TOKEN")
        client = refresh.client_for_refresh(client_id, parameters.get("SECRET_HASH"), parameters)
    else:
        client = client_for_request(client_id, parameters.get("SECRET_HASH"), parameters.get("USERNAME") or "")
    if pool_id is not None and client.pool_id != pool_id:
        raise ResourceNotFound(f"User pool client {client_id} does not exist.")
    return client


def auth_initiate(
    ctx: ServiceContext,
    *,
    client_id: str,
    flow: str,
    parameters: Mapping[str, str],
    pool_id: str | None = None,
) -> AuthOutcome:
    """InitiateAuth, or AdminInitiateAuth when ``pool_id`` is given (a signed caller).

    Raises ResourceNotFoundException (client; client of another pool),
    InvalidParameterException (flow not enabled for the client; admin flow through
    InitiateAuth; missing parameter), UnsupportedOperationException (CUSTOM_AUTH), and what
    the first factor, the hooks and the token service raise.
    """
    client = _client(client_id, parameters, pool_id, flow=flow)
    ctx = devices.device_key_carry(client_context(ctx, client), parameters)
    if flow in ADMIN_ONLY_FLOWS and pool_id is None:
        raise InvalidParameter("Initiate Auth method not supported.")
    if not flow_allowed(client, flow):
        raise InvalidParameter(f"{flow} flow not enabled for this client")
    if flow in NOT_YET:
        raise UnsupportedOperation(NOT_YET[flow])
    sign_in = SignIn(
        ctx=ctx, client=client, flow=flow, username=parameters.get("USERNAME") or "", parameters=parameters
    )
    if flow in REFRESH_FLOWS:
        return refresh.refresh(sign_in)
    if flow not in FLOW_PERMISSIONS:
        raise InvalidParameter(f"Unknown auth flow {flow}")
    if flow == "USER_SRP_AUTH":
        return pipeline.begin(sign_in, srp.PasswordSrp())
    if flow == "USER_AUTH":
        return choices.user_auth(sign_in)
    return pipeline.begin(sign_in, Password())


def auth_respond(
    ctx: ServiceContext,
    *,
    client_id: str,
    challenge_name: str,
    session: str | None,
    responses: Mapping[str, str],
    pool_id: str | None = None,
    hosted: bool = False,
) -> AuthOutcome:
    """RespondToAuthChallenge, or AdminRespondToAuthChallenge when ``pool_id`` is given;
    ``hosted`` for the hosted pages, whose sessions only they can answer (and which end in
    :attr:`AuthOutcome.user` rather than tokens).

    The session must be live, of this client, for the challenge it was issued for and
    the user USERNAME names; it is spent only when the response is accepted, so a new
    password the policy refuses can be retried with the same session. Raises
    ResourceNotFoundException, NotAuthorizedException (secret hash; session invalid or
    expired; user disabled meanwhile), InvalidParameterException, and what the challenge
    raises (InvalidPasswordException ...).
    """
    username = responses.get("USERNAME")
    if not username:
        raise InvalidParameter("Missing required parameter USERNAME")
    sessions.hosted_check(hosted, session, responses.get("PASSWORD_CLAIM_SECRET_BLOCK"))
    client = _client(client_id, responses, pool_id, flow=None)
    ctx = devices.device_key_carry(client_context(ctx, client), responses)
    sign_in = SignIn(ctx=ctx, client=client, username=username, parameters=responses)
    if challenge_name == srp.CHALLENGE:
        devices.sign_in_device_check(
            client, username, responses.get("DEVICE_KEY")
        )  # before the claim spends its session
        return _srp_claim(sign_in, session)
    if challenge_name in SELECTING:
        return choices.select_respond(sign_in, challenge_name, session)
    if challenge_name == "WEB_AUTHN":
        return choices.webauthn_respond(sign_in, session)
    if challenge_name in choices.ONE_TIME_CODES and _is_first_factor_session(session, challenge_name):
        try:
            return choices.one_time_code_respond(sign_in, challenge_name, session)
        except CodeMismatch:
            lockout.code_attempt_failed(ctx, client, session, username)
            raise
    challenge = challenge_named(challenge_name)
    if challenge is None:
        raise UnsupportedOperation(f"The challenge {challenge_name} is not implemented yet.")
    try:
        return pipeline.resume(sign_in, challenge, session)
    except CodeMismatch:
        lockout.code_attempt_failed(ctx, client, session, username)
        raise


def _srp_claim(sign_in: SignIn, session: str | None) -> AuthOutcome:
    """PASSWORD_VERIFIER: SRP's claim, which spends its session right or wrong."""
    token = sign_in.parameters.get("PASSWORD_CLAIM_SECRET_BLOCK") or session
    stored = sessions.session_spend(token, sign_in.client, frozenset({srp.CHALLENGE}))
    pipeline.username_check(sign_in, stored.user)
    sign_in.user = srp.claim_verify(sign_in.ctx, sign_in.client, stored, sign_in.parameters)
    sign_in.flow, sign_in.factor = stored.state.get(FLOW_KEY) or "", stored.state.get(FACTOR_KEY)
    return pipeline.proven(sign_in)


def _is_first_factor_session(session: str | None, challenge_name: str) -> bool:
    """Whether ``session`` is a passwordless sign-in's (EMAIL_OTP names an MFA step too)."""
    state = sessions.stored_state(session)
    return challenge_name == "SMS_OTP" or bool(state and state.get("first_factor") == challenge_name)

"""Wire handlers for sign-in: InitiateAuth, AdminInitiateAuth and the challenge responses.

Each calls :mod:`userpools.signin` and renders its outcome: tokens as an
``AuthenticationResult``, or the next ``ChallengeName`` with its ``Session``.
"""

from __future__ import annotations

from collections.abc import Callable

from userpools import shapes
from userpools import signin as auth
from userpools.context import ServiceContext

_outcome = shapes.auth_outcome


def initiate_auth(ctx: ServiceContext, req: dict) -> dict:
    return _outcome(
        auth.auth_initiate(
            ctx,
            client_id=req["ClientId"],
            flow=req["AuthFlow"],
            parameters=req.get("AuthParameters") or {},
        )
    )


def admin_initiate_auth(ctx: ServiceContext, req: dict) -> dict:
    return _outcome(
        auth.auth_initiate(
            ctx,
            client_id=req["ClientId"],
            flow=req["AuthFlow"],
            parameters=req.get("AuthParameters") or {},
            pool_id=req["UserPoolId"],
        )
    )


def respond_to_auth_challenge(ctx: ServiceContext, req: dict) -> dict:
    return _outcome(
        auth.auth_respond(
            ctx,
            client_id=req["ClientId"],
            challenge_name=req["ChallengeName"],
            session=req.get("Session"),
            responses=req.get("ChallengeResponses") or {},
        )
    )


def admin_respond_to_auth_challenge(ctx: ServiceContext, req: dict) -> dict:
    return _outcome(
        auth.auth_respond(
            ctx,
            client_id=req["ClientId"],
            challenge_name=req["ChallengeName"],
            session=req.get("Session"),
            responses=req.get("ChallengeResponses") or {},
            pool_id=req["UserPoolId"],
        )
    )


HANDLERS: dict[str, Callable[[ServiceContext, dict], dict]] = {
    "InitiateAuth": initiate_auth,
    "AdminInitiateAuth": admin_initiate_auth,
    "RespondToAuthChallenge": respond_to_auth_challenge,
    "AdminRespondToAuthChallenge": admin_respond_to_auth_challenge,
}

"""USER_SRP_AUTH and USER_AUTH's PASSWORD_SRP: the password proven without sending it
(the arithmetic is userpools/srp.py's).

The PASSWORD_VERIFIER challenge's SECRET_BLOCK is the session token itself, so clients that
send no ``Session`` with their claim (pycognito, amazon-cognito-identity-js) still name it.
An unknown user, with PreventUserExistenceErrors, gets a challenge with a stable fake salt
and fails at the claim, as a wrong password does; so does a user whose password was set
before SRP verifiers existed, since no claim can match.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping

from django.conf import settings
from django.utils import timezone

from userpools import srp
from userpools.context import ServiceContext
from userpools.errors import InvalidParameter
from userpools.models import AppClient, AuthSession, User, UserPool
from userpools.services import users
from userpools.signin import lockout
from userpools.signin.password import may_sign_in
from userpools.signin.sessions import session_open
from userpools.signin.state import FACTOR_KEY, FLOW_KEY, TIMESTAMP_FORMAT, AuthOutcome, SignIn

CHALLENGE = "PASSWORD_VERIFIER"


def _fake_salt(pool: UserPool, username: str) -> str:
    """A salt for a user who does not exist that is the same on every try, as a real one is."""
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"srp-salt:{pool.id}:{username}".encode("utf-8", "surrogatepass"), hashlib.sha256
    ).hexdigest()
    return f"{int(digest[:2], 16) % 0x70 + 0x10:02x}{digest[2:32]}"


class PasswordSrp:
    """PASSWORD_SRP: the PASSWORD_VERIFIER challenge for the user and the client's SRP_A;
    the claim (:func:`claim_verify`) proves the user."""

    name = "PASSWORD_SRP"
    carries_password = False  # so the user-migration hook is never asked (Cognito's rule too)
    relooks = False

    def check(self, sign_in: SignIn) -> None:
        if not sign_in.username:
            raise InvalidParameter("Missing required parameter USERNAME")
        srp_a = sign_in.parameters.get("SRP_A")
        if not srp_a:
            raise InvalidParameter("Missing required parameter SRP_A")
        try:
            self.big_a = srp.parse_public(srp_a)
        except srp.SrpError as exc:
            raise InvalidParameter(str(exc)) from None

    def unknown_legacy(self, sign_in: SignIn) -> None:
        return None

    def start(self, sign_in: SignIn) -> AuthOutcome:
        client, user, username = sign_in.client, sign_in.user, sign_in.username
        stored = users.srp_verifier_read(user) if user is not None else None
        if stored is None:
            salt, verifier = _fake_salt(client.pool, username), secrets.randbits(3000)
        else:
            salt, verifier = stored
        user_id = user.username if user is not None else username
        block = srp.secret_block_new()
        b = srp.ephemeral_new()  # random and server-side only (userpools/srp.py): never from the block
        big_b = srp.server_public(verifier, b)
        state = {
            "srp_a": f"{self.big_a:x}",
            "srp_b": f"{big_b:x}",
            "srp_secret": srp.ephemeral_seal(b),
            "user_id": user_id,
            "verifier": stored is not None,
            FLOW_KEY: sign_in.flow,
            FACTOR_KEY: self.name,
        }
        session_open(client, user, CHALLENGE, state, token=block)
        return AuthOutcome(
            challenge=CHALLENGE,
            session=block,
            parameters={
                "SALT": salt,
                "SECRET_BLOCK": block,
                "SRP_B": f"{big_b:x}",
                "USERNAME": user_id,
                "USER_ID_FOR_SRP": user_id,
            },
        )


def claim_verify(ctx: ServiceContext, client: AppClient, stored: AuthSession, responses: Mapping[str, str]) -> User:
    """The user whose PASSWORD_VERIFIER claim is right, if they may sign in."""
    moment = srp.timestamp_parse(responses.get("TIMESTAMP"))
    if moment is None:
        raise InvalidParameter(TIMESTAMP_FORMAT)
    user, state = stored.user, stored.state
    unknown = lockout.unknown_lockout(client.pool, state.get("user_id") or "") if user is None else None
    if user is not None:
        user.pool = client.pool
    lockout.unlocked(user if user is not None else unknown)
    verifier = users.srp_verifier_read(user) if user is not None and state.get("verifier") else None
    block = responses.get("PASSWORD_CLAIM_SECRET_BLOCK") or ""
    expected = ""
    if abs(timezone.now() - moment) <= srp.TIMESTAMP_SKEW:
        # The arithmetic runs for every claim, with a throwaway verifier where no claim can
        # match (no such user, or no verifier), so that a refusal takes as long either way.
        try:
            key = srp.session_key(
                big_a=int(state["srp_a"], 16),
                big_b=int(state["srp_b"], 16),
                verifier=verifier[1] if verifier is not None else secrets.randbits(3000),
                b=srp.ephemeral_open(state.get("srp_secret")),
            )
            expected = srp.claim_signature(
                key,
                pool_id=client.pool_id,
                user_id=state["user_id"],
                secret_block=block,
                timestamp=responses["TIMESTAMP"],
            )
        except (srp.SrpError, ValueError):  # a block that is not base64 cannot be ours
            expected = ""
    matched = (
        verifier is not None
        and bool(expected)
        and srp.signature_matches(expected, responses.get("PASSWORD_CLAIM_SIGNATURE"))
    )
    if not matched:
        lockout.sign_in_failed(
            ctx, client, user, user.username if verifier is not None else state.get("user_id") or "", unknown=unknown
        )
    lockout.lockout_recheck(user)
    return may_sign_in(user)

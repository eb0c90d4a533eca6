"""The sign-in pipeline: the one place that decides what comes next.

Every flow runs the same stages, in this order, each in its own request where the flow
has several (a challenge's answer resumes the pipeline from its session):

1. resolve the client (the entry points, userpools/signin/flows.py) and the user;
2. ``user_migration`` hook: only when the username names nobody and the first factor
   carries the password (PASSWORD: USER_PASSWORD_AUTH, ADMIN_USER_PASSWORD_AUTH,
   USER_AUTH's PASSWORD, the hosted page), never for SRP or passwordless factors;
3. an unknown user without PreventUserExistenceErrors is a UserNotFoundException here;
4. ``pre_authentication`` hook (with ``user_not_found`` for an unknown user, which only
   PreventUserExistenceErrors lets this far), then the ``risk`` hook (threat protection);
5. the first factor (:class:`FirstFactor`: password, SRP, one-time code, passkey), which
   proves the user now or issues the challenge that will;
6. further challenges (userpools/signin/challenges.py: new password, MFA, device);
7. ``post_authentication`` hook, then the ``token_generation`` hook and the tokens. The
   hosted pages' sign-in ends at post_authentication with a proven user: the OAuth
   endpoints issue its tokens later, through userpools/signin/hosted.py's
   ``hosted_tokens_issue``, which runs the ``token_generation`` hook (TokenGeneration_HostedAuth).

A refresh (userpools/signin/refresh.py: InitiateAuth's and /oauth2/token's) runs the
``token_generation`` hook only. :data:`FLOW_HOOKS` lists which hooks each flow runs.
"""

from __future__ import annotations

from typing import Protocol

from django.db import transaction
from django.utils import timezone

from userpools.errors import InvalidParameter, NotAuthorized, UserNotFound
from userpools.models import AuthSession, User
from userpools.services import devices, tokens, users
from userpools.services.audit import audit_record
from userpools.services.clientauth import prevents_existence_errors
from userpools.signin import hooks, lockout, sessions
from userpools.signin.challenges import CHALLENGES, Challenge
from userpools.signin.password import names
from userpools.signin.state import ANSWERED_KEY, DISABLED, AuthOutcome, SignIn

_AUTHENTICATION = (hooks.PRE_AUTHENTICATION, hooks.RISK, hooks.POST_AUTHENTICATION, hooks.TOKEN_GENERATION)
FLOW_HOOKS: dict[str, tuple[str, ...]] = {
    "USER_PASSWORD_AUTH": (hooks.USER_MIGRATION, *_AUTHENTICATION),
    "ADMIN_USER_PASSWORD_AUTH": (hooks.USER_MIGRATION, *_AUTHENTICATION),
    "ADMIN_NO_SRP_AUTH": (hooks.USER_MIGRATION, *_AUTHENTICATION),
    "USER_SRP_AUTH": _AUTHENTICATION,
    "USER_AUTH": (hooks.USER_MIGRATION, *_AUTHENTICATION),  # migration for its PASSWORD choice only
    # token_generation at the OAuth endpoints' issue (the code's exchange, the implicit redirect)
    "HOSTED": (hooks.USER_MIGRATION, *_AUTHENTICATION),
    "REFRESH_TOKEN_AUTH": (hooks.TOKEN_GENERATION,),
    "REFRESH_TOKEN": (hooks.TOKEN_GENERATION,),
    "OAUTH_REFRESH_TOKEN": (hooks.TOKEN_GENERATION,),  # /oauth2/token's refresh_token grant
    "GetTokensFromRefreshToken": (hooks.TOKEN_GENERATION,),
    # /oauth2/token's client_credentials grant issues no user tokens and runs no hook.
    # Not implemented yet (UnsupportedOperationException before any stage): custom challenges
    # would run define/create/verify (hooks.CUSTOM_CHALLENGE) in place of, or after, the
    # first factor; federated sign-in would resolve the user from the identity provider's
    # answer and run post_authentication and token_generation.
    "CUSTOM_AUTH": (
        hooks.USER_MIGRATION,
        hooks.PRE_AUTHENTICATION,
        hooks.CUSTOM_CHALLENGE,
        hooks.POST_AUTHENTICATION,
        hooks.TOKEN_GENERATION,
    ),
}
"""Which hooks each flow runs (a remembered device's DEVICE_SRP_AUTH is a further challenge
of the flow that named it; only the token source changes)."""


class FirstFactor(Protocol):
    """How a first factor proves the user (userpools/signin/password.py, srp.py, choices.py)."""

    name: str
    carries_password: bool  # the user-migration hook may be asked
    relooks: bool  # looks the username up again although an earlier step did

    def check(self, sign_in: SignIn) -> None:
        """Refuse missing or malformed parameters, before anything is looked up."""

    def unknown_legacy(self, sign_in: SignIn) -> None:
        """Work an unknown user costs before UserNotFoundException (a password's hash time)."""

    def start(self, sign_in: SignIn) -> AuthOutcome | None:
        """Prove ``sign_in.user`` (None: proven) or issue the challenge that will."""


def begin(sign_in: SignIn, factor: FirstFactor) -> AuthOutcome:
    """Stages 1-5 for ``factor``, then on to the challenges."""
    sign_in.factor = factor.name
    factor.check(sign_in)
    expected = sign_in.user if sign_in.looked_up else None
    if not sign_in.looked_up or factor.relooks:
        sign_in.stages.append("resolve")
        sign_in.user = users.user_find(sign_in.pool, sign_in.username)
    if sign_in.user is None and factor.carries_password and hooks.active(hooks.USER_MIGRATION):
        migrated = hooks.run(
            hooks.USER_MIGRATION, sign_in, hooks.MIGRATION_AUTHENTICATION, password=sign_in.parameters.get("PASSWORD")
        )
        sign_in.user = next((user for user in migrated if isinstance(user, User)), None)
    if sign_in.user is None and not prevents_existence_errors(sign_in.client):
        factor.unknown_legacy(sign_in)
        raise UserNotFound("User does not exist.")
    authenticate(sign_in)
    sign_in.stages.append(f"first_factor:{factor.name}")
    outcome = factor.start(sign_in)
    if outcome is not None:
        return outcome
    if sign_in.looked_up and factor.relooks and (expected is None or sign_in.user.pk != expected.pk):
        raise sessions.invalid()
    return proven(sign_in)


def authenticate(sign_in: SignIn) -> None:
    """Stage 4: the pre-authentication and risk hooks, before the first factor is tried."""
    unknown = sign_in.user is None
    hooks.run(hooks.PRE_AUTHENTICATION, sign_in, hooks.PRE_AUTHENTICATION_SOURCE, user_not_found=unknown)
    hooks.run(hooks.RISK, sign_in, None, user_not_found=unknown)


def proven(sign_in: SignIn) -> AuthOutcome:
    """The first factor proved the user now: the sign-in starts its clock and goes on."""
    sign_in.auth_time = timezone.now()
    return next_step(sign_in)


def next_step(sign_in: SignIn, *, after: str | None = None) -> AuthOutcome:
    """The first challenge that still applies (after the one just answered), else the end."""
    devices.sign_in_device_resolve(sign_in)
    names_ = [c.name for c in CHALLENGES]
    start = names_.index(after) + 1 if after in names_ else 0
    for challenge in CHALLENGES[start:]:
        if challenge.applies(sign_in):
            extra = challenge.prepare(sign_in)
            sign_in.stages.append(f"challenge:{challenge.name}")
            session = sessions.session_start(sign_in, challenge.name)
            parameters = {**challenge.parameters(sign_in), **extra}
            return AuthOutcome(challenge=challenge.name, session=session, parameters=parameters)
    return _finish(sign_in)


def _token_source(sign_in: SignIn) -> str:
    answered = sign_in.state.get(ANSWERED_KEY) or ()
    if "DEVICE_PASSWORD_VERIFIER" in answered:
        return hooks.TOKENS_DEVICE
    if "NEW_PASSWORD_REQUIRED" in answered:
        return hooks.TOKENS_NEW_PASSWORD
    return hooks.TOKENS_AUTHENTICATION


def _finish(sign_in: SignIn) -> AuthOutcome:
    """Stage 7: every factor passed."""
    user = sign_in.user
    lockout.failures_reset(user)  # only now does the failure count start again
    hooks.run(hooks.POST_AUTHENTICATION, sign_in, hooks.POST_AUTHENTICATION_SOURCE)
    if sign_in.hosted:
        audit_record(
            sign_in.ctx,
            "user.hosted_sign_in",
            pool_id=user.pool_id,
            target=user.username,
            client_id=sign_in.client.client_id,
        )
        methods = list(sign_in.state.get("methods") or ["pwd"])
        if sign_in.state.get("mfa_done") and "mfa" not in methods:
            methods.append("mfa")
        return AuthOutcome(user=user, auth_time=sign_in.auth_time, methods=methods)
    hooks.run(hooks.TOKEN_GENERATION, sign_in, _token_source(sign_in))
    sign_in.stages.append("issue")
    # tokens_issue records the sign-in in the audit log ("user.tokens_issue").
    issued = tokens.tokens_issue(sign_in.ctx, user=user, client=sign_in.client, auth_time=sign_in.auth_time)
    return AuthOutcome(tokens=issued, new_device=devices.sign_in_complete(sign_in))


def resume(sign_in: SignIn, challenge: Challenge, session: str | None) -> AuthOutcome:
    """An answer to one of the further challenges: take its session (row-locked), check it is
    this user's and this challenge's, apply the answer, spend the session, go on. A refused
    answer leaves the session as it was (a new password the policy refuses can be retried)."""
    with transaction.atomic():
        stored = sessions.session_take(session, sign_in.client)
        if stored.challenge != challenge.name:
            raise InvalidParameter(f"The session is for {stored.challenge}, not {challenge.name}.")
        user = User.objects.select_for_update().get(pk=stored.user_id)
        user.pool = sign_in.pool
        named = users.user_find(sign_in.pool, sign_in.username)
        if named is None or named.pk != user.pk:
            raise sessions.invalid()
        if not user.is_active:
            raise NotAuthorized(DISABLED)
        sign_in.user = user
        sign_in.restore(stored.state)
        sign_in.stages.append(f"answer:{challenge.name}")
        challenge.respond(sign_in, sign_in.parameters)
        sign_in.state.pop("code_failures", None)
        sign_in.state[ANSWERED_KEY] = [*sign_in.state.get(ANSWERED_KEY, ()), challenge.name]
        spend(stored)
        return next_step(sign_in, after=challenge.name)


def spend(stored: AuthSession) -> None:
    """Mark ``stored`` (taken row-locked) as used: its answer was accepted."""
    stored.used_at = timezone.now()
    stored.save(update_fields=["used_at"])


def username_check(sign_in: SignIn, user: User | None) -> None:
    """A first factor's answer: USERNAME must name the session's user."""
    if user is not None:
        user.pool = sign_in.pool
        if not names(sign_in.client, sign_in.username, user):
            raise sessions.invalid()

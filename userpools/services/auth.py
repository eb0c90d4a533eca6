"""Sign-in: InitiateAuth / AdminInitiateAuth and the challenge loop (RespondToAuthChallenge).

Sign-in is an explicit state machine. A flow (a password, a refresh token) establishes
who the user is; then each :class:`Challenge` in :data:`CHALLENGES` that applies to the
user must be answered before tokens are issued. Between steps the state lives on the
server in an :class:`~userpools.models.AuthSession`, behind an opaque ``Session`` string
that is stored only as a SHA-256 hash, expires after the client's ``AuthSessionValidity``
minutes and is spent by the response that completes its step.

Cognito's rules kept here (API reference, InitiateAuth and AdminInitiateAuth; Developer
Guide, "User pool authentication flow" and "Managing user existence error responses"):

* A flow the app client's ``ExplicitAuthFlows`` does not allow is an
  InvalidParameterException ("USER_PASSWORD_AUTH flow not enabled for this client").
* A wrong password and an unknown user both answer "Incorrect username or password."
  when the client sets ``PreventUserExistenceErrors`` to ENABLED, and take as long: an
  unknown user's password is checked against a dummy hash. With LEGACY an unknown user
  is a UserNotFoundException.
* After five wrong passwords in a row the user is locked out for 1 s, doubling with each
  further failure up to 15 minutes ("Password attempts exceeded"). The count lives on the
  user's row, so every server process sees it; a correct password resets it.
* A FORCE_CHANGE_PASSWORD user is asked for a new password (NEW_PASSWORD_REQUIRED),
  unless the temporary password has expired.

SRP (USER_SRP_AUTH), choice-based sign-in (USER_AUTH) and custom challenges (CUSTOM_AUTH)
are not implemented yet: they answer UnsupportedOperationException.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any, ClassVar

from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.utils import timezone

from userpools.context import ServiceContext
from userpools.errors import (
    InvalidParameter,
    NotAuthorized,
    PasswordResetRequired,
    ResourceNotFound,
    UnsupportedOperation,
    UserNotConfirmed,
    UserNotFound,
)
from userpools.models import AppClient, AuthSession, RefreshToken, User
from userpools.services import users
from userpools.services.audit import audit_record
from userpools.services.clientauth import client_for_request
from userpools.services.signup import client_context, prevents_existence_errors

if TYPE_CHECKING:  # the token service is imported where it is called
    from userpools.services.tokens import TokenSet

INCORRECT = "Incorrect username or password."
LOCKED = "Password attempts exceeded"
DISABLED = "User is disabled."
TEMPORARY_EXPIRED = "Temporary password has expired and must be reset by an administrator."
SESSION_INVALID = "Invalid session for the user."
SESSION_EXPIRED = "Invalid session for the user, session is expired."

# Lockout (Developer Guide, "User sign-in attempts"): five failures are free; then 1 s,
# doubling per further failure, at most about 15 minutes.
FREE_FAILURES = 5
MAX_LOCKOUT = timedelta(minutes=15)
DEFAULT_SESSION_MINUTES = 3
SESSION_BYTES = 48  # 64 URL-safe characters; botocore refuses a Session under 20

# Which ExplicitAuthFlows values let a client use a flow (ALLOW_ names and the legacy ones).
FLOW_PERMISSIONS: dict[str, frozenset[str]] = {
    "USER_PASSWORD_AUTH": frozenset({"ALLOW_USER_PASSWORD_AUTH", "USER_PASSWORD_AUTH"}),
    "ADMIN_USER_PASSWORD_AUTH": frozenset({"ALLOW_ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"}),
    "ADMIN_NO_SRP_AUTH": frozenset({"ALLOW_ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"}),
    "REFRESH_TOKEN_AUTH": frozenset({"ALLOW_REFRESH_TOKEN_AUTH"}),
    "REFRESH_TOKEN": frozenset({"ALLOW_REFRESH_TOKEN_AUTH"}),
    "USER_SRP_AUTH": frozenset({"ALLOW_USER_SRP_AUTH"}),
    "CUSTOM_AUTH": frozenset({"ALLOW_CUSTOM_AUTH", "CUSTOM_AUTH_FLOW_ONLY"}),
    "USER_AUTH": frozenset({"ALLOW_USER_AUTH"}),
}
LEGACY_FLOWS = frozenset({"ADMIN_NO_SRP_AUTH", "CUSTOM_AUTH_FLOW_ONLY", "USER_PASSWORD_AUTH"})
ADMIN_ONLY_FLOWS = frozenset({"ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"})
REFRESH_FLOWS = frozenset({"REFRESH_TOKEN_AUTH", "REFRESH_TOKEN"})
NOT_YET = {
    "USER_SRP_AUTH": "SRP sign-in (USER_SRP_AUTH) is not implemented yet; use USER_PASSWORD_AUTH.",
    "USER_AUTH": "Choice-based sign-in (USER_AUTH) is not implemented yet; use USER_PASSWORD_AUTH.",
    "CUSTOM_AUTH": "Custom authentication challenges (CUSTOM_AUTH) are not implemented yet.",
}


@dataclass(frozen=True)
class AuthOutcome:
    """What a sign-in step ends in: tokens, or the next challenge and its Session."""

    tokens: TokenSet | None = None
    challenge: str | None = None
    session: str | None = None
    parameters: dict[str, str] = field(default_factory=dict)


@dataclass
class SignIn:
    """A sign-in in progress: who, through which client, since when (the ``auth_time``)."""

    ctx: ServiceContext
    client: AppClient
    user: User
    auth_time: datetime
    state: dict[str, Any] = field(default_factory=dict)


# --- Challenges --------------------------------------------------------------------------------


class Challenge:
    """One step between a proven identity and tokens.

    ``applies`` says whether the user must pass this step now; ``parameters`` are the
    ChallengeParameters sent with it; ``respond`` checks the ChallengeResponses and
    applies their effect (inside the transaction that spends the session), raising a
    ServiceError to refuse. Register subclasses in :data:`CHALLENGES`, in order.
    """

    name: ClassVar[str]

    def applies(self, sign_in: SignIn) -> bool:
        raise NotImplementedError("each Challenge subclass says when it applies")

    def parameters(self, sign_in: SignIn) -> dict[str, str]:
        return {}

    def respond(self, sign_in: SignIn, responses: Mapping[str, str]) -> None:
        raise NotImplementedError("each Challenge subclass checks its responses")


class NewPasswordRequired(Challenge):
    """NEW_PASSWORD_REQUIRED: a user with a temporary password (AdminCreateUser) picks their own.

    Responses: NEW_PASSWORD, and ``userAttributes.<name>`` for required attributes the
    user lacks (and any other writable ones). The user becomes CONFIRMED.
    """

    name = "NEW_PASSWORD_REQUIRED"

    def applies(self, sign_in: SignIn) -> bool:
        return sign_in.user.status == User.Status.FORCE_CHANGE_PASSWORD

    def parameters(self, sign_in: SignIn) -> dict[str, str]:
        user, pool = sign_in.user, sign_in.user.pool
        missing = [f"userAttributes.{a['Name']}" for a in pool.schema
                   if a.get("Required") and a["Name"] != "sub" and not user.attributes.get(a["Name"])]  # fmt: skip
        shown = {k: v for k, v in user.attributes.items()
                 if not k.startswith(users.RESERVED_PREFIX) and not k.startswith("dev:")}  # fmt: skip
        return {
            "USER_ID_FOR_SRP": user.username,
            "requiredAttributes": json.dumps(missing),
            "userAttributes": json.dumps(shown),
        }

    def respond(self, sign_in: SignIn, responses: Mapping[str, str]) -> None:
        password = responses.get("NEW_PASSWORD")
        if not password:
            raise InvalidParameter("Missing required parameter NEW_PASSWORD")
        user, pool = sign_in.user, sign_in.user.pool
        given = [{"Name": key.removeprefix("userAttributes."), "Value": value}
                 for key, value in responses.items() if key.startswith("userAttributes.")]  # fmt: skip
        values = users.attributes_validate(pool, given, existing=user.attributes, client=sign_in.client)
        for flag in users.VERIFIED_FLAG.values():
            if flag in values:
                raise NotAuthorized(f"A client attempted to write unauthorized attribute {flag}")
        merged = {**user.attributes, **values}
        users.attributes_require(pool, merged)
        users.password_check(pool, password, user=user)
        users.password_set(user, password)
        user.attributes = merged
        users.aliases_claim(sign_in.ctx, pool, user, force=False)
        users.sync_columns(user)
        user.status = User.Status.CONFIRMED
        user.temporary_password_expires_at = None
        user.save(update_fields=["password", "status", "temporary_password_expires_at", "attributes",
                                 *users.MIRRORED, "updated_at"])  # fmt: skip
        audit_record(sign_in.ctx, "user.new_password", pool_id=pool.id, target=user.username,
                     client_id=sign_in.client.client_id)  # fmt: skip


CHALLENGES: list[Challenge] = [NewPasswordRequired()]
"""The challenges a sign-in passes through, in order (MFA challenges go after the password ones)."""


def challenge_named(name: str) -> Challenge | None:
    return next((c for c in CHALLENGES if c.name == name), None)


# --- Sessions ----------------------------------------------------------------------------------


def _digest(token: str) -> str:
    """How sessions (and, in the token service, refresh tokens) are stored: SHA-256, hex."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def session_validity(client: AppClient) -> timedelta:
    return timedelta(minutes=int(client.settings.get("AuthSessionValidity") or DEFAULT_SESSION_MINUTES))


def _session_start(sign_in: SignIn, challenge: Challenge) -> str:
    token = secrets.token_urlsafe(SESSION_BYTES)
    AuthSession.objects.create(
        token_hash=_digest(token), pool=sign_in.client.pool, client=sign_in.client, user=sign_in.user,
        challenge=challenge.name, state={**sign_in.state, "auth_time": sign_in.auth_time.isoformat()},
        expires_at=timezone.now() + session_validity(sign_in.client),
    )  # fmt: skip
    return token


def _session_take(token: str | None, client: AppClient) -> AuthSession:
    """The live session ``token`` names for ``client``, row-locked; NotAuthorizedException otherwise."""
    if not token:
        raise NotAuthorized(SESSION_INVALID)
    session = (AuthSession.objects.select_for_update(of=("self",)).select_related("user")
               .filter(token_hash=_digest(token)).first())  # fmt: skip
    if session is None or session.used_at is not None or session.client_id != client.pk or session.user is None:
        raise NotAuthorized(SESSION_INVALID)
    if session.expires_at <= timezone.now():
        raise NotAuthorized(SESSION_EXPIRED)
    return session


def _next_step(sign_in: SignIn, *, after: str | None = None) -> AuthOutcome:
    """The first challenge that still applies (after the one just answered), else tokens."""
    names = [c.name for c in CHALLENGES]
    start = names.index(after) + 1 if after in names else 0
    for challenge in CHALLENGES[start:]:
        if challenge.applies(sign_in):
            session = _session_start(sign_in, challenge)
            return AuthOutcome(challenge=challenge.name, session=session, parameters=challenge.parameters(sign_in))
    from userpools.services import tokens

    issued = tokens.tokens_issue(sign_in.ctx, user=sign_in.user, client=sign_in.client, auth_time=sign_in.auth_time)
    audit_record(sign_in.ctx, "user.sign_in", pool_id=sign_in.client.pool_id, target=sign_in.user.username,
                 client_id=sign_in.client.client_id)  # fmt: skip
    return AuthOutcome(tokens=issued)


# --- Passwords and lockout ---------------------------------------------------------------------


@cache
def _dummy_hash() -> str:
    """A hash made like users' hashes, to check a password against when there is no user."""
    return make_password(secrets.token_urlsafe(16))


def _password_matches(raw: str, user: User | None) -> bool:
    """Check ``raw`` against ``user``'s hash, or against a dummy hash when there is none, so
    that both cost the same; upgrade the stored hash when its hasher's parameters changed."""
    dummy = user is None or not user.has_usable_password()
    encoded = _dummy_hash() if dummy else user.password

    def upgrade(raw_password: str) -> None:
        assert user is not None
        user.set_password(raw_password)
        User.objects.filter(pk=user.pk).update(password=user.password)

    try:
        matched = check_password(raw, encoded, setter=None if dummy else upgrade)
    except UnicodeEncodeError:  # a lone surrogate from JSON: not anyone's password
        return False
    return matched and not dummy


def lockout_duration(failures: int) -> timedelta | None:
    """How long ``failures`` consecutive wrong passwords lock a user out (None: not at all)."""
    if failures < FREE_FAILURES:
        return None
    return min(timedelta(seconds=2 ** min(failures - FREE_FAILURES, 20)), MAX_LOCKOUT)


def _failure_record(user: User) -> None:
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        locked.failed_sign_ins += 1
        duration = lockout_duration(locked.failed_sign_ins)
        if duration is not None:
            locked.locked_until = timezone.now() + duration
        locked.save(update_fields=["failed_sign_ins", "locked_until"])


def _failures_clear(user: User) -> None:
    if user.failed_sign_ins or user.locked_until:
        User.objects.filter(pk=user.pk).update(failed_sign_ins=0, locked_until=None)
        user.failed_sign_ins, user.locked_until = 0, None


def password_authenticate(ctx: ServiceContext, client: AppClient, username: str | None, password: str | None) -> User:
    """The user ``username`` names, if ``password`` is theirs and they may sign in.

    Raises InvalidParameterException (a parameter missing), NotAuthorizedException (wrong
    password; unknown user with PreventUserExistenceErrors; locked out; disabled; expired
    temporary password), UserNotFoundException (unknown user, LEGACY),
    UserNotConfirmedException, PasswordResetRequiredException.
    """
    if not username:
        raise InvalidParameter("Missing required parameter USERNAME")
    if password is None:
        raise InvalidParameter("Missing required parameter PASSWORD")
    pool = client.pool
    user = users.user_find(pool, username)
    if user is None:
        _password_matches(password, None)  # spend the time a real check takes
        if prevents_existence_errors(client):
            raise NotAuthorized(INCORRECT)
        raise UserNotFound("User does not exist.")
    user.pool = pool
    if user.locked_until is not None and user.locked_until > timezone.now():
        raise NotAuthorized(LOCKED)
    if not _password_matches(password, user):
        _failure_record(user)
        audit_record(ctx, "user.sign_in_failed", pool_id=pool.id, target=user.username, client_id=client.client_id)
        raise NotAuthorized(INCORRECT)
    _failures_clear(user)
    if not user.is_active:
        raise NotAuthorized(DISABLED)
    if user.status == User.Status.UNCONFIRMED:
        raise UserNotConfirmed("User is not confirmed.")
    if user.status == User.Status.RESET_REQUIRED:
        raise PasswordResetRequired("Password reset required for the user")
    if user.status == User.Status.FORCE_CHANGE_PASSWORD and user.temporary_password_expires_at is not None \
            and user.temporary_password_expires_at <= timezone.now():  # fmt: skip
        raise NotAuthorized(TEMPORARY_EXPIRED)
    if user.status not in (User.Status.CONFIRMED, User.Status.FORCE_CHANGE_PASSWORD):
        raise NotAuthorized(INCORRECT)
    return user


# --- Flows -------------------------------------------------------------------------------------


def flow_allowed(client: AppClient, flow: str) -> bool:
    allowed = set(client.settings.get("ExplicitAuthFlows") or [])
    if flow in REFRESH_FLOWS and allowed & LEGACY_FLOWS:
        return True  # legacy clients always allow refreshing
    return bool(allowed & FLOW_PERMISSIONS.get(flow, frozenset()))


def _refresh_owner(refresh_token: str) -> User | None:
    """Who holds ``refresh_token`` (for its SECRET_HASH), if it is one of ours. The token
    service stores refresh tokens as the SHA-256 of their value, as sessions are here."""
    row = RefreshToken.objects.select_related("user").filter(token_hash=_digest(refresh_token)).first()
    return row.user if row is not None else None


def _client_for_refresh(client_id: str, secret_hash: str | None, parameters: Mapping[str, str]) -> AppClient:
    """The client of a refresh: its SECRET_HASH covers the token holder's username or, as
    Cognito documents for pools that sign in with e-mail or phone, their ``sub``. An
    unknown token falls back to the USERNAME parameter, so a client with a secret is
    never let through unchecked."""
    owner = _refresh_owner(parameters.get("REFRESH_TOKEN", ""))
    names = [owner.username, str(owner.sub)] if owner is not None else [parameters.get("USERNAME", "")]
    refused: NotAuthorized | None = None
    for name in names:
        try:
            return client_for_request(client_id, secret_hash, name)
        except NotAuthorized as exc:
            refused = exc
    assert refused is not None
    raise refused


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
    InitiateAuth; missing parameter), UnsupportedOperationException (SRP, USER_AUTH,
    CUSTOM_AUTH), and what :func:`password_authenticate` and the token service raise.
    """
    admin = pool_id is not None
    if flow in REFRESH_FLOWS:
        if not parameters.get("REFRESH_TOKEN"):
            raise InvalidParameter("Missing required parameter REFRESH_TOKEN")
        client = _client_for_refresh(client_id, parameters.get("SECRET_HASH"), parameters)
    else:
        client = client_for_request(client_id, parameters.get("SECRET_HASH"), parameters.get("USERNAME") or "")
    if admin and client.pool_id != pool_id:
        raise ResourceNotFound(f"User pool client {client_id} does not exist.")
    ctx = client_context(ctx, client)
    if flow in ADMIN_ONLY_FLOWS and not admin:
        raise InvalidParameter("Initiate Auth method not supported.")
    if not flow_allowed(client, flow):
        raise InvalidParameter(f"{flow} flow not enabled for this client")
    if flow in NOT_YET:
        raise UnsupportedOperation(NOT_YET[flow])
    if flow in REFRESH_FLOWS:
        from userpools.services import tokens

        return AuthOutcome(tokens=tokens.tokens_refresh(ctx, client=client, refresh_token=parameters["REFRESH_TOKEN"]))
    if flow not in FLOW_PERMISSIONS:
        raise InvalidParameter(f"Unknown auth flow {flow}")
    user = password_authenticate(ctx, client, parameters.get("USERNAME"), parameters.get("PASSWORD"))
    return _next_step(SignIn(ctx=ctx, client=client, user=user, auth_time=timezone.now()))


def auth_respond(
    ctx: ServiceContext,
    *,
    client_id: str,
    challenge_name: str,
    session: str | None,
    responses: Mapping[str, str],
    pool_id: str | None = None,
) -> AuthOutcome:
    """RespondToAuthChallenge, or AdminRespondToAuthChallenge when ``pool_id`` is given.

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
    client = client_for_request(client_id, responses.get("SECRET_HASH"), username)
    if pool_id is not None and client.pool_id != pool_id:
        raise ResourceNotFound(f"User pool client {client_id} does not exist.")
    ctx = client_context(ctx, client)
    challenge = challenge_named(challenge_name)
    if challenge is None:
        raise UnsupportedOperation(f"The challenge {challenge_name} is not implemented yet.")
    with transaction.atomic():
        stored = _session_take(session, client)
        if stored.challenge != challenge_name:
            raise InvalidParameter(f"The session is for {stored.challenge}, not {challenge_name}.")
        user = User.objects.select_for_update().get(pk=stored.user_id)
        user.pool = client.pool
        named = users.user_find(client.pool, username)
        if named is None or named.pk != user.pk:
            raise NotAuthorized(SESSION_INVALID)
        if not user.is_active:
            raise NotAuthorized(DISABLED)
        state = dict(stored.state)
        auth_time = datetime.fromisoformat(state.pop("auth_time"))
        sign_in = SignIn(ctx=ctx, client=client, user=user, auth_time=auth_time, state=state)
        challenge.respond(sign_in, responses)
        stored.used_at = timezone.now()
        stored.save(update_fields=["used_at"])
        return _next_step(sign_in, after=challenge.name)

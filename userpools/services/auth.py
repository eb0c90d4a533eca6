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
  further failure up to 15 minutes ("Password attempts exceeded"). Wrong MFA and
  one-time sign-in codes count alike, and a locked-out user's right code is refused too.
  The count lives on the user's row, so every server process sees it; a sign-in that
  passes every factor resets it (a right password alone does not). With
  PreventUserExistenceErrors an unknown username is counted and locked out the same way
  (:class:`~userpools.models.UnknownUserLockout`), with the same statements, so neither
  its answers nor their time tell it from a user.
* USER_AUTH's AvailableChallenges, with PreventUserExistenceErrors, are the pool's whoever
  asks; sign-in codes sent (or simulated for an unknown user) are limited per user like
  other codes (TooManyRequestsException).
* A FORCE_CHANGE_PASSWORD user is asked for a new password (NEW_PASSWORD_REQUIRED),
  unless the temporary password has expired.

* USER_SRP_AUTH proves the password without sending it (:mod:`userpools.srp`): the
  PASSWORD_VERIFIER challenge's SECRET_BLOCK is the session token itself, so clients that
  send no ``Session`` with their claim (pycognito, amazon-cognito-identity-js) still name
  it. An unknown user, with PreventUserExistenceErrors, gets a challenge with a stable fake
  salt and fails at the claim, as a wrong password does.
* USER_AUTH (choice-based) offers the first factors the pool's SignInPolicy allows and the
  user can use (PASSWORD, PASSWORD_SRP; the one-time-password and passkey factors arrive
  with MFA), directly through PREFERRED_CHALLENGE or through SELECT_CHALLENGE.

Custom challenges (CUSTOM_AUTH) need Lambda triggers and answer UnsupportedOperationException.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any, ClassVar, NoReturn

from django.conf import settings
from django.contrib.auth.hashers import check_password, get_hasher, make_password
from django.db import transaction
from django.utils import timezone

from userpools import srp
from userpools.context import ServiceContext, client_context
from userpools.errors import (
    CodeMismatch,
    InvalidParameter,
    MFAMethodNotFound,
    NotAuthorized,
    PasswordResetRequired,
    ResourceNotFound,
    UnsupportedOperation,
    UserNotConfirmed,
    UserNotFound,
)
from userpools.models import AppClient, AuthSession, SoftwareToken, UnknownUserLockout, User, UserPool
from userpools.services import devices, mfa, passkeys, users
from userpools.services.audit import audit_record
from userpools.services.clientauth import (
    FLOW_PERMISSIONS,
    REFRESH_FLOWS,
    client_for_request,
    client_load,
    flow_allowed,
    prevents_existence_errors,
)
from userpools.services.compiled import CompiledQuery

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
HOSTED_SESSION_PREFIX = "hosted."  # "." is not in the URL-safe alphabet of other sessions

ADMIN_ONLY_FLOWS = frozenset({"ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"})
NOT_YET = {
    "CUSTOM_AUTH": "Custom authentication challenges (CUSTOM_AUTH) need Lambda triggers, which Cognate does not run yet.",
}
# USER_AUTH's first factors: which AllowedFirstAuthFactors value offers each challenge.
FIRST_FACTORS: dict[str, str] = {"PASSWORD": "PASSWORD", "PASSWORD_SRP": "PASSWORD", "EMAIL_OTP": "EMAIL_OTP",
                                 "SMS_OTP": "SMS_OTP", "WEB_AUTHN": "WEB_AUTHN"}  # fmt: skip
# Passwordless first factors: the code's medium (userpools.services.mfa) and response key.
ONE_TIME_CODES: dict[str, tuple[str, str]] = {"EMAIL_OTP": ("EMAIL_OTP", "EMAIL_OTP_CODE"),
                                              "SMS_OTP": ("SMS_MFA", "SMS_OTP_CODE")}  # fmt: skip
TIMESTAMP_FORMAT = "TIMESTAMP format should be EEE MMM d HH:mm:ss z yyyy in english."


@dataclass(frozen=True)
class AuthOutcome:
    """What a sign-in step ends in: tokens, or the next challenge and its Session."""

    tokens: TokenSet | None = None
    challenge: str | None = None
    session: str | None = None
    parameters: dict[str, str] = field(default_factory=dict)
    available: list[str] | None = None  # USER_AUTH's AvailableChallenges
    new_device: dict[str, str] | None = None  # NewDeviceMetadata: a new device key (device tracking)
    # A hosted sign-in ends in a proven user instead of tokens (the pages start a browser
    # session and the OAuth endpoints issue tokens): who, since when, and how.
    user: User | None = None
    auth_time: datetime | None = None
    methods: list[str] = field(default_factory=list)


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

    def prepare(self, sign_in: SignIn) -> dict[str, str]:
        """Work done when the challenge is issued (send a code, keep its digest in
        ``sign_in.state``); returns extra ChallengeParameters."""
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
        user.save(update_fields=[*users.PASSWORD_FIELDS, "status", "temporary_password_expires_at", "attributes",
                                 *users.MIRRORED, "updated_at"])  # fmt: skip
        audit_record(sign_in.ctx, "user.new_password", pool_id=pool.id, target=user.username,
                     client_id=sign_in.client.client_id)  # fmt: skip


# --- MFA challenges (userpools.services.mfa holds the rules) -----------------------------------


def _mfa_pending(sign_in: SignIn) -> bool:
    return not sign_in.state.get("mfa_done")


def _mfa_factors(sign_in: SignIn) -> list[str]:
    if "mfa_factors" not in sign_in.state:
        sign_in.state["mfa_factors"] = mfa.sign_in_factors(sign_in.user, sign_in.client.pool)
    return sign_in.state["mfa_factors"]


def _mfa_factor(sign_in: SignIn) -> str | None:
    """The factor this sign-in uses: the one chosen (SELECT_MFA_TYPE), the preferred, the only."""
    factors = _mfa_factors(sign_in)
    chosen = sign_in.state.get("mfa_choice") or mfa.preferred(sign_in.user, factors)
    if chosen is None and len(factors) == 1:
        chosen = factors[0]
    return chosen


class MfaSetup(Challenge):
    """MFA_SETUP: the pool requires MFA and the user has no factor. The app associates a
    TOTP authenticator with this session (AssociateSoftwareToken, VerifySoftwareToken) and
    answers with the session VerifySoftwareToken returned."""

    name = "MFA_SETUP"

    def applies(self, sign_in: SignIn) -> bool:
        if not _mfa_pending(sign_in) or sign_in.client.pool.mfa_configuration != UserPool.Mfa.ON:
            return False
        if _mfa_factors(sign_in):
            return False
        if mfa.TOTP_FACTOR not in mfa.pool_factors(sign_in.client.pool):
            raise MFAMethodNotFound("No MFA method is available for the user and none can be set up.")
        return True

    def parameters(self, sign_in: SignIn) -> dict[str, str]:
        return {"MFAS_CAN_SETUP": json.dumps([mfa.TOTP_FACTOR])}

    def respond(self, sign_in: SignIn, responses: Mapping[str, str]) -> None:
        if not sign_in.state.get("mfa_setup_verified"):
            raise InvalidParameter("Verify a software token (VerifySoftwareToken) with this session first.")
        sign_in.state["mfa_done"] = True


class SelectMfaType(Challenge):
    """SELECT_MFA_TYPE: several factors and none preferred; ANSWER picks one."""

    name = "SELECT_MFA_TYPE"
    ALIASES: ClassVar[dict[str, str]] = {"EMAIL_MFA": mfa.EMAIL}

    def applies(self, sign_in: SignIn) -> bool:
        return _mfa_pending(sign_in) and len(_mfa_factors(sign_in)) > 1 and _mfa_factor(sign_in) is None

    def parameters(self, sign_in: SignIn) -> dict[str, str]:
        return {"MFAS_CAN_CHOOSE": json.dumps(_mfa_factors(sign_in))}

    def respond(self, sign_in: SignIn, responses: Mapping[str, str]) -> None:
        answer = responses.get("ANSWER")
        answer = self.ALIASES.get(answer or "", answer)
        if answer not in _mfa_factors(sign_in):
            raise InvalidParameter(f"ANSWER must be one of {', '.join(_mfa_factors(sign_in))}.")
        sign_in.state["mfa_choice"] = answer


class CodeChallenge(Challenge):
    """A factor answered with a code: SMS_MFA, EMAIL_OTP (sent now), SOFTWARE_TOKEN_MFA."""

    factor: ClassVar[str]
    response_key: ClassVar[str]

    def applies(self, sign_in: SignIn) -> bool:
        return _mfa_pending(sign_in) and _mfa_factor(sign_in) == self.factor

    def prepare(self, sign_in: SignIn) -> dict[str, str]:
        return mfa.code_send(sign_in.ctx, sign_in.user, self.factor, sign_in.state)

    def matches(self, sign_in: SignIn, code: str | None) -> bool:
        return mfa.code_matches(sign_in.state, code)

    def respond(self, sign_in: SignIn, responses: Mapping[str, str]) -> None:
        code = responses.get(self.response_key)
        if not code:
            raise InvalidParameter(f"Missing required parameter {self.response_key}")
        # A wrong code counts towards the user's lockout as a wrong password does
        # (auth_respond records it); while locked out, even the right code is refused.
        _unlocked(sign_in.user)
        if not self.matches(sign_in, code):
            raise CodeMismatch("Invalid code received for user")
        sign_in.state["mfa_done"] = True


class SmsMfa(CodeChallenge):
    name, factor, response_key = "SMS_MFA", mfa.SMS, "SMS_MFA_CODE"


class EmailOtp(CodeChallenge):
    name, factor, response_key = "EMAIL_OTP", mfa.EMAIL, "EMAIL_OTP_CODE"


class SoftwareTokenMfa(CodeChallenge):
    name, factor, response_key = "SOFTWARE_TOKEN_MFA", mfa.TOTP_FACTOR, "SOFTWARE_TOKEN_MFA_CODE"

    def prepare(self, sign_in: SignIn) -> dict[str, str]:
        return {}

    def parameters(self, sign_in: SignIn) -> dict[str, str]:
        token = SoftwareToken.objects.filter(user=sign_in.user).only("name").first()
        return {"FRIENDLY_DEVICE_NAME": token.name} if token is not None else {}

    def matches(self, sign_in: SignIn, code: str | None) -> bool:
        return mfa.totp_check(sign_in.user, code)


CHALLENGES: list[Challenge] = [NewPasswordRequired(), MfaSetup(), SelectMfaType(), SmsMfa(), EmailOtp(),
                               SoftwareTokenMfa(), *devices.CHALLENGES]  # type: ignore[list-item]  # fmt: skip
"""The challenges a sign-in passes through, in order (MFA challenges go after the password ones,
a remembered device's authentication last: userpools.services.devices)."""


def challenge_named(name: str) -> Challenge | None:
    return next((c for c in CHALLENGES if c.name == name), None)


# --- Sessions ----------------------------------------------------------------------------------


def _digest(token: str) -> str:
    """How sessions (and, in the token service, refresh tokens) are stored: SHA-256, hex."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def session_validity(client: AppClient) -> timedelta:
    return timedelta(minutes=int(client.settings.get("AuthSessionValidity") or DEFAULT_SESSION_MINUTES))


def _session_open(client: AppClient, user: User | None, challenge: str, state: dict[str, Any],
                  token: str | None = None) -> str:  # fmt: skip
    """Store a new challenge session and return its token (made here unless given). A hosted
    sign-in's tokens start with :data:`HOSTED_SESSION_PREFIX`."""
    token = token or (HOSTED_SESSION_PREFIX if state.get("hosted") else "") + secrets.token_urlsafe(SESSION_BYTES)
    AuthSession.objects.create(
        token_hash=_digest(token), pool=client.pool, client=client, user=user, challenge=challenge,
        state=state, expires_at=timezone.now() + session_validity(client),
    )  # fmt: skip
    return token


def _session_start(sign_in: SignIn, challenge: Challenge) -> str:
    state = {**sign_in.state, "auth_time": sign_in.auth_time.isoformat()}
    return _session_open(sign_in.client, sign_in.user, challenge.name, state)


_SESSION_WITH_USER = CompiledQuery(
    lambda token_hash: AuthSession.objects.select_related("user").filter(token_hash=token_hash).order_by("pk")[:1],
    token_hash=AuthSession._meta.get_field("token_hash"),
)
_SPENDERS: dict[frozenset[str], CompiledQuery] = {}


def _session_spender(challenges: frozenset[str]) -> CompiledQuery:
    """The conditional UPDATE that spends a live session at one of ``challenges`` (a
    constant of the caller's, so one compiled query each)."""
    spender = _SPENDERS.get(challenges)
    if spender is None:
        spender = _SPENDERS[challenges] = CompiledQuery(
            lambda token_hash, client_id, now: (
                AuthSession.objects.filter(token_hash=token_hash, client_id=client_id, challenge__in=sorted(challenges),
                                           used_at__isnull=True, expires_at__gt=now),
                {"used_at": now},
            ),
            update=True,
            token_hash=AuthSession._meta.get_field("token_hash"),
            client_id=AuthSession._meta.get_field("client"),
            now=AuthSession._meta.get_field("used_at"),
        )  # fmt: skip
    return spender


def _session_spend(token: str | None, client: AppClient, challenges: frozenset[str]) -> AuthSession:
    """Spend the live session ``token`` names for ``client`` at one of ``challenges`` and return
    it. Spending is one conditional UPDATE, so of two concurrent answers only one gets it;
    a refused answer stays spent (a sign-in's first factor gets one try per challenge)."""
    if not token:
        raise NotAuthorized(SESSION_INVALID)
    now = timezone.now()
    digest = _digest(token)
    spent = _session_spender(challenges).execute(token_hash=digest, client_id=client.pk, now=now)
    stored = _SESSION_WITH_USER.first(token_hash=digest)
    if not spent or stored is None:
        if stored is not None and stored.used_at is None and stored.expires_at <= now and stored.client_id == client.pk:
            raise NotAuthorized(SESSION_EXPIRED)
        raise NotAuthorized(SESSION_INVALID)
    return stored


def _session_take(token: str | None, client: AppClient, *, anonymous: bool = False) -> AuthSession:
    """The live session ``token`` names for ``client``, row-locked; NotAuthorizedException
    otherwise. ``anonymous`` admits a session without a user (an unknown user's challenge)."""
    if not token:
        raise NotAuthorized(SESSION_INVALID)
    session = (AuthSession.objects.select_for_update(of=("self",)).select_related("user")
               .filter(token_hash=_digest(token)).first())  # fmt: skip
    if session is None or session.used_at is not None or session.client_id != client.pk \
            or (session.user is None and not anonymous):  # fmt: skip
        raise NotAuthorized(SESSION_INVALID)
    if session.expires_at <= timezone.now():
        raise NotAuthorized(SESSION_EXPIRED)
    return session


def _next_step(sign_in: SignIn, *, after: str | None = None) -> AuthOutcome:
    """The first challenge that still applies (after the one just answered), else tokens."""
    devices.sign_in_device_resolve(sign_in)
    names = [c.name for c in CHALLENGES]
    start = names.index(after) + 1 if after in names else 0
    for challenge in CHALLENGES[start:]:
        if challenge.applies(sign_in):
            extra = challenge.prepare(sign_in)
            session = _session_start(sign_in, challenge)
            parameters = {**challenge.parameters(sign_in), **extra}
            return AuthOutcome(challenge=challenge.name, session=session, parameters=parameters)
    _failures_reset(sign_in.user)  # every factor passed: only now does the failure count start again
    if sign_in.state.get("hosted"):
        audit_record(sign_in.ctx, "user.hosted_sign_in", pool_id=sign_in.user.pool_id, target=sign_in.user.username,
                     client_id=sign_in.client.client_id)  # fmt: skip
        methods = list(sign_in.state.get("methods") or ["pwd"])
        if sign_in.state.get("mfa_done") and "mfa" not in methods:
            methods.append("mfa")
        return AuthOutcome(user=sign_in.user, auth_time=sign_in.auth_time, methods=methods)
    from userpools.services import tokens

    # tokens_issue records the sign-in in the audit log ("user.tokens_issue").
    issued = tokens.tokens_issue(sign_in.ctx, user=sign_in.user, client=sign_in.client, auth_time=sign_in.auth_time)
    return AuthOutcome(tokens=issued, new_device=devices.sign_in_complete(sign_in))


# --- Passwords and lockout ---------------------------------------------------------------------


def _dummy_hash() -> str:
    """A hash made like users' hashes, to check a password against when there is no user:
    by the hasher that makes them now (PASSWORD_HASHERS may change, and a dummy made by
    another hasher would take another time)."""
    return _dummy_hash_by(get_hasher("default").algorithm)


@cache
def _dummy_hash_by(algorithm: str) -> str:
    return make_password(secrets.token_urlsafe(16), hasher=algorithm)


def _password_matches(raw: str, user: User | None) -> bool:
    """Check ``raw`` against ``user``'s hash, or against a dummy hash when there is none, so
    that both cost the same; upgrade the stored hash when its hasher's parameters changed,
    and make the SRP verifier of a password that has none."""
    dummy = user is None or not user.has_usable_password()
    encoded = _dummy_hash() if dummy else user.password

    def upgrade(raw_password: str) -> None:
        assert user is not None
        users.password_store(user, raw_password)
        User.objects.filter(pk=user.pk).update(password=user.password, srp_verifier=user.srp_verifier)

    try:
        matched = check_password(raw, encoded, setter=None if dummy else upgrade)
    except UnicodeEncodeError:  # a lone surrogate from JSON: not anyone's password
        return False
    if matched and not dummy and not user.srp_verifier and user.pool_id:
        upgrade(raw)  # a password set before SRP verifiers existed gets one now
    return matched and not dummy


def lockout_duration(failures: int) -> timedelta | None:
    """How long ``failures`` consecutive wrong passwords lock a user out (None: not at all)."""
    if failures < FREE_FAILURES:
        return None
    return min(timedelta(seconds=2 ** min(failures - FREE_FAILURES, 20)), MAX_LOCKOUT)


def _failure_record(row: User | UnknownUserLockout) -> None:
    """Count a failed sign-in attempt (a wrong password, SRP claim or sign-in code) on the
    user's row, or on the :class:`UnknownUserLockout` row of a username that names nobody,
    deciding on the row itself (locked): if a lockout began while this attempt was being
    checked, the answer is the lockout's and the attempt is not counted, as Cognito ignores
    attempts made during a lockout. Both kinds of row take the same statements, so a wrong
    password costs a real and an unknown user the same time."""
    model = type(row)
    with transaction.atomic():
        if row.pk is None:  # an unknown username's first failure
            row = UnknownUserLockout.objects.select_for_update().get_or_create(pool_id=row.pool_id, key=row.key)[0]
        # Only the two counting columns are read and written, by the same statements for
        # both models: a User row read whole (and saved through its signals) took
        # measurably longer than an UnknownUserLockout row (tests/security/test_enumeration.py).
        failures, locked_until = model.objects.select_for_update().filter(pk=row.pk).values_list(
            "failed_sign_ins", "locked_until").get()  # fmt: skip
        now = timezone.now()
        if locked_until is not None and locked_until > now:
            raise NotAuthorized(LOCKED)
        failures += 1
        duration = lockout_duration(failures)
        changes = {"failed_sign_ins": failures, "locked_until": locked_until if duration is None else now + duration}
        if model is UnknownUserLockout:
            changes["updated_at"] = now  # auto_now is the model's save's; unknown_lockouts_prune reads it
        model.objects.filter(pk=row.pk).update(**changes)


_LOCKOUT_STATE = CompiledQuery(
    lambda pk: User.objects.filter(pk=pk).values_list("failed_sign_ins", "locked_until")[:1], pk=User._meta.pk)
_UNKNOWN_LOCKOUT = CompiledQuery(
    lambda pool_id, key: UnknownUserLockout.objects.filter(pool_id=pool_id, key=key).order_by("pk")[:1],
    pool_id=UnknownUserLockout._meta.get_field("pool"), key=UnknownUserLockout._meta.get_field("key"),
)


def _unknown_lockout(pool: UserPool, username: str) -> UnknownUserLockout:
    """The failure count of ``username`` in ``pool``, which names nobody (unsaved until its
    first failure). Keyed by the pool's form of the name, as users are (case folding)."""
    key = hashlib.sha256(users.username_key(pool, username).encode("utf-8", "surrogatepass")).hexdigest()
    return _UNKNOWN_LOCKOUT.first(pool_id=pool.pk, key=key) or UnknownUserLockout(pool_id=pool.pk, key=key)


# How long an unknown username's failure count is kept after its last failure. A real
# user's count lasts until their next successful sign-in, so after this long an unknown
# name could answer differently from a real one that nobody signed in to meanwhile: the
# price of a table that an attacker could otherwise grow with every name they guess.
UNKNOWN_LOCKOUT_IDLE = timedelta(days=30)


def unknown_lockouts_prune() -> int:
    """Delete the failure counts of unknown usernames idle for UNKNOWN_LOCKOUT_IDLE; returns how many."""
    return UnknownUserLockout.objects.filter(updated_at__lt=timezone.now() - UNKNOWN_LOCKOUT_IDLE).delete()[0]


def _lockout_recheck(user: User) -> None:
    """After a right password: refuse it if a lockout began while it was being checked (a
    burst of guesses must not get past a lockout its own wrong guesses started). The count
    is reset only when the whole sign-in succeeds (:func:`_failures_reset`): a right
    password followed by wrong MFA codes keeps counting towards the lockout."""
    state = _LOCKOUT_STATE.rows(pk=user.pk)
    if not state:
        raise User.DoesNotExist("User matching query does not exist.")
    user.failed_sign_ins, user.locked_until = state[0]
    _unlocked(user)


def _failures_reset(user: User) -> None:
    """A sign-in passed every factor: its user's failure count starts again (``user``'s
    count is as read during this sign-in, so there is no query when there is nothing to reset)."""
    if user.failed_sign_ins or user.locked_until:
        User.objects.filter(pk=user.pk).update(failed_sign_ins=0, locked_until=None)
        user.failed_sign_ins, user.locked_until = 0, None


def _attempt_failed(ctx: ServiceContext, client: AppClient, user: User | None, username: str,
                    *, unknown: UnknownUserLockout | None = None, action: str = "user.sign_in_failed") -> None:  # fmt: skip
    """Count a failed attempt on ``user`` (or, when nobody has ``username``, on its
    :class:`UnknownUserLockout` row) and write its audit event: the same work whether the
    user exists or not."""
    if user is not None:
        _failure_record(user)
        audit_record(ctx, action, pool_id=client.pool_id, target=user.username, client_id=client.client_id)
    else:
        _failure_record(unknown if unknown is not None else _unknown_lockout(client.pool, username))
        audit_record(ctx, action, pool_id=client.pool_id, target=username, client_id=client.client_id, known=False)


def _sign_in_failed(ctx: ServiceContext, client: AppClient, user: User | None, username: str,
                    *, unknown: UnknownUserLockout | None = None) -> NoReturn:  # fmt: skip
    """A wrong password or SRP claim: counted (:func:`_attempt_failed`), then refused."""
    _attempt_failed(ctx, client, user, username, unknown=unknown)
    raise NotAuthorized(INCORRECT)


def _unlocked(user: User | UnknownUserLockout) -> None:
    if user.locked_until is not None and user.locked_until > timezone.now():
        raise NotAuthorized(LOCKED)


def _may_sign_in(user: User) -> User:
    """``user``, whose password was just proven, if their account lets them sign in now."""
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


def _unknown_user(client: AppClient) -> None:
    """What naming a user who does not exist answers (PreventUserExistenceErrors)."""
    if prevents_existence_errors(client):
        raise NotAuthorized(INCORRECT)
    raise UserNotFound("User does not exist.")


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
        if not prevents_existence_errors(client):
            _password_matches(password, None)  # spend the time a real check takes
            _unknown_user(client)
        # An unknown username is counted and locked out as a user is, with the same
        # statements: its answers (up to "Password attempts exceeded") and their time match.
        unknown = _unknown_lockout(pool, username)
        _unlocked(unknown)
        _password_matches(password, None)
        _sign_in_failed(ctx, client, None, username, unknown=unknown)
    user.pool = pool
    _unlocked(user)
    matched = _password_matches(password, user)
    _lockout_recheck(user)  # also after a wrong one: an unknown username reads its lockout row as well
    if not matched:
        _sign_in_failed(ctx, client, user, username)
    return _may_sign_in(user)


# --- SRP ---------------------------------------------------------------------------------------


def _fake_salt(pool: Any, username: str) -> str:
    """A salt for a user who does not exist that is the same on every try, as a real one is."""
    digest = hmac.new(settings.SECRET_KEY.encode(), f"srp-salt:{pool.id}:{username}".encode("utf-8", "surrogatepass"),
                      hashlib.sha256).hexdigest()  # fmt: skip
    return f"{int(digest[:2], 16) % 0x70 + 0x10:02x}{digest[2:32]}"


def srp_start(client: AppClient, username: str | None, srp_a: str | None, *, user: User | None = None,
              looked_up: bool = False) -> AuthOutcome:  # fmt: skip
    """The PASSWORD_VERIFIER challenge for ``username`` and the client's SRP_A.

    ``user`` is given when the caller already looked the user up (USER_AUTH's
    SELECT_CHALLENGE). A user who does not exist gets a challenge that can only fail
    (PreventUserExistenceErrors) or a UserNotFoundException (LEGACY); so does a user whose
    password was set before SRP verifiers existed, since no claim can match."""
    if not username:
        raise InvalidParameter("Missing required parameter USERNAME")
    if not srp_a:
        raise InvalidParameter("Missing required parameter SRP_A")
    try:
        big_a = srp.parse_public(srp_a)
    except srp.SrpError as exc:
        raise InvalidParameter(str(exc)) from None
    pool = client.pool
    if not looked_up:
        user = users.user_find(pool, username)
    if user is None and not prevents_existence_errors(client):
        raise UserNotFound("User does not exist.")
    stored = users.srp_verifier_read(user) if user is not None else None
    if stored is None:
        salt, verifier = _fake_salt(pool, username), secrets.randbits(3000)
    else:
        salt, verifier = stored
    user_id = user.username if user is not None else username
    block = srp.secret_block_new()
    b = srp.ephemeral_new()  # random and server-side only (userpools/srp.py): never from the block
    big_b = srp.server_public(verifier, b)
    state = {"srp_a": f"{big_a:x}", "srp_b": f"{big_b:x}", "srp_secret": srp.ephemeral_seal(b), "user_id": user_id,
             "verifier": stored is not None}  # fmt: skip
    _session_open(client, user, "PASSWORD_VERIFIER", state, token=block)
    return AuthOutcome(challenge="PASSWORD_VERIFIER", session=block, parameters={
        "SALT": salt, "SECRET_BLOCK": block, "SRP_B": f"{big_b:x}", "USERNAME": user_id, "USER_ID_FOR_SRP": user_id,
    })  # fmt: skip


def _srp_verify(ctx: ServiceContext, client: AppClient, stored: AuthSession, responses: Mapping[str, str]) -> User:
    """The user whose PASSWORD_VERIFIER claim is right, if they may sign in."""
    moment = srp.timestamp_parse(responses.get("TIMESTAMP"))
    if moment is None:
        raise InvalidParameter(TIMESTAMP_FORMAT)
    user, state = stored.user, stored.state
    unknown = _unknown_lockout(client.pool, state.get("user_id") or "") if user is None else None
    if user is not None:
        user.pool = client.pool
    _unlocked(user if user is not None else unknown)
    verifier = users.srp_verifier_read(user) if user is not None and state.get("verifier") else None
    block = responses.get("PASSWORD_CLAIM_SECRET_BLOCK") or ""
    expected = ""
    if abs(timezone.now() - moment) <= srp.TIMESTAMP_SKEW:
        # The arithmetic runs for every claim, with a throwaway verifier where no claim can
        # match (no such user, or no verifier), so that a refusal takes as long either way.
        try:
            key = srp.session_key(big_a=int(state["srp_a"], 16), big_b=int(state["srp_b"], 16),
                                  verifier=verifier[1] if verifier is not None else secrets.randbits(3000),
                                  b=srp.ephemeral_open(state.get("srp_secret")))  # fmt: skip
            expected = srp.claim_signature(key, pool_id=client.pool_id, user_id=state["user_id"],
                                           secret_block=block, timestamp=responses["TIMESTAMP"])  # fmt: skip
        except (srp.SrpError, ValueError):  # a block that is not base64 cannot be ours
            expected = ""
    matched = verifier is not None and bool(expected) and \
        srp.signature_matches(expected, responses.get("PASSWORD_CLAIM_SIGNATURE"))  # fmt: skip
    if not matched:
        _sign_in_failed(ctx, client, user, user.username if verifier is not None else state.get("user_id") or "",
                        unknown=unknown)  # fmt: skip
    _lockout_recheck(user)
    return _may_sign_in(user)


# --- Choice-based sign-in (USER_AUTH) ----------------------------------------------------------


def available_first_factors(client: AppClient, user: User | None = None) -> list[str]:
    """The USER_AUTH challenges the pool's SignInPolicy allows and, when the user is known,
    that they can use: a code needs a verified e-mail address or phone number."""
    factors = set(client.pool.settings.get("Policies", {}).get("SignInPolicy", {}).get("AllowedFirstAuthFactors")
                  or ["PASSWORD"])  # fmt: skip
    out = [name for name, factor in FIRST_FACTORS.items() if factor in factors]
    if user is not None:
        out = [name for name in out if _can_use(user, name)]
    return out


def _can_use(user: User, factor: str) -> bool:
    if factor == "EMAIL_OTP":
        return bool(user.attributes.get("email")) and user.attributes.get("email_verified") == "true"
    if factor == "SMS_OTP":
        return bool(user.attributes.get("phone_number")) and user.attributes.get("phone_number_verified") == "true"
    if factor in ("PASSWORD", "PASSWORD_SRP"):
        return user.has_usable_password()
    if factor == "WEB_AUTHN":
        return passkeys.user_has_passkeys(user)
    return True


def auth_factors(user: User) -> list[str]:
    """GetUserAuthFactors' ConfiguredUserAuthFactors: the first factors the user has set up."""
    out = ["PASSWORD"] if user.has_usable_password() else []
    factors = set(user.pool.settings.get("Policies", {}).get("SignInPolicy", {}).get("AllowedFirstAuthFactors") or [])
    out += [name for name in ("EMAIL_OTP", "SMS_OTP") if name in factors and _can_use(user, name)]
    if passkeys.user_has_passkeys(user):
        out.append("WEB_AUTHN")
    return out


def _webauthn_start(client: AppClient, user: User | None, *, hosted: bool = False) -> AuthOutcome:
    """WEB_AUTHN as a first factor: the request options for the user's passkeys, and a
    session that keeps the challenge (an unknown user gets options no passkey satisfies)."""
    if user is not None:
        user.pool = client.pool
    options, webauthn_state = passkeys.authentication_options(user, client)
    state: dict[str, Any] = {"first_factor": "WEB_AUTHN", "webauthn": webauthn_state}
    if hosted:
        state["hosted"] = True
    session = _session_open(client, user, "WEB_AUTHN", state)
    return AuthOutcome(challenge="WEB_AUTHN", session=session,
                       parameters={"CREDENTIAL_REQUEST_OPTIONS": passkeys.authentication_options_json(options)})


def _webauthn_respond(ctx: ServiceContext, client: AppClient, session: str | None, username: str,
                      responses: Mapping[str, str]) -> AuthOutcome:  # fmt: skip
    """The WEB_AUTHN challenge's CREDENTIAL: a passkey assertion over the session's
    challenge. The session is spent by the answer, right or wrong. A passkey that verified
    the user (biometrics, PIN) stands in for MFA; one that did not leaves MFA to follow."""
    credential = responses.get("CREDENTIAL")
    if not credential:
        raise InvalidParameter("Missing required parameter CREDENTIAL")
    stored = _session_spend(session, client, frozenset({"WEB_AUTHN"}))
    user = stored.user
    if user is not None:
        user.pool = client.pool
        if not _names(client, username, user):
            raise NotAuthorized(SESSION_INVALID)
    passkey = passkeys.authentication_verify(ctx, user, client, stored.state.get("webauthn") or {}, credential)
    if user is None or passkey.user_id != user.pk:
        raise NotAuthorized(INCORRECT)
    _unlocked(user)
    _may_sign_in(user)
    state: dict[str, Any] = {"mfa_done": True} if getattr(passkey, "user_verified", False) else {}
    if stored.state.get("hosted"):
        state.update(hosted=True, methods=["hwk", "user"] if state else ["hwk"])
    return _next_step(SignIn(ctx=ctx, client=client, user=user, auth_time=timezone.now(), state=state))


def _one_time_code_start(ctx: ServiceContext, client: AppClient, answer: str, username: str,
                         user: User | None) -> AuthOutcome:  # fmt: skip
    """EMAIL_OTP / SMS_OTP as a first factor: send a code, challenge for it. An unknown user
    (PreventUserExistenceErrors) or one who cannot receive it gets a challenge that no code
    can pass and a plausible destination; nothing is sent, but the send is counted as a real
    one is (TooManyRequestsException past the limit), and wrong codes count towards the
    username's lockout, so that every answer matches a real user's."""
    medium, _ = ONE_TIME_CODES[answer]
    state: dict[str, Any] = {"first_factor": answer, "username": username}
    if user is not None and _can_use(user, answer):
        user.pool = client.pool
        parameters = mfa.code_send(ctx, user, medium, state)
    else:
        parameters = mfa.code_send_simulated(client.pool, user, username, medium)
        user = None
    session = _session_open(client, user, answer, state)
    return AuthOutcome(challenge=answer, session=session, parameters=parameters)


def _first_factor(ctx: ServiceContext, client: AppClient, answer: str | None, username: str,
                  parameters: Mapping[str, str], *, user: User | None, looked_up: bool) -> AuthOutcome:  # fmt: skip
    """Run the first factor ``answer`` names (PASSWORD signs in; PASSWORD_SRP, EMAIL_OTP and
    SMS_OTP challenge)."""
    if answer not in available_first_factors(client):
        raise InvalidParameter(f"The challenge {answer} is not available for this user.")
    if answer == "PASSWORD_SRP":
        return srp_start(client, username, parameters.get("SRP_A"), user=user, looked_up=looked_up)
    if answer == "WEB_AUTHN":
        if not looked_up:
            user = users.user_find(client.pool, username)
            if user is None and not prevents_existence_errors(client):
                raise UserNotFound("User does not exist.")
        return _webauthn_start(client, user)
    if answer in ONE_TIME_CODES:
        if not looked_up:
            user = users.user_find(client.pool, username)
            if user is None and not prevents_existence_errors(client):
                raise UserNotFound("User does not exist.")
        return _one_time_code_start(ctx, client, answer, username, user)
    proven = password_authenticate(ctx, client, username, parameters.get("PASSWORD"))
    if looked_up and (user is None or proven.pk != user.pk):
        raise NotAuthorized(SESSION_INVALID)
    return _next_step(SignIn(ctx=ctx, client=client, user=proven, auth_time=timezone.now()))


def _one_time_code_respond(ctx: ServiceContext, client: AppClient, challenge_name: str, session: str | None,
                           username: str, responses: Mapping[str, str]) -> AuthOutcome:  # fmt: skip
    """The code of a passwordless first factor. Wrong codes count (three spend the session);
    the right one signs the user in without a further MFA step (the code is a possession factor)."""
    _, key = ONE_TIME_CODES[challenge_name]
    code = responses.get(key)
    if not code:
        raise InvalidParameter(f"Missing required parameter {key}")
    with transaction.atomic():
        stored = _session_take(session, client, anonymous=True)
        if stored.challenge != challenge_name or stored.state.get("first_factor") != challenge_name:
            raise NotAuthorized(SESSION_INVALID)
        user = stored.user
        # Locked out (by wrong passwords or codes): refused before the code is looked at,
        # an unknown username as a user (auth_respond counts a wrong code).
        _unlocked(user if user is not None else _unknown_lockout(client.pool, stored.state.get("username") or username))
        if user is None or not mfa.code_matches(stored.state, code):
            raise CodeMismatch("Invalid code received for user")
        user.pool = client.pool
        if not _names(client, username, user):
            raise NotAuthorized(SESSION_INVALID)
        _may_sign_in(user)
        if user.status == User.Status.FORCE_CHANGE_PASSWORD:
            raise NotAuthorized(INCORRECT)
        stored.used_at = timezone.now()
        stored.save(update_fields=["used_at"])
        sign_in = SignIn(ctx=ctx, client=client, user=user, auth_time=timezone.now(), state={"mfa_done": True})
        return _next_step(sign_in)


def _user_auth(ctx: ServiceContext, client: AppClient, parameters: Mapping[str, str]) -> AuthOutcome:
    username = parameters.get("USERNAME")
    if not username:
        raise InvalidParameter("Missing required parameter USERNAME")
    preferred = parameters.get("PREFERRED_CHALLENGE")
    if preferred in ("PASSWORD", "PASSWORD_SRP") and preferred in available_first_factors(client):
        return _first_factor(ctx, client, preferred, username, parameters, user=None, looked_up=False)
    user = users.user_find(client.pool, username)
    prevent = prevents_existence_errors(client)
    if user is None and not prevent:
        raise UserNotFound("User does not exist.")
    # With PreventUserExistenceErrors the list is the pool's, whoever asks: one that left
    # out what a user cannot use would tell real users from unknown ones. A factor the user
    # cannot use then gets the unknown user's challenge, which no answer passes.
    available = available_first_factors(client, None if prevent else user)
    if preferred in available:
        return _first_factor(ctx, client, preferred, username, parameters, user=user, looked_up=True)
    session = _session_open(client, user, "SELECT_CHALLENGE", {"username": username})
    return AuthOutcome(challenge="SELECT_CHALLENGE", session=session, available=available)


# --- Flows -------------------------------------------------------------------------------------


def _refresh_owner(refresh_token: str) -> User | None:
    """Who holds ``refresh_token`` (for its SECRET_HASH or DEVICE_KEY check)."""
    from userpools.services import tokens

    return tokens.refresh_token_owner(refresh_token)


def _client_for_refresh(client_id: str, secret_hash: str | None, parameters: Mapping[str, str]) -> AppClient:
    """The client of a refresh: its SECRET_HASH covers the token holder's username or, as
    Cognito documents for pools that sign in with e-mail or phone, their ``sub``. An
    unknown token falls back to the USERNAME parameter, so a client with a secret is
    never let through unchecked."""
    client, secrets_held = client_load(client_id)
    if not secrets_held:
        return client  # no SECRET_HASH to check, so no need to know whose token it is
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
    InitiateAuth; missing parameter), UnsupportedOperationException (CUSTOM_AUTH), and what :func:`password_authenticate` and the token service raise.
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
    ctx = devices.device_key_carry(client_context(ctx, client), parameters)
    if flow in ADMIN_ONLY_FLOWS and not admin:
        raise InvalidParameter("Initiate Auth method not supported.")
    if not flow_allowed(client, flow):
        raise InvalidParameter(f"{flow} flow not enabled for this client")
    if flow in NOT_YET:
        raise UnsupportedOperation(NOT_YET[flow])
    if flow in REFRESH_FLOWS:
        from userpools.services import tokens

        if parameters.get("DEVICE_KEY"):
            devices.refresh_device_check(client, _refresh_owner(parameters["REFRESH_TOKEN"]), parameters["DEVICE_KEY"])
        return AuthOutcome(tokens=tokens.tokens_refresh(ctx, client=client, refresh_token=parameters["REFRESH_TOKEN"]))
    if flow not in FLOW_PERMISSIONS:
        raise InvalidParameter(f"Unknown auth flow {flow}")
    if flow == "USER_SRP_AUTH":
        return srp_start(client, parameters.get("USERNAME"), parameters.get("SRP_A"))
    if flow == "USER_AUTH":
        return _user_auth(ctx, client, parameters)
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
    _hosted_check(hosted, session, responses.get("PASSWORD_CLAIM_SECRET_BLOCK"))
    client = client_for_request(client_id, responses.get("SECRET_HASH"), username)
    if pool_id is not None and client.pool_id != pool_id:
        raise ResourceNotFound(f"User pool client {client_id} does not exist.")
    ctx = devices.device_key_carry(client_context(ctx, client), responses)
    if challenge_name == "PASSWORD_VERIFIER":  # before the claim spends its session
        devices.sign_in_device_check(client, username, responses.get("DEVICE_KEY"))
    if challenge_name in FIRST_FACTOR_CHALLENGES:
        return _respond_first_factor(ctx, client, challenge_name, session, username, responses)
    if challenge_name == "WEB_AUTHN":
        return _webauthn_respond(ctx, client, session, username, responses)
    if challenge_name in ONE_TIME_CODES and _is_first_factor_session(session, challenge_name):
        try:
            return _one_time_code_respond(ctx, client, challenge_name, session, username, responses)
        except CodeMismatch:
            _code_attempt_failed(ctx, client, session, username)
            raise
    challenge = challenge_named(challenge_name)
    if challenge is None:
        raise UnsupportedOperation(f"The challenge {challenge_name} is not implemented yet.")
    try:
        return _respond(ctx, client, challenge, session, username, responses)
    except CodeMismatch:
        _code_attempt_failed(ctx, client, session, username)
        raise


def hosted_sign_in(ctx: ServiceContext, *, client: AppClient, username: str | None,
                   password: str | None) -> AuthOutcome:  # fmt: skip
    """The hosted sign-in page's password step: the same rules as USER_PASSWORD_AUTH
    (disabled, unconfirmed and reset-required users, PreventUserExistenceErrors, lockout) and
    the same challenges after it (NEW_PASSWORD_REQUIRED, MFA), answered with
    ``auth_respond(..., hosted=True)``. The client's ExplicitAuthFlows govern the API, not
    the pool's own pages. Ends in :attr:`AuthOutcome.user`, not tokens."""
    ctx = client_context(ctx, client)
    user = password_authenticate(ctx, client, username, password)
    return _next_step(SignIn(ctx=ctx, client=client, user=user, auth_time=timezone.now(),
                             state={"hosted": True, "methods": ["pwd"]}))  # fmt: skip


def hosted_passkey_start(ctx: ServiceContext, *, client: AppClient, username: str) -> AuthOutcome:
    """The hosted sign-in page's passkey button: WEB_AUTHN request options for ``username``'s
    passkeys (answered with ``auth_respond(..., challenge_name="WEB_AUTHN", hosted=True)``).
    Raises WebAuthnNotEnabledException / UserNotFoundException as USER_AUTH would."""
    if "WEB_AUTHN" not in available_first_factors(client):
        from userpools.errors import WebAuthnNotEnabled

        raise WebAuthnNotEnabled("Passkey sign-in is not enabled for this user pool.")
    user = users.user_find(client.pool, username)
    if user is None and not prevents_existence_errors(client):
        raise UserNotFound("User does not exist.")
    return _webauthn_start(client, user, hosted=True)


MAX_CODE_ATTEMPTS = 3  # wrong codes per challenge session; then the session is spent


def _hosted_check(hosted: bool, *tokens: str | None) -> None:
    """A hosted sign-in's session is answered by the hosted pages only, and theirs by nothing
    else: the prefix is part of the hashed token, so it cannot be added or removed."""
    for token in tokens:
        if token and token.startswith(HOSTED_SESSION_PREFIX) != hosted:
            raise NotAuthorized(SESSION_INVALID)


def _is_first_factor_session(session: str | None, challenge_name: str) -> bool:
    """Whether ``session`` is a passwordless sign-in's (EMAIL_OTP names an MFA step too)."""
    state = AuthSession.objects.filter(token_hash=_digest(session or "")).values_list("state", flat=True).first()
    return challenge_name == "SMS_OTP" or bool(state and state.get("first_factor") == challenge_name)


def _code_attempt_failed(ctx: ServiceContext, client: AppClient, session: str | None, username: str) -> None:
    """Count a wrong code (outside the refused answer's transaction): against the session,
    whose third spends it, so the sign-in must start over; and towards the user's lockout
    as a wrong password counts (an unknown user's, for a passwordless code, on its
    :class:`UnknownUserLockout` row), so new sign-ins do not buy new guesses."""
    with transaction.atomic():
        stored = AuthSession.objects.select_for_update().filter(token_hash=_digest(session or "")).first()
        if stored is None:
            return
        failures = int(stored.state.get("code_failures", 0)) + 1
        stored.state = {**stored.state, "code_failures": failures}
        if failures >= MAX_CODE_ATTEMPTS:
            stored.used_at = timezone.now()
        stored.save(update_fields=["state", "used_at"])
    user = User.objects.filter(pk=stored.user_id).first() if stored.user_id is not None else None
    _attempt_failed(ctx, client, user, stored.state.get("username") or username, action="user.sign_in_code_failed")


def _respond(ctx: ServiceContext, client: AppClient, challenge: Challenge, session: str | None, username: str,
             responses: Mapping[str, str]) -> AuthOutcome:  # fmt: skip
    challenge_name = challenge.name
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
        sign_in.state.pop("code_failures", None)
        stored.used_at = timezone.now()
        stored.save(update_fields=["used_at"])
        return _next_step(sign_in, after=challenge.name)


# Challenges answered before the user is proven; their sessions are spent on first answer.
SELECTING = frozenset({"SELECT_CHALLENGE", "PASSWORD", "PASSWORD_SRP"})
FIRST_FACTOR_CHALLENGES = SELECTING | {"PASSWORD_VERIFIER"}


def _names(client: AppClient, username: str, user: User) -> bool:
    """Whether ``username`` (as a response sent it) names ``user``: their own username
    (what SDKs echo back, no query needed), or an alias or sub that resolves to them."""
    if users.username_key(client.pool, username) == user.username_key:
        return True
    return users.user_find(client.pool, username) == user


def _respond_first_factor(ctx: ServiceContext, client: AppClient, challenge_name: str, session: str | None,
                          username: str, responses: Mapping[str, str]) -> AuthOutcome:  # fmt: skip
    """PASSWORD_VERIFIER (SRP's claim) and USER_AUTH's SELECT_CHALLENGE (or its answer named
    directly as PASSWORD / PASSWORD_SRP)."""
    if challenge_name == "PASSWORD_VERIFIER":
        token = responses.get("PASSWORD_CLAIM_SECRET_BLOCK") or session
        stored = _session_spend(token, client, frozenset({"PASSWORD_VERIFIER"}))
        if stored.user is not None and not _names(client, username, stored.user):
            raise NotAuthorized(SESSION_INVALID)
        user = _srp_verify(ctx, client, stored, responses)
        return _next_step(SignIn(ctx=ctx, client=client, user=user, auth_time=timezone.now()))
    stored = _session_spend(session, client, frozenset({"SELECT_CHALLENGE"}))
    if stored.user is not None:
        stored.user.pool = client.pool
        if not _names(client, username, stored.user):
            raise NotAuthorized(SESSION_INVALID)
    answer = responses.get("ANSWER") if challenge_name == "SELECT_CHALLENGE" else challenge_name
    if not answer:
        raise InvalidParameter("Missing required parameter ANSWER")
    return _first_factor(ctx, client, answer, username, responses, user=stored.user, looked_up=True)


# --- TOTP set-up inside a sign-in (MFA_SETUP) --------------------------------------------------


def _setup_session_take(token: str | None) -> AuthSession:
    """The live MFA_SETUP session ``token`` names (any client), row-locked, user loaded."""
    if not token:
        raise NotAuthorized(SESSION_INVALID)
    stored = (AuthSession.objects.select_for_update(of=("self",)).select_related("user", "pool")
              .filter(token_hash=_digest(token)).first())  # fmt: skip
    if stored is None or stored.used_at is not None or stored.user is None or stored.challenge != MfaSetup.name:
        raise NotAuthorized(SESSION_INVALID)
    if stored.expires_at <= timezone.now():
        raise NotAuthorized(SESSION_EXPIRED)
    stored.user.pool = stored.pool
    return stored


def _setup_session_next(stored: AuthSession, **state: Any) -> str:
    stored.used_at = timezone.now()
    stored.save(update_fields=["used_at"])
    return _session_open(stored.client, stored.user, MfaSetup.name, {**stored.state, **state})


def software_token_associate_in_sign_in(ctx: ServiceContext, session: str | None, *,
                                        hosted: bool = False) -> tuple[str, str]:  # fmt: skip
    """AssociateSoftwareToken with an MFA_SETUP Session: (SecretCode, the next Session)."""
    _hosted_check(hosted, session)
    with transaction.atomic():
        stored = _setup_session_take(session)
        secret = mfa.totp_associate(ctx, stored.user)
        return secret, _setup_session_next(stored)


def software_token_verify_in_sign_in(ctx: ServiceContext, session: str | None, code: str,
                                     friendly_name: str | None, *, hosted: bool = False) -> str:  # fmt: skip
    """VerifySoftwareToken with an MFA_SETUP Session: the authenticator becomes the user's
    enabled, preferred factor; returns the Session to answer MFA_SETUP with."""
    _hosted_check(hosted, session)
    with transaction.atomic():
        stored = _setup_session_take(session)
        mfa.totp_verify(ctx, stored.user, code, friendly_name)
        mfa.preference_set(ctx, stored.user, {"SoftwareTokenMfaSettings": {"Enabled": True, "PreferredMfa": True}})
        return _setup_session_next(stored, mfa_setup_verified=True)

"""Failed sign-ins: counting, lockout, and the same work for a username that names nobody.

After five wrong passwords in a row a user is locked out for 1 s, doubling with each
further failure up to 15 minutes ("Password attempts exceeded"). Wrong MFA and one-time
sign-in codes count alike, and a locked-out user's right code is refused too. The count
lives on the user's row, so every server process sees it; a sign-in that passes every
factor resets it (a right password alone does not). With PreventUserExistenceErrors an
unknown username is counted and locked out the same way
(:class:`~userpools.models.UnknownUserLockout`), with the same statements, so neither its
answers nor their time tell it from a user.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from functools import cache
from typing import NoReturn

from django.contrib.auth.hashers import get_hasher, make_password
from django.db import transaction
from django.utils import timezone

from userpools.context import ServiceContext
from userpools.errors import NotAuthorized
from userpools.models import AppClient, AuthSession, UnknownUserLockout, User, UserPool
from userpools.services import users
from userpools.services.audit import audit_record
from userpools.services.compiled import CompiledQuery
from userpools.signin.sessions import digest
from userpools.signin.state import INCORRECT, LOCKED

# Lockout (Developer Guide, "User sign-in attempts"): five failures are free; then 1 s,
# doubling per further failure, at most about 15 minutes.
FREE_FAILURES = 5
MAX_LOCKOUT = timedelta(minutes=15)
MAX_CODE_ATTEMPTS = 3  # wrong codes per challenge session; then the session is spent
# How long an unknown username's failure count is kept after its last failure. A real
# user's count lasts until their next successful sign-in, so after this long an unknown
# name could answer differently from a real one that nobody signed in to meanwhile: the
# price of a table that an attacker could otherwise grow with every name they guess.
UNKNOWN_LOCKOUT_IDLE = timedelta(days=30)


def dummy_hash() -> str:
    """A hash made like users' hashes, to check a password against when there is no user:
    by the hasher that makes them now (PASSWORD_HASHERS may change, and a dummy made by
    another hasher would take another time)."""
    return _dummy_hash_by(get_hasher("default").algorithm)


@cache
def _dummy_hash_by(algorithm: str) -> str:
    return make_password(secrets.token_urlsafe(16), hasher=algorithm)


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
        failures, locked_until = (
            model.objects.select_for_update().filter(pk=row.pk).values_list("failed_sign_ins", "locked_until").get()
        )
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
    lambda pk: User.objects.filter(pk=pk).values_list("failed_sign_ins", "locked_until")[:1], pk=User._meta.pk
)
_UNKNOWN_LOCKOUT = CompiledQuery(
    lambda pool_id, key: UnknownUserLockout.objects.filter(pool_id=pool_id, key=key).order_by("pk")[:1],
    pool_id=UnknownUserLockout._meta.get_field("pool"),
    key=UnknownUserLockout._meta.get_field("key"),
)


def unknown_lockout(pool: UserPool, username: str) -> UnknownUserLockout:
    """The failure count of ``username`` in ``pool``, which names nobody (unsaved until its
    first failure). Keyed by the pool's form of the name, as users are (case folding)."""
    key = hashlib.sha256(users.username_key(pool, username).encode("utf-8", "surrogatepass")).hexdigest()
    return _UNKNOWN_LOCKOUT.first(pool_id=pool.pk, key=key) or UnknownUserLockout(pool_id=pool.pk, key=key)


def unknown_lockouts_prune() -> int:
    """Delete the failure counts of unknown usernames idle for UNKNOWN_LOCKOUT_IDLE; returns how many."""
    return UnknownUserLockout.objects.filter(updated_at__lt=timezone.now() - UNKNOWN_LOCKOUT_IDLE).delete()[0]


def unlocked(user: User | UnknownUserLockout) -> None:
    """Refuse ``user`` (or an unknown username's count) while locked out."""
    if user.locked_until is not None and user.locked_until > timezone.now():
        raise NotAuthorized(LOCKED)


def lockout_recheck(user: User) -> None:
    """After a right password: refuse it if a lockout began while it was being checked (a
    burst of guesses must not get past a lockout its own wrong guesses started). The count
    is reset only when the whole sign-in succeeds (:func:`failures_reset`): a right
    password followed by wrong MFA codes keeps counting towards the lockout."""
    state = _LOCKOUT_STATE.rows(pk=user.pk)
    if not state:
        raise User.DoesNotExist("User matching query does not exist.")
    user.failed_sign_ins, user.locked_until = state[0]
    unlocked(user)


def failures_reset(user: User) -> None:
    """A sign-in passed every factor: its user's failure count starts again (``user``'s
    count is as read during this sign-in, so there is no query when there is nothing to reset)."""
    if user.failed_sign_ins or user.locked_until:
        User.objects.filter(pk=user.pk).update(failed_sign_ins=0, locked_until=None)
        user.failed_sign_ins, user.locked_until = 0, None


def attempt_failed(
    ctx: ServiceContext,
    client: AppClient,
    user: User | None,
    username: str,
    *,
    unknown: UnknownUserLockout | None = None,
    action: str = "user.sign_in_failed",
) -> None:
    """Count a failed attempt on ``user`` (or, when nobody has ``username``, on its
    :class:`UnknownUserLockout` row) and write its audit event: the same work whether the
    user exists or not."""
    if user is not None:
        _failure_record(user)
        audit_record(ctx, action, pool_id=client.pool_id, target=user.username, client_id=client.client_id)
    else:
        _failure_record(unknown if unknown is not None else unknown_lockout(client.pool, username))
        audit_record(ctx, action, pool_id=client.pool_id, target=username, client_id=client.client_id, known=False)


def sign_in_failed(
    ctx: ServiceContext,
    client: AppClient,
    user: User | None,
    username: str,
    *,
    unknown: UnknownUserLockout | None = None,
) -> NoReturn:
    """A wrong password or SRP claim: counted (:func:`attempt_failed`), then refused."""
    attempt_failed(ctx, client, user, username, unknown=unknown)
    raise NotAuthorized(INCORRECT)


def code_attempt_failed(ctx: ServiceContext, client: AppClient, session: str | None, username: str) -> None:
    """Count a wrong code (outside the refused answer's transaction): against the session,
    whose third spends it, so the sign-in must start over; and towards the user's lockout
    as a wrong password counts (an unknown user's, for a passwordless code, on its
    :class:`UnknownUserLockout` row), so new sign-ins do not buy new guesses."""
    with transaction.atomic():
        stored = AuthSession.objects.select_for_update().filter(token_hash=digest(session or "")).first()
        if stored is None:
            return
        failures = int(stored.state.get("code_failures", 0)) + 1
        stored.state = {**stored.state, "code_failures": failures}
        if failures >= MAX_CODE_ATTEMPTS:
            stored.used_at = timezone.now()
        stored.save(update_fields=["state", "used_at"])
    user = User.objects.filter(pk=stored.user_id).first() if stored.user_id is not None else None
    attempt_failed(ctx, client, user, stored.state.get("username") or username, action="user.sign_in_code_failed")

"""One-time codes: sign-up confirmation, password reset, attribute verification.

Six digits, stored as a keyed hash (HMAC with the project's secret, so a leaked table
does not give the codes away), single use, expiring (24 h for sign-up and attribute
checks, 1 h for a password reset), and a new code replaces the previous one. Wrong
guesses count: after ``MAX_FAILED_ATTEMPTS`` the code is spent
(``TooManyFailedAttemptsException``) and a new one must be requested.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import NoReturn

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from userpools.errors import CodeMismatch, ExpiredCode, TooManyFailedAttempts
from userpools.models import User, VerificationCode
from userpools.services import limits

Purpose = VerificationCode.Purpose
LIFETIME = {
    Purpose.SIGN_UP: timedelta(hours=24),
    Purpose.RESET_PASSWORD: timedelta(hours=1),
    Purpose.VERIFY_EMAIL: timedelta(hours=24),
    Purpose.VERIFY_PHONE: timedelta(hours=24),
}
MAX_FAILED_ATTEMPTS = 5


def _digest(user: User, purpose: str, code: str) -> str:
    key = hashlib.sha256(f"cognate-codes:{settings.SECRET_KEY}".encode()).digest()
    # surrogatepass: JSON can carry a lone surrogate (\ud800); such a code is just a wrong one.
    return hmac.new(key, f"{user.pk}:{purpose}:{code}".encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


@transaction.atomic
def code_issue(user: User, purpose: str) -> str:
    """A fresh code for ``purpose``; earlier unused codes of that purpose stop working."""
    now = timezone.now()
    VerificationCode.objects.filter(user=user, purpose=purpose, used_at__isnull=True).update(used_at=now)
    code = f"{secrets.randbelow(10**6):06d}"
    VerificationCode.objects.create(
        user=user, purpose=purpose, code_hash=_digest(user, purpose, code), expires_at=now + LIFETIME[purpose]
    )
    return code


def code_verify(user: User, purpose: str, code: str) -> None:
    """Spend ``code`` or raise CodeMismatchException, ExpiredCodeException, TooManyFailedAttemptsException.

    Runs under a row lock, so two concurrent uses of one code cannot both succeed; a
    wrong guess is counted (and committed) before the error is raised.
    """
    with transaction.atomic():
        outcome = _spend(user, purpose, code)
    if outcome is not None:
        raise outcome


def _spend(user: User, purpose: str, code: str) -> Exception | None:
    current = (
        VerificationCode.objects.select_for_update()
        .filter(user=user, purpose=purpose, used_at__isnull=True)
        .order_by("-created_at", "-id")
        .first()
    )
    now = timezone.now()
    if current is None or current.expires_at <= now:
        return ExpiredCode("Invalid code provided, please request a code again.")
    if not hmac.compare_digest(current.code_hash, _digest(user, purpose, code)):
        current.failed_attempts += 1
        if current.failed_attempts >= MAX_FAILED_ATTEMPTS:
            current.used_at = now
            current.save(update_fields=["failed_attempts", "used_at"])
            return TooManyFailedAttempts("Too many failed attempts; request a new code.")
        current.save(update_fields=["failed_attempts"])
        return CodeMismatch("Invalid verification code provided, please try again.")
    current.used_at = now
    current.save(update_fields=["used_at"])
    return None


# --- Codes of users who do not exist (PreventUserExistenceErrors) -------------------------------


def _phantom_key(pool_id: str, name: str, purpose: str) -> str:
    digest = hashlib.sha256(f"{pool_id}:{name}".encode("utf-8", "surrogatepass")).hexdigest()
    return f"phantom-code:{purpose}:{digest}"


def phantom_code_issue(pool_id: str, name: str, purpose: str) -> None:
    """A simulated code "sent" to ``name`` (the pool's form of a username that names nobody,
    or a user a code cannot reach): :func:`phantom_code_verify` then answers as
    :func:`code_verify` does while a code is outstanding. Kept in the atomic counters every
    process shares (userpools.services.limits): ``:issued`` while a code is outstanding,
    ``:fails`` its wrong guesses, ``:spent`` after the last one."""
    key, lifetime = _phantom_key(pool_id, name, purpose), int(LIFETIME[purpose].total_seconds())
    for part in ("fails", "spent", "issued"):
        limits.counter_reset(f"{key}:{part}")
    limits.counter_hit(f"{key}:issued", window=lifetime)


def phantom_code_verify(pool_id: str, name: str, purpose: str, *, outstanding: bool = False) -> NoReturn:
    """What :func:`code_verify` answers a wrong code, for a user who does not exist: no code
    (ExpiredCodeException) unless one was simulated, or ``outstanding`` says one would be
    (a sign-up code); CodeMismatchException; the fifth spends it (TooManyFailedAttemptsException).
    No code passes. Each wrong guess is one atomic count, as a real code's is one row update."""
    key, lifetime = _phantom_key(pool_id, name, purpose), int(LIFETIME[purpose].total_seconds())
    live = limits.counter_value(f"{key}:issued") > 0 or (outstanding and limits.counter_value(f"{key}:spent") == 0)
    if not live:  # no code outstanding (never simulated, spent, or expired)
        raise ExpiredCode("Invalid code provided, please request a code again.")
    if limits.counter_hit(f"{key}:fails", window=lifetime) >= MAX_FAILED_ATTEMPTS:
        limits.counter_reset(f"{key}:issued")
        limits.counter_reset(f"{key}:fails")
        limits.counter_hit(f"{key}:spent", window=lifetime)  # spent: no code until the next simulated send
        raise TooManyFailedAttempts("Too many failed attempts; request a new code.")
    raise CodeMismatch("Invalid verification code provided, please try again.")

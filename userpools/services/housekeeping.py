"""Deleting what sign-in leaves behind once it is of no use (Celery beat runs
``userpools.sessions_prune`` hourly, see config/celery.py and userpools/tasks.py).

* Challenge sessions (AuthSession) used or expired more than CHALLENGE_KEPT ago: the hour
  keeps "session is expired" precise for a late answer.
* Devices handed out at sign-in (NewDeviceMetadata) and never confirmed
  (userpools.services.devices.devices_unconfirmed_purge).
* Refresh tokens that expired more than MAX_TOKEN_LIFETIME ago, whole sessions at once (a
  session's tokens share its expiry). Not sooner, revoked ones included: an access token
  issued just before its refresh token expired lives up to MAX_TOKEN_LIFETIME longer, and
  it is refused after a revocation only while the revoked refresh token's row is there.
* Send-limit and failure counters whose window has closed (userpools.services.limits).
* Failure counts of unknown usernames idle for UNKNOWN_LOCKOUT_IDLE
  (userpools.signin.lockout).
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from userpools.models import AuthSession, RefreshToken
from userpools.services.devices import devices_unconfirmed_purge
from userpools.services.limits import counters_prune
from userpools.services.tokens import MAX_TOKEN_LIFETIME
from userpools.signin.lockout import unknown_lockouts_prune

CHALLENGE_KEPT = timedelta(hours=1)
_PRUNE_BATCH = 1000  # refresh tokens deleted a statement


def challenge_sessions_prune() -> int:
    """Delete challenge sessions used or expired more than CHALLENGE_KEPT ago; returns how many."""
    stale = timezone.now() - CHALLENGE_KEPT
    return AuthSession.objects.filter(Q(used_at__lt=stale) | Q(expires_at__lt=stale)).delete()[0]


def refresh_tokens_prune() -> int:
    """Delete refresh tokens expired more than MAX_TOKEN_LIFETIME ago, _PRUNE_BATCH rows a
    statement; returns how many."""
    expired = RefreshToken.objects.filter(expires_at__lt=timezone.now() - MAX_TOKEN_LIFETIME)
    deleted = 0
    while batch := list(expired.values_list("pk", flat=True)[:_PRUNE_BATCH]):
        # Deleting clears the rotation links (``parent``) pointing at the batch first.
        deleted += RefreshToken.objects.filter(pk__in=batch).delete()[1].get(RefreshToken._meta.label, 0)
    return deleted


def sign_in_leftovers_prune() -> dict[str, int]:
    """Every kind of row the module docstring names, pruned; returns how many of each went."""
    return {
        "auth_sessions": challenge_sessions_prune(),
        "refresh_tokens": refresh_tokens_prune(),
        "devices": devices_unconfirmed_purge(),
        "limit_counters": counters_prune(),
        "unknown_user_lockouts": unknown_lockouts_prune(),
    }

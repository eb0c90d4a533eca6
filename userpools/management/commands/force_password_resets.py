"""``manage.py force_password_resets [--pool ID] [--keep-sessions]``: make users choose a new password.

For an incident where passwords or what protects them may be known to someone else: every
user of the pool (or of every pool) who signs in with a password is reset exactly as
AdminResetUserPassword resets one (userpools/services/directory.py: status RESET_REQUIRED,
a reset code to the verified address ForgotPassword would use), and signed out everywhere
as AdminUserGlobalSignOut does (their refresh tokens revoked, their access and ID tokens
refused), unless --keep-sessions. SECURITY.md says when to run it: releases before the SRP
fix exposed every user's SRP verifier, which allows an offline dictionary attack.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from userpools.context import ServiceContext
from userpools.errors import ServiceError
from userpools.models import User, UserPool
from userpools.services import directory, tokens


class Command(BaseCommand):
    help = "Reset the passwords (AdminResetUserPassword) and sessions of every user of one pool (--pool) or of all."

    def add_arguments(self, parser):
        parser.add_argument("--pool", dest="pool_id", help="the UserPoolId (default: every pool)")
        parser.add_argument("--keep-sessions", action="store_true", help="do not sign the users out")

    def handle(self, *args, pool_id: str | None = None, keep_sessions: bool = False, **options):
        ctx = ServiceContext(actor="system:force_password_resets")
        pools = UserPool.objects.filter(id=pool_id) if pool_id else UserPool.objects.all()
        if pool_id and not pools.exists():
            raise CommandError(f"User pool {pool_id} does not exist.")
        resettable = (User.Status.CONFIRMED, User.Status.FORCE_CHANGE_PASSWORD, User.Status.RESET_REQUIRED)
        reset = failed = 0
        for pool in pools.order_by("id"):
            for username in pool.users.filter(status__in=resettable).order_by("pk").values_list("username", flat=True):
                try:
                    directory.user_admin_reset_password(ctx, pool_id=pool.id, username=username)
                    if not keep_sessions:
                        tokens.user_admin_global_sign_out(ctx, pool_id=pool.id, username=username)
                except ServiceError as exc:  # nothing of this user changed (each reset is atomic): rerun later
                    failed += 1
                    self.stderr.write(f"{pool.id} {username}: {exc.code}")
                    continue
                reset += 1
        self.stdout.write(f"Reset {reset} user(s); {failed} could not be reset.")

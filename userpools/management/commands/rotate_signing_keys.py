"""``manage.py rotate_signing_keys [--pool ID]``: give pools a new JWT signing key.

The new key signs from now on; the old ones retire but stay in the pool's JWKS until
the ID and access tokens they signed have expired, so nobody is signed out.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from userpools.context import ServiceContext
from userpools.errors import ResourceNotFound
from userpools.services import tokens


class Command(BaseCommand):
    help = "Rotate the JWT signing keys of one user pool (--pool) or of all of them."

    def add_arguments(self, parser):
        parser.add_argument("--pool", dest="pool_id", help="the UserPoolId to rotate (default: every pool)")

    def handle(self, *args, pool_id: str | None = None, **options):
        ctx = ServiceContext(actor="system:rotate_signing_keys")
        if pool_id:
            try:
                keys = [tokens.signing_keys_rotate(ctx, pool_id=pool_id)]
            except ResourceNotFound as exc:
                raise CommandError(exc.message) from None
        else:
            keys = tokens.signing_keys_rotate_all(ctx)
        for key in keys:
            self.stdout.write(f"{key.pool_id}: new signing key {key.kid}")
        self.stdout.write(f"Rotated {len(keys)} pool(s).")

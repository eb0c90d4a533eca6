"""``manage.py role_trust <role>``: show or set which identity pools may use a role.

Roles made before trust policies existed trust nobody, so the built-in broker issues no
credentials for them until an operator says which pools may use them (here or in the admin
console)."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from identity.models import Role
from identity.services import pools
from userpools.context import ServiceContext
from userpools.errors import ServiceError


class Command(BaseCommand):
    help = "Show a role's trust policy, or set it to trust identity pools (see README.md, identity pools)."

    def add_arguments(self, parser):
        parser.add_argument("role", help="the role's name or ARN")
        parser.add_argument("--pool", action="append", default=[], help="an identity pool id to trust (repeatable)")
        parser.add_argument(
            "--kind",
            choices=["authenticated", "unauthenticated"],
            help="trust only these identities of the pools (default: both)",
        )
        parser.add_argument(
            "--pools-using-it",
            action="store_true",
            help="trust the pools whose roles or role mappings name the role today, each for the "
            "kind it is used as (review them first: run without options to list them)",
        )
        parser.add_argument("--none", action="store_true", help="trust nobody")

    def handle(self, *args, role: str, pool: list[str], kind: str | None, pools_using_it: bool, none: bool, **options):
        found = Role.objects.filter(arn=role).first() or Role.objects.filter(name=role).first()
        if found is None:
            raise CommandError(f"No role {role!r}.")
        ctx = ServiceContext(actor="cli:role_trust")
        try:
            if none:
                found = pools.role_trust_set(ctx, arn=found.arn, trust_policy={})
            elif pool:
                found = pools.role_trust_set(
                    ctx, arn=found.arn, trust_policy=pools.cognito_trust_policy(pool, kind=kind)
                )
            elif pools_using_it:
                using = pools.role_pools_using(found.arn)
                if not using:
                    raise CommandError(f"No identity pool uses {found.arn}.")
                statements = []
                for pool_id, kinds in using.items():
                    policy = pools.cognito_trust_policy([pool_id], kind=kinds[0] if len(kinds) == 1 else None)
                    statements += policy["Statement"]
                found = pools.role_trust_set(
                    ctx, arn=found.arn, trust_policy={"Version": "2012-10-17", "Statement": statements}
                )
            else:
                self.stdout.write(f"Identity pools using {found.arn}: {json.dumps(pools.role_pools_using(found.arn))}")
        except ServiceError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(json.dumps(found.trust_policy or {}, indent=2))

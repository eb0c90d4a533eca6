"""``manage.py create_access_key <operator>``: print a new access key for an operator."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from identity.policy import PolicyError
from identity.services.callers import access_key_create
from userpools.context import ServiceContext
from userpools.errors import ServiceError
from userpools.models import User


class Command(BaseCommand):
    help = "Create an access key for an operator and print AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY lines."

    def add_arguments(self, parser):
        parser.add_argument("operator", help="username of an operator (a staff user in no pool)")
        parser.add_argument("--description", default="")
        parser.add_argument("--policy", help="an IAM-style policy document as JSON, or @file.json")

    def handle(self, *args, operator: str, description: str, policy: str | None, **options):
        user = User.objects.filter(pool__isnull=True, username_key=operator).first()
        if user is None:
            raise CommandError(f"No operator named {operator!r}; create one with `manage.py createsuperuser`.")
        document = None
        if policy:
            text = Path(policy[1:]).read_text() if policy.startswith("@") else policy
            try:
                document = json.loads(text)
            except json.JSONDecodeError as exc:
                raise CommandError(f"--policy is not valid JSON: {exc}") from None
        try:
            created = access_key_create(
                ServiceContext(actor=f"cli:{operator}"), operator=user, description=description, policy=document
            )
        except (PolicyError, ServiceError) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"AWS_ACCESS_KEY_ID={created.key.access_key_id}")
        self.stdout.write(f"AWS_SECRET_ACCESS_KEY={created.secret_access_key}")

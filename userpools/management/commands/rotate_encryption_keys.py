"""``manage.py rotate_encryption_keys``: re-encrypt every secret at rest under the newest key.

Prepend a new key to ``COGNATE_ENCRYPTION_KEYS``, run this, then drop the old key.
"""

from __future__ import annotations

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from userpools.crypto import EncryptedTextField


class Command(BaseCommand):
    help = "Re-encrypt all secrets at rest under the first key of COGNATE_ENCRYPTION_KEYS."

    def handle(self, *args, **options):
        total = 0
        for model in apps.get_models():
            names = [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
            if not names:
                continue
            with transaction.atomic():
                # Loading decrypts with whichever configured key made the token;
                # saving encrypts afresh with the first key.
                for instance in model.objects.select_for_update().iterator():
                    instance.save(update_fields=names)
                    total += 1
        self.stdout.write(f"Re-encrypted {total} rows.")

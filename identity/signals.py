"""Drop cached access-key records whenever a key or its operator changes, however it changed."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from identity.models import AccessKey
from identity.services.callers import access_key_cache_clear


@receiver([post_save, post_delete], sender=AccessKey, dispatch_uid="accesskey-cache")
def _access_key_changed(sender, instance: AccessKey, **kwargs) -> None:
    key_id = instance.access_key_id
    transaction.on_commit(lambda: access_key_cache_clear(key_id))


@receiver([post_save, post_delete], sender=settings.AUTH_USER_MODEL, dispatch_uid="accesskey-operator-cache")
def _operator_changed(sender, instance, **kwargs) -> None:
    if instance.pool_id is not None:
        return
    key_ids = list(AccessKey.objects.filter(operator_id=instance.pk).values_list("access_key_id", flat=True))
    if key_ids:
        transaction.on_commit(lambda: access_key_cache_clear(*key_ids))

"""Cache invalidation: what this process cached about clients and pools is dropped when they change."""

from django.db.models.signals import post_delete, post_save

from userpools.models import AppClient, ClientSecret, UserPool
from userpools.services.clientauth import clients_cache_clear
from userpools.services.pools import pools_cache_clear
from userpools.services.tokens import keys_cache_clear


def _forget_pool_keys(sender: type, instance: UserPool, **_: object) -> None:
    """A deleted pool's signing keys, verifiers and JWKS leave this process's memory at
    once (its JWKS is a 404 from then on, also through config.wire.documents)."""
    keys_cache_clear(instance.pk)


def connect() -> None:
    for model in (AppClient, ClientSecret, UserPool):
        for signal in (post_save, post_delete):
            signal.connect(clients_cache_clear, sender=model, dispatch_uid=f"client-cache-{model.__name__}-{signal}")
    for signal in (post_save, post_delete):
        signal.connect(pools_cache_clear, sender=UserPool, dispatch_uid=f"pool-cache-{signal}")
    post_delete.connect(_forget_pool_keys, sender=UserPool, dispatch_uid="pool-keys-delete")

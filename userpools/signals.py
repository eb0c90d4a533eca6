"""Cache invalidation: what this process cached about clients and pools is dropped when they change."""

from django.db.models.signals import post_delete, post_save

from userpools.models import AppClient, ClientSecret, UserPool
from userpools.services.clientauth import clients_cache_clear
from userpools.services.pools import pools_cache_clear


def connect() -> None:
    for model in (AppClient, ClientSecret, UserPool):
        for signal in (post_save, post_delete):
            signal.connect(clients_cache_clear, sender=model, dispatch_uid=f"client-cache-{model.__name__}-{signal}")
    for signal in (post_save, post_delete):
        signal.connect(pools_cache_clear, sender=UserPool, dispatch_uid=f"pool-cache-{signal}")

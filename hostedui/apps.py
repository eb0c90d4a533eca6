from django.apps import AppConfig


class HostedUIConfig(AppConfig):
    name = "hostedui"
    verbose_name = "Hosted UI"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from hostedui.services.hosts import hosts_cache_clear_on_commit
        from userpools.models import UserPoolDomain

        # A domain added, verified or deleted routes (or stops) at once in this process.
        for signal in (post_save, post_delete):
            signal.connect(hosts_cache_clear_on_commit, sender=UserPoolDomain, dispatch_uid=f"hosts-cache-{signal}")

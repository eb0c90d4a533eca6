from django.apps import AppConfig


class HostedUIConfig(AppConfig):
    name = "hostedui"
    verbose_name = "Hosted UI"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from hostedui.services import hosts  # noqa: F401 - its cache of domains registers
        from userpools.services import memo

        # A domain added, verified or deleted routes (or stops) in this process once committed.
        memo.connect()

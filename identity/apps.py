from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "identity"
    verbose_name = "Identity and caller credentials"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from identity.services import callers  # noqa: F401 - its caches of access keys register
        from userpools.services import memo

        memo.connect()

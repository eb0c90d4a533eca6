from django.apps import AppConfig


class UserpoolsConfig(AppConfig):
    name = "userpools"
    verbose_name = "User pools"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from userpools import signals

        signals.connect()

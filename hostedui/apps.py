from django.apps import AppConfig


class HostedUIConfig(AppConfig):
    name = "hostedui"
    verbose_name = "Hosted UI"
    default_auto_field = "django.db.models.BigAutoField"
